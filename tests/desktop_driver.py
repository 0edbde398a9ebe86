"""Helpers for the desktop tests: start the real desktop (real widgets, real vault, the
database thread) and drive it as a user would, waiting on what the user would see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt
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


def narrowest(qtbot: QtBot, desktop: Desktop, until: Callable[[], bool],
              height: int = 700) -> None:
    """Make the window as narrow as its layout allows, until `until()` holds. The minimum
    shrinks only once the layout has taken in new size policies or wrapped rows, and a resize
    below the minimum of that moment stops there (the width may even equal a minimum that is
    about to shrink): flush the pending layout requests and ask again until it holds."""
    def narrow() -> bool:
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        desktop.window.resize(200, height)
        return until()

    qtbot.waitUntil(narrow)


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


def start_office(qtbot: QtBot, desktop: Desktop, user_name: str, passphrase: str) -> str:
    """The first run's happy path: "start a standalone office" with this name and passphrase,
    the recovery code read and two of its groups typed back; returns the code shown."""
    from ui.unlock.first_run import FirstRunView
    view = desktop.window.lock_view
    assert isinstance(view, FirstRunView), "no profile yet: the first run comes first"
    type_text(view.user_name, user_name)
    type_text(view.new_passphrase, passphrase)
    type_text(view.repeat, passphrase)
    view.create_button.click()
    settle(qtbot, desktop, lambda: view.pages.currentIndex() == 1)
    code = view.code_label.text()
    groups = code.split("-")
    for field, asked in zip(view.group_fields, view.asked, strict=True):
        qtbot.keyClicks(field, groups[asked])
    assert view.continue_button.isEnabled()
    view.continue_button.click()
    settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
    return code


def add_note(qtbot: QtBot, desktop: Desktop, workspace: CaseWorkspace, text: str) -> None:
    """Write a note in the notes tab and add it; waits until the list shows it."""
    notes = workspace.notes
    workspace.tabs.setCurrentWidget(notes)
    before = notes.notes.count()
    type_text(notes.editor, text)
    notes.add_button.click()
    settle(qtbot, desktop, lambda: notes.notes.count() == before + 1)


def record_consent(qtbot: QtBot, desktop: Desktop, workspace: CaseWorkspace,
                   purpose: str) -> str:
    """Record consent given for ``purpose``; returns what the "Now" column shows for it once
    the table has it in force."""
    from caseapp.i18n import _
    consent = workspace.consent
    workspace.tabs.setCurrentWidget(consent)
    consent.purpose.setCurrentIndex(consent.purpose.findData(purpose))
    label = consent.purpose.currentText()
    consent.record_button.click()

    def now() -> str:
        for row in range(consent.state.rowCount()):
            title, state = consent.state.item(row, 0), consent.state.item(row, 1)
            if title is not None and state is not None and title.text() == label:
                return state.text()
        return ""
    settle(qtbot, desktop, lambda: now() == _("permitted"))
    return now()


def attach_picture(qtbot: QtBot, desktop: Desktop, workspace: CaseWorkspace,
                   path: Path) -> None:
    """Save a small picture at ``path``, add it as an attachment and wait until the list
    names it and its preview (from memory) is shown."""
    from PySide6.QtGui import QImage
    image = QImage(60, 40, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkGreen)
    image.save(str(path))
    files = workspace.attachments
    workspace.tabs.setCurrentWidget(files)
    before = files.files.count()
    files.add_file(path)
    settle(qtbot, desktop, lambda: files.files.count() == before + 1)
    assert path.name in files.files.item(before).text()
    files.files.setCurrentRow(before)
    settle(qtbot, desktop, lambda: files.preview.pixmap() is not None and
           not files.preview.pixmap().isNull())
