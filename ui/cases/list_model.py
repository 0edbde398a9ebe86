"""The case list as a lazy Qt model: pages of cases are fetched on the database thread as the
view scrolls (keyset pages, so row 50,000 costs what row 50 does), sorted and filtered by the
service, never by the model, so 100,000 cases never sit in memory at once."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from caseapp.i18n import _, formatting
from caseapp.services import forms
from caseapp.services.cases import CaseFilter, CasePage, CaseSummary
from ui.bridge import Bridge
from ui.language import isolate_ltr

PAGE = 200
Index = QModelIndex | QPersistentModelIndex

# column → the service's sort order for it (None: the column cannot be sorted)
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("number", None), ("name", "name"), ("urdu", None), ("stage", "stage"),
    ("updated", "updated"))


def column_title(key: str) -> str:
    return {"number": _("Case number"), "name": _("Name"), "urdu": _("Name in Urdu"),
            "stage": _("Stage"), "updated": _("Last change")}[key]


class CaseListModel(QAbstractTableModel):
    counted = Signal(int)  # how many cases match the filter

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.rows: list[CaseSummary] = []
        self.total = 0
        self.sort_key = "updated"
        self.descending = True
        self.where = CaseFilter()
        self._next: tuple[Any, ...] | None = None
        self._loading = False
        self._generation = 0

    # -- Qt's table interface --------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return column_title(COLUMNS[section][0])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                                Qt.ItemDataRole.UserRole):
            return None
        case = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return case.id
        key = COLUMNS[index.column()][0]
        if key == "number":
            return isolate_ltr(case.case_number)
        if key == "name":
            return case.name
        if key == "urdu":
            return case.name_urdu
        if key == "stage":
            return forms.stage_label(case.stage)
        return formatting.timestamp(case.updated_at)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._next is not None and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._fetch()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = COLUMNS[column][1]
        if sort is None:
            return
        self.reload(sort=sort, descending=order == Qt.SortOrder.DescendingOrder)

    # -- loading ------------------------------------------------------------------------
    def reload(self, *, sort: str | None = None, descending: bool | None = None,
               where: CaseFilter | None = None) -> None:
        """Start again from the first page (a new sort or filter, or the cases changed)."""
        self.sort_key = sort or self.sort_key
        self.descending = self.descending if descending is None else descending
        self.where = self.where if where is None else where
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self._next = None
        self.endResetModel()
        self._fetch()

    def _fetch(self) -> None:
        self._loading = True
        generation, after = self._generation, self._next
        sort, descending, where = self.sort_key, self.descending, self.where
        self.bridge.call(lambda s: s.cases.list(PAGE, after, sort=sort, descending=descending,
                                                where=where),
                         lambda page: self._append(generation, page),
                         lambda exc: self._stopped(generation))

    def _stopped(self, generation: int) -> None:
        if generation == self._generation:
            self._loading = False

    def _append(self, generation: int, page: CasePage) -> None:
        if generation != self._generation:
            return  # an answer to a sort or filter the user has since replaced
        self._loading = False
        first_page = not self.rows
        if page.cases:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.cases) - 1)
            self.rows.extend(page.cases)
            self.endInsertRows()
        self._next = page.next
        if first_page or page.total != self.total:
            self.total = page.total
            self.counted.emit(page.total)

    def case_id(self, row: int) -> str:
        return self.rows[row].id

    def clear(self) -> None:
        """Forget every row (the profile locks)."""
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self._next = None
        self.total = 0
        self.endResetModel()

