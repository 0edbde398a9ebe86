"""The context menu of text fields (undo, cut, copy, paste…) in the interface language: Qt
builds it with its own English texts (the application loads no Qt translations), so each of
its actions, known by the object name Qt gives it, gets its text from the catalogs; its
behaviour stays Qt's. In Urdu the menu is drawn in Nastaliq (``nastaliq_menu``)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QPlainTextEdit, QTextEdit

from caseapp.i18n import _


def _titles() -> dict[str, str]:
    return {"edit-undo": _("&Undo"), "edit-redo": _("&Redo"), "edit-cut": _("Cu&t"),
            "edit-copy": _("&Copy"), "edit-paste": _("&Paste"), "edit-delete": _("Delete"),
            "select-all": _("Select All")}


def translate_menu(menu: QMenu) -> QMenu:
    """Qt's standard edit menu with its texts translated, each shortcut kept after its tab."""
    titles = _titles()
    for action in menu.actions():
        if action.objectName() in titles:
            shortcut = action.text().partition("\t")[2]
            action.setText(titles[action.objectName()] + ("\t" + shortcut if shortcut else ""))
    return menu


class EditMenus(QObject):
    """An application event filter: a text field's context menu is Qt's own, translated."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ContextMenu or not isinstance(event, QContextMenuEvent):
            return False
        parent = watched.parent()
        field = parent if isinstance(parent, QPlainTextEdit | QTextEdit) and \
            watched is parent.viewport() else watched  # a text edit's come to its viewport
        if not isinstance(field, QLineEdit | QPlainTextEdit | QTextEdit) or \
                field.contextMenuPolicy() != Qt.ContextMenuPolicy.DefaultContextMenu:
            return False
        menu = translate_menu(field.createStandardContextMenu())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())  # as Qt's own fields do
        return True


_installed: list[EditMenus] = []


def install(app: QApplication) -> None:
    if not _installed:
        _installed.append(EditMenus(app))
        app.installEventFilter(_installed[0])
