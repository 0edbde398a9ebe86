"""The person tab: edit the person's details; Save is refused with the reasons shown next to
the fields, and nothing typed is lost."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPushButton, QScrollArea, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError, FieldErrors
from caseapp.i18n import _
from ui.bridge import Bridge
from ui.case.person_form import PersonForm
from ui.widgets.form import ErrorLabel
from ui.widgets.label import Label


class PersonTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self._clocks: dict[str, str | None] = {}
        self._pending: dict[str, Any] | None = None  # a draft waiting for the case to load
        self.form = PersonForm(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setAccessibleName(_("The person's details"))
        scroll.setWidget(self.form)
        self.problem = ErrorLabel(self)
        self.saved = Label(self)
        self.save_button = QPushButton(_("&Save the person's details"), self)
        self.save_button.clicked.connect(self.save)
        self.form.edited.connect(self.saved.clear)
        box = QVBoxLayout(self)
        box.addWidget(scroll)
        box.addWidget(self.problem)
        box.addWidget(self.saved)
        box.addWidget(self.save_button)

    def show_case(self, doc: dict[str, Any]) -> None:
        if self.form.edits() and self.form._loaded:
            return  # keep what the user is typing; the next save merges by field clocks
        self.form.load(doc)
        self._clocks = dict(doc.get("clocks") or {})
        if self._pending is not None:
            draft, self._pending = self._pending, None
            self.restore(draft)

    def save(self) -> None:
        self.problem.show_problem(None)
        if self.form.check(partial=True):
            self.problem.show_problem(_("Not saved: correct the fields marked above."))
            return
        edits = self.form.edits()
        if not edits:
            return
        seen = self._clocks
        self.save_button.setEnabled(False)
        self.bridge.call(lambda s: s.cases.update(self.case_id, edits, seen=seen),
                         self._saved, self._failed)

    def _saved(self, _changes: object) -> None:
        self.save_button.setEnabled(True)
        self.form._loaded = self.form.values()
        self.saved.setText(_("Saved."))

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, FieldErrors):
            self.form.show_problems({name: _(problem, **params)
                                     for name, problem, params in exc.problems})
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("Not saved."))

    # -- drafts ---------------------------------------------------------------------------
    def draft(self) -> dict[str, Any] | None:
        return {"values": self.form.values()} if self.form.edits() else None

    def restore(self, draft: dict[str, Any]) -> None:
        if not self.form._loaded:
            self._pending = draft
            return
        loaded = self.form._loaded
        self.form.load(draft.get("values", {}))
        self.form._loaded = loaded
        self.form.check(partial=True)
