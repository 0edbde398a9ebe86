"""Widgets carry accessible names (issue 9): every widget that takes the keyboard focus in the
unlock window, the main window and a case workspace has an accessible name, or a label whose
buddy it is (assistive technology reads the label then)."""

from __future__ import annotations

from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, unlock
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QLabel, QTabBar, QWidget
from pytestqt.qtbot import QtBot


def unnamed(root: QWidget) -> list[str]:
    """The focusable widgets under ``root`` that a screen reader could not name."""
    widgets = [root, *root.findChildren(QWidget)]
    buddies = {id(label.buddy()) for label in widgets
               if isinstance(label, QLabel) and label.buddy() is not None and label.text()}
    found = []
    for widget in widgets:
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(root):
            continue
        if widget.accessibleName() or id(widget) in buddies:
            continue
        if isinstance(widget, QAbstractButton) and widget.text():
            continue  # a button is read by its text
        if isinstance(widget, QTabBar) and widget.count() and all(
                widget.tabText(i) for i in range(widget.count())):
            continue  # read tab by tab, each by its title
        # the view's viewport, a spin box's line edit: named through their owner
        if widget.focusProxy() is not None or (
                widget.parentWidget() is not None and widget.parentWidget().focusProxy()
                is widget and widget.parentWidget().accessibleName()):
            continue
        found.append(f"{type(widget).__name__} {widget.objectName()!r} in "
                     f"{type(widget.parentWidget()).__name__}")
    return found


def accessible_name(widget: QWidget) -> str:
    face = QAccessible.queryAccessibleInterface(widget)
    return face.text(QAccessible.Text.Name) if face is not None else ""


def test_every_focusable_widget_has_an_accessible_name(qtbot: QtBot,
                                                       new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        window = desktop.window
        lock_view = window.lock_view
        assert lock_view is not None
        found = unnamed(lock_view)
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        found += unnamed(window)
        workspace = register(qtbot, desktop, workbench, "Muhammad", "Ali", "محمد علی",
                             cnic="35202-1234567-1")
        for index in range(workspace.tabs.count()):
            workspace.tabs.setCurrentIndex(index)
            settle(qtbot, desktop)
            found += unnamed(workspace)
        dialog = workbench.show_new_case()
        found += unnamed(dialog)
        dialog.reject()
        assert not found, "\n".join(sorted(set(found)))
        # what a screen reader is given is the name itself
        assert accessible_name(workbench.search) != ""
