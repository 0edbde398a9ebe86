"""The overview: who and where the case stands, and its timeline — each change, newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QListWidget, QVBoxLayout, QWidget

from caseapp.i18n import _, formatting
from caseapp.services import forms
from ui.bridge import Bridge
from ui.case.history_tab import record_label
from ui.language import isolate_ltr, urdu_font
from ui.widgets.label import Label


def timeline_text(entry: dict[str, Any], first: bool) -> str:
    """One line of the timeline; ``first``: the record's first change (it was added)."""
    what = record_label(str(entry["record_type"]))
    when = formatting.timestamp(int(entry["at"]))
    if first:
        return _("%(when)s: %(what)s added", when=when, what=what)
    if entry["kind"] != "upsert":
        return _("%(when)s: %(what)s removed", when=when, what=what)
    if not entry["fields"]:  # fields the user's role may not read are not named
        return _("%(when)s: %(what)s changed", when=when, what=what)
    return _("%(when)s: %(what)s changed: %(fields)s", when=when, what=what,
             fields=", ".join(forms.field_label(f) for f in entry["fields"]))


class OverviewTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        facts = QFormLayout()
        self.number = Label(self)
        self.name = Label(self)
        self.name_urdu = Label(self)
        self.name_urdu.setFont(urdu_font())
        self.stage = Label(self)
        self.tracks = Label(self)
        for label, widget in ((_("Case number"), self.number), (_("Name"), self.name),
                              (_("Name in Urdu"), self.name_urdu), (_("Stage"), self.stage),
                              (_("Tracks"), self.tracks)):
            widget.setAccessibleName(label)
            facts.addRow(Label(label, self), widget)
        self.timeline = QListWidget(self)
        self.timeline.setAccessibleName(_("Timeline"))
        box = QVBoxLayout(self)
        box.addLayout(facts)
        box.addWidget(Label(_("Timeline"), self))
        box.addWidget(self.timeline, 1)

    def show_case(self, doc: dict[str, Any]) -> None:
        self.number.setText(isolate_ltr(str(doc.get("hfz_CaseNumber", ""))))
        self.name.setText(" ".join(str(doc[k]) for k in ("prs_FirstName", "prs_SecondName")
                                   if doc.get(k)))
        self.name_urdu.setText(str(doc.get("hfz_NameUrdu", "")))
        self.stage.setText(forms.stage_label(str(doc.get("hfz_Stage", ""))))
        self.tracks.setText(", ".join(doc.get("hfz_Tracks") or []))

    def refresh(self) -> None:
        self.bridge.call(lambda s: s.cases.history(self.case_id), self._show_timeline,
                         lambda e: None)

    def _show_timeline(self, entries: list[dict[str, Any]]) -> None:
        self.timeline.clear()
        seen: set[str] = set()
        lines = []
        for entry in entries:  # oldest first: the first change of a record added it
            lines.append(timeline_text(entry, entry["record_id"] not in seen))
            seen.add(str(entry["record_id"]))
        self.timeline.addItems(lines[::-1])
