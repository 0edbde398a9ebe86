"""Register a person and open their case: the person's details, the track (trafficking,
smuggling or both), checked as typed; Esc or Cancel asks before dropping what was typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError, FieldErrors
from caseapp.i18n import _
from ui.bridge import Bridge
from ui.case.person_form import PersonForm
from ui.widgets.form import ErrorLabel
from ui.widgets.message import confirm

DRAFT_KEY = "new-case"


class NewCaseDialog(QDialog):
    created = Signal(str)  # the new case's id

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setWindowTitle(_("New case"))
        self.form = PersonForm(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setAccessibleName(_("The person's details"))
        scroll.setWidget(self.form)
        tracks = QWidget(self)
        row = QHBoxLayout(tracks)
        row.setContentsMargins(0, 0, 0, 0)
        self.tip = QCheckBox(_("&Trafficking in persons"), tracks)
        self.som = QCheckBox(_("S&muggling of migrants"), tracks)
        self.tip.setChecked(True)
        row.addWidget(self.tip)
        row.addWidget(self.som)
        self.form.add("hfz_Tracks", _("Track"), tracks)
        self.problem = ErrorLabel(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                        QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("&Create the case"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(scroll)
        box.addWidget(self.problem)
        box.addWidget(self.buttons)
        self.resize(560, 640)
        self.form.inputs["prs_FirstName"].setFocus()

    def document(self) -> dict[str, Any]:
        doc = self.form.values()
        doc["hfz_Tracks"] = [t for t, box in (("TIP", self.tip), ("SOM", self.som))
                             if box.isChecked()]
        return doc

    def save(self) -> None:
        found = self.form.check()
        if not (self.tip.isChecked() or self.som.isChecked()):
            found["hfz_Tracks"] = _("Choose trafficking, smuggling or both.")
            self.form.show_problems(found)
        if found:
            self.problem.show_problem(_("Not saved: correct the fields marked above."))
            return
        document = self.document()
        self.buttons.setEnabled(False)
        self.bridge.call(lambda s: s.cases.create(document), self._created, self._failed)

    def _created(self, changes: Any) -> None:
        self.form.load({})  # nothing unsaved any more
        self.created.emit(str(changes.id))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, FieldErrors):
            self.form.show_problems({name: _(problem, **params)
                                     for name, problem, params in exc.problems})
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("Not saved."))

    def has_unsaved(self) -> bool:
        return bool(self.form.values())

    def reject(self) -> None:
        if self.has_unsaved() and not confirm(
                self, _("New case"), _("Drop what you typed for this new case?"),
                _("&Drop what I typed"), _("&Keep typing")):
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.reject()
        event.ignore() if self.isVisible() else event.accept()

    # -- drafts ---------------------------------------------------------------------------
    def draft_key(self) -> str:
        return DRAFT_KEY

    def draft(self) -> dict[str, Any] | None:
        return {"values": self.form.values(), "tracks": self.document()["hfz_Tracks"]} \
            if self.has_unsaved() else None

    def restore(self, draft: dict[str, Any]) -> None:
        self.form.load(draft.get("values", {}))
        self.form._loaded = {}
        tracks = draft.get("tracks", ["TIP"])
        self.tip.setChecked("TIP" in tracks)
        self.som.setChecked("SOM" in tracks)
