"""The navigation: my cases, all cases, the screening queue, referrals, follow-ups due — each
a filter of the case list, with its count (part 2 of the desktop gives them screens)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from caseapp.i18n import N_, _, formatting
from caseapp.services.app import Services
from caseapp.services.cases import CaseFilter
from ui.bridge import Bridge

ENTRIES: tuple[tuple[str, str], ...] = (
    ("mine", N_("My cases")), ("all", N_("All cases")), ("screening", N_("Screening queue")),
    ("referral", N_("Referrals")), ("follow_up", N_("Follow-ups due")))


def entry_filter(key: str, user_id: str) -> CaseFilter:
    if key == "mine":
        return CaseFilter(owner=user_id)
    if key == "all":
        return CaseFilter()
    return CaseFilter(stage=key)


class Navigation(QListWidget):
    chosen = Signal(object)  # a CaseFilter

    def __init__(self, bridge: Bridge, user_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.user_id = user_id
        self.setAccessibleName(_("Navigation"))
        self.setMinimumWidth(190)
        self.setMaximumWidth(280)
        for key, label in ENTRIES:
            item = QListWidgetItem(_(label))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.addItem(item)
        self.currentItemChanged.connect(self._changed)

    def _changed(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.chosen.emit(entry_filter(str(item.data(Qt.ItemDataRole.UserRole)),
                                          self.user_id))

    def refresh_counts(self) -> None:
        user_id = self.user_id

        def count(s: Services) -> dict[str, int]:
            return {key: s.cases.count(entry_filter(key, user_id)) for key, _l in ENTRIES}
        self.bridge.call(count, self._show_counts, lambda e: None)

    def _show_counts(self, counts: dict[str, int]) -> None:
        for row, (key, label) in enumerate(ENTRIES):
            self.item(row).setText(_("%(entry)s (%(count)s)", entry=_(label),
                                     count=formatting.number(counts.get(key, 0))))
