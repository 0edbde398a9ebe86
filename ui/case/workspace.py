"""A case's workspace: one tab per part of the case (overview and timeline, person, stage,
consent, notes, attachments, history). It refreshes when a change touches the case, from this
device or another, and hands its unsaved text over as drafts when the profile locks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError
from caseapp.i18n import _
from caseapp.services import forms
from ui.bridge import Bridge
from ui.case.attachments_tab import AttachmentsTab
from ui.case.consent_tab import ConsentTab
from ui.case.export_dialog import ExportSummaryDialog
from ui.case.history_tab import HistoryTab
from ui.case.notes_tab import NotesTab
from ui.case.overview_tab import OverviewTab
from ui.case.person_tab import PersonTab
from ui.case.referral_dialog import ReferralPackageDialog
from ui.case.stage_tab import StageTab
from ui.drafts import Draftable
from ui.widgets.form import ErrorLabel

EXPORT_ROLES = frozenset({"manager", "administrator"})


class CaseWorkspace(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, role: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.title = ""
        self.overview = OverviewTab(bridge, case_id, self)
        self.person = PersonTab(bridge, case_id, self)
        self.stage = StageTab(bridge, case_id, role, self)
        self.consent = ConsentTab(bridge, case_id, self)
        self.notes = NotesTab(bridge, case_id, self)
        self.attachments = AttachmentsTab(bridge, case_id, self)
        self.history = HistoryTab(bridge, case_id, self)
        self.tabs = QTabWidget(self)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)  # a narrow window: "…", not cut
        for widget, label in ((self.overview, _("&Overview")), (self.person, _("&Person")),
                              (self.stage, _("&Stage")), (self.consent, _("&Consent")),
                              (self.notes, _("&Notes")), (self.attachments, _("A&ttachments")),
                              (self.history, _("&History"))):
            self.tabs.addTab(widget, label)
        self.problem = ErrorLabel(self)
        box = QVBoxLayout(self)
        box.addWidget(self.problem)
        self.export_button: QPushButton | None = None
        self.refer_button: QPushButton | None = None
        row = QHBoxLayout()
        row.addStretch(1)
        if forms.may_refer(role):  # a referral is casework, its package an export
            self.refer_button = QPushButton(_("&Refer to an organisation…"), self)
            self.refer_button.clicked.connect(self.refer)
            row.addWidget(self.refer_button)
        if role in EXPORT_ROLES:  # identified exports are for managers (ARCHITECTURE §7)
            self.export_button = QPushButton(_("E&xport the case summary…"), self)
            self.export_button.clicked.connect(self.export_summary)
            row.addWidget(self.export_button)
        if row.count() > 1:
            box.addLayout(row)
        box.addWidget(self.tabs)
        self._drafted: dict[str, Draftable] = {"person": self.person, "notes": self.notes,
                                               "stage": self.stage}
        bridge.changed.connect(self._changed)
        self.reload()

    def refer(self) -> ReferralPackageDialog:
        dialog = ReferralPackageDialog(self.bridge, self.case_id, self)
        dialog.open()
        return dialog

    def export_summary(self) -> ExportSummaryDialog:
        dialog = ExportSummaryDialog(self.bridge, self.case_id, self)
        dialog.open()
        return dialog

    def reload(self) -> None:
        self.bridge.call(lambda s: s.cases.show(self.case_id), self._show, self._failed)
        for tab in (self.overview, self.consent, self.notes, self.attachments, self.history):
            tab.refresh()

    def _show(self, doc: dict[str, Any]) -> None:
        self.title = str(doc.get("hfz_CaseNumber", ""))
        for tab in (self.overview, self.person, self.stage):
            tab.show_case(doc)

    def _failed(self, exc: BaseException) -> None:
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("The case could not be opened."))

    def _changed(self, changes: Any) -> None:
        if self.case_id in getattr(changes, "cases", ()):
            self.reload()

    # -- drafts ---------------------------------------------------------------------------
    def drafts(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part, tab in self._drafted.items():
            draft = tab.draft()
            if draft is not None:
                found[f"case:{self.case_id}:{part}"] = draft
        return found

    def restore(self, drafts: dict[str, dict[str, Any]]) -> None:
        for part, tab in self._drafted.items():
            draft = drafts.get(f"case:{self.case_id}:{part}")
            if draft is not None:
                tab.restore(draft)

    def has_unsaved(self) -> bool:
        return bool(self.drafts())

    def close_down(self) -> None:
        self.bridge.changed.disconnect(self._changed)
