"""The case's stage: the moves the user's role allows, closing with its reason, re-opening."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QPushButton, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError
from caseapp.i18n import _
from caseapp.services import forms
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.label import Label
from ui.widgets.line_edit import LineEdit


class StageTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, role: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.role = role
        self.current = Label(self)
        self.current.setAccessibleName(_("Stage now"))
        self.form = Form(self)
        self.target = self.form.add("target", _("&Move to"), QComboBox(self))
        self.reason = self.form.add("cas_ReasonForCaseClosure", _("&Reason for closing"),
                                    LineEdit(self))
        self.target.currentIndexChanged.connect(self._target_changed)
        self.problem = ErrorLabel(self)
        self.move_button = QPushButton(_("&Move the case"), self)
        self.move_button.clicked.connect(self.move_case)
        box = QVBoxLayout(self)
        box.addWidget(self.current)
        box.addWidget(self.form)
        box.addWidget(self.problem)
        box.addWidget(self.move_button)
        box.addStretch(1)

    def show_case(self, doc: dict[str, Any]) -> None:
        stage = str(doc.get("hfz_Stage", ""))
        self.current.setText(_("This case is at the stage: %(stage)s",
                               stage=forms.stage_label(stage)))
        self.target.clear()
        for target in forms.allowed_moves(stage, self.role):
            self.target.addItem(forms.stage_label(target), target)
        can_move = self.target.count() > 0
        self.move_button.setEnabled(can_move)
        if not can_move:
            self.problem.show_problem(_("Your role cannot move this case from here."))
        self._target_changed()

    def _target_changed(self) -> None:
        closing = self.target.currentData() == "closed"
        self.reason.setEnabled(closing)

    def move_case(self) -> None:
        target = self.target.currentData()
        reason = self.reason.text().strip() or None
        if target == "closed" and not reason:
            self.form.show_problems({"cas_ReasonForCaseClosure":
                                     _("Closing a case needs a reason.")})
            return
        self.bridge.call(lambda s: s.cases.move(self.case_id, target, reason),
                         self._moved, self._failed)

    def _moved(self, _changes: object) -> None:
        self.reason.clear()
        self.form.show_problems({})
        self.problem.show_problem(None)

    def _failed(self, exc: BaseException) -> None:
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("Not saved."))

    def draft(self) -> dict[str, Any] | None:
        return {"reason": self.reason.text()} if self.reason.text().strip() else None

    def restore(self, draft: dict[str, Any]) -> None:
        self.reason.setText(str(draft.get("reason", "")))
