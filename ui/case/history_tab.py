"""The case's history: every change to it and the records under it — when, which record,
which fields, from this device or another."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from caseapp.i18n import N_, _, formatting
from caseapp.services import forms
from ui.bridge import Bridge

RECORD_TYPES = {"case": N_("case"), "person": N_("person"), "note": N_("note"),
                "attachment": N_("attachment"), "consent": N_("consent"),
                "consent_withdrawal": N_("consent withdrawn"),
                "trafficking_event": N_("event")}


def record_label(kind: str) -> str:
    return _(RECORD_TYPES[kind]) if kind in RECORD_TYPES else kind


class HistoryTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.table = QTableWidget(0, 4, self)
        self.table.setAccessibleName(_("History"))
        self.table.setHorizontalHeaderLabels([_("When"), _("What"), _("Fields"), _("From")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        QVBoxLayout(self).addWidget(self.table)

    def refresh(self) -> None:
        self.bridge.call(lambda s: s.cases.history(self.case_id), self._show, lambda exc: None)

    def _show(self, entries: list[dict[str, Any]]) -> None:
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(reversed(entries)):
            origin = _("this device") if entry["origin"] == "local" else _("another device")
            for column, text in enumerate((formatting.timestamp(int(entry["at"])),
                                           record_label(str(entry["record_type"])),
                                           ", ".join(forms.field_label(f)
                                                     for f in entry["fields"]), origin)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
