"""Notes on the case: the notes so far, oldest first, and a box to write a new one."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QListWidget, QPushButton, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError
from caseapp.i18n import _, formatting
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel
from ui.widgets.label import Label
from ui.widgets.text_edit import TextEdit


class NotesTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.notes = QListWidget(self)
        self.notes.setAccessibleName(_("Notes"))
        self.notes.setWordWrap(True)
        self.editor = TextEdit(self)
        self.editor.setAccessibleName(_("New note"))
        self.editor.setPlaceholderText(_("Write a note…"))
        self.problem = ErrorLabel(self)
        self.add_button = QPushButton(_("&Add the note"), self)
        self.add_button.clicked.connect(self.add)
        caption = Label(_("New &note"), self)
        caption.setBuddy(self.editor)
        box = QVBoxLayout(self)
        box.addWidget(self.notes, 3)
        box.addWidget(caption)
        box.addWidget(self.editor, 1)
        box.addWidget(self.problem)
        box.addWidget(self.add_button)

    def refresh(self) -> None:
        self.bridge.call(lambda s: s.cases.notes(self.case_id), self._show,
                         lambda exc: None)

    def _show(self, notes: list[dict[str, Any]]) -> None:
        self.notes.clear()
        for note in notes:
            self.notes.addItem(f"{formatting.timestamp(int(note['at']))}\n{note['text']}")

    def add(self) -> None:
        text = self.editor.toPlainText()
        if not text.strip():
            self.problem.show_problem(_("A note cannot be empty."))
            return
        self.add_button.setEnabled(False)
        self.bridge.call(lambda s: s.cases.add_note(self.case_id, text), self._added,
                         self._failed)

    def _added(self, _changes: object) -> None:
        self.add_button.setEnabled(True)
        self.problem.show_problem(None)
        self.editor.clear()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.add_button.setEnabled(True)  # the text stays in the box
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("Not saved."))

    def draft(self) -> dict[str, Any] | None:
        text = self.editor.toPlainText()
        return {"text": text} if text.strip() else None

    def restore(self, draft: dict[str, Any]) -> None:
        self.editor.setPlainText(str(draft.get("text", "")))
