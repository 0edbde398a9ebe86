"""Helpers for the desktop tests: start the real desktop (real widgets, real vault, the
database thread) and drive it as a user would, waiting on what the user would see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ui.app import Desktop
from ui.case.workspace import CaseWorkspace
from ui.language import apply_language
from ui.shell.workbench import Workbench
from ui.unlock.unlock_view import UnlockView

WAIT_MS = 15_000


@contextmanager
def running(lang: str = "en") -> Iterator[Desktop]:
    desktop = Desktop(lang)
    desktop.window.show()
    desktop.window.activateWindow()
    try:
        yield desktop
    finally:
        desktop.close()
        apply_language("en")


def settle(qtbot: QtBot, desktop: Desktop, until: Callable[[], Any] = lambda: True) -> None:
    """Wait until nothing is in flight on the database thread and ``until()`` holds."""
    qtbot.waitUntil(lambda: desktop.bridge.busy == 0 and bool(until()), timeout=WAIT_MS)


def unlock(qtbot: QtBot, desktop: Desktop, passphrase: str) -> Workbench:
    view = desktop.window.lock_view
    assert isinstance(view, UnlockView)
    qtbot.keyClicks(view.passphrase, passphrase)
    qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
    settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
    workbench = desktop.window.workbench
    assert workbench is not None
    settle(qtbot, desktop, lambda: workbench.cases.model.total == workbench.cases.model.rowCount()
           or workbench.cases.model.rowCount() > 0)
    return workbench


def visible_texts(root: QWidget | None = None) -> str:
    """Every text any widget of the application holds (labels, fields, lists, tables, tab
    titles, window titles), whether shown or not: what a locked screen must not contain."""
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QComboBox,
        QLabel,
        QLineEdit,
        QPlainTextEdit,
        QTabWidget,
        QTextEdit,
    )
    texts: list[str] = []
    widgets = root.findChildren(QWidget) if root else QApplication.allWidgets()
    for widget in widgets:
        texts.append(widget.windowTitle())
        if isinstance(widget, QLabel | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            root_index = QModelIndex()
            for row in range(model.rowCount(root_index)):
                column = 0  # list models keep columnCount private: walk until invalid
                while (index := model.index(row, column)).isValid():
                    texts.append(str(model.data(index) or ""))
                    column += 1
    return "\n".join(texts)


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` key by key, Urdu letters included (QTest's keyClicks knows only ASCII)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, char))


def press(qtbot: QtBot, window: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    """A key press where the user's keyboard sends it: to the widget with the focus in the
    active window (offscreen, a window is active only once asked to be)."""
    if QApplication.activeWindow() is None:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is not None, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def register(qtbot: QtBot, desktop: Desktop, workbench: Workbench, first: str, second: str,
             urdu: str, cnic: str = "", birthdate: str = "1994-03-01") -> CaseWorkspace:
    dialog = workbench.show_new_case()
    form = dialog.form
    qtbot.keyClicks(form.inputs["prs_FirstName"], first)
    qtbot.keyClicks(form.inputs["prs_SecondName"], second)
    type_text(form.inputs["hfz_NameUrdu"], urdu)
    qtbot.keyClicks(form.inputs["prs_Birthdate"], birthdate)
    if cnic:
        form.doc_type.setCurrentIndex(form.doc_type.findData("CNIC"))
        qtbot.keyClicks(form.doc_number, cnic)
    dialog.save()
    settle(qtbot, desktop, lambda: workbench.new_case is None)
    workspace = workbench.tabs.currentWidget()
    assert isinstance(workspace, CaseWorkspace)
    settle(qtbot, desktop, lambda: bool(workspace.title))
    return workspace
