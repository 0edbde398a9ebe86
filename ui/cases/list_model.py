"""The case list as a windowed Qt model: it knows how many cases match, and fetches the page
of 200 that holds a row only when the view shows that row — by keyset from the page before,
or, when the view jumps far (a scrollbar dragged to row 50,000), by its position, which reads
only the sort's index. Sorting and filtering are the service's; at most ``KEEP_PAGES`` pages
stay in memory, so 100,000 cases never sit in the window at once."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from caseapp.i18n import _, formatting
from caseapp.services import forms
from caseapp.services.cases import CaseFilter, CasePage, CaseSummary
from ui.bridge import Bridge
from ui.language import isolate_ltr, urdu_font

PAGE = 200
KEEP_PAGES = 40
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
    page_arrived = Signal(int)  # a page index (tests and the benchmark wait on it)

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.total = 0
        self.sort_key = "updated"
        self.descending = True
        self.where = CaseFilter()
        self._pages: OrderedDict[int, list[CaseSummary]] = OrderedDict()
        self._keys: dict[int, tuple[Any, ...]] = {}  # page → key of its last row
        self._pending: set[int] = set()
        self._generation = 0
        self._counting = True  # the first page after a reload also resets the row count
        # Until the user's saved sort is known, the view's own first sort only records it.
        self.suspended = True

    # -- Qt's table interface --------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return column_title(COLUMNS[section][0])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid() and \
                COLUMNS[index.column()][0] == "urdu":
            return urdu_font()  # Nastaliq in any interface language
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                                Qt.ItemDataRole.UserRole):
            return None
        case = self.summary(index.row())
        if case is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == 1 else None
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

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = COLUMNS[column][1]
        if sort is None:
            return
        if self.suspended:
            self.sort_key, self.descending = sort, order == Qt.SortOrder.DescendingOrder
            return
        self.reload(sort=sort, descending=order == Qt.SortOrder.DescendingOrder)

    # -- rows ---------------------------------------------------------------------------
    def summary(self, row: int) -> CaseSummary | None:
        """The case at ``row``, or None while its page is on its way (it is asked for)."""
        if not 0 <= row < self.total:
            return None
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        return rows[row % PAGE] if row % PAGE < len(rows) else None

    def case_id(self, row: int) -> str:
        case = self.summary(row)
        if case is None:
            raise LookupError(row)
        return case.id

    def loaded(self) -> list[CaseSummary]:
        """The rows in memory, in list order (tests)."""
        return [case for page in sorted(self._pages) for case in self._pages[page]]

    @property
    def loading(self) -> bool:
        return bool(self._pending)

    # -- loading ------------------------------------------------------------------------
    def reload(self, *, sort: str | None = None, descending: bool | None = None,
               where: CaseFilter | None = None) -> None:
        """Start again from the first page: a new sort or filter (the view goes back to the
        top), or — with no argument — the cases changed (the view stays where it is)."""
        restart = sort is not None or descending is not None or where is not None
        self.sort_key = sort or self.sort_key
        self.descending = self.descending if descending is None else descending
        self.where = self.where if where is None else where
        self._generation += 1
        self._pages.clear()
        self._keys.clear()
        self._pending.clear()
        self._counting = True
        if restart:
            self.beginResetModel()
            self.total = 0
            self.endResetModel()
        self._request(0)

    def _request(self, page: int) -> None:
        if page in self._pending:
            return
        self._pending.add(page)
        generation = self._generation
        after = self._keys.get(page - 1) if page else None
        at = page * PAGE if page and after is None else None
        sort, descending, where = self.sort_key, self.descending, self.where
        self.bridge.call(lambda s: s.cases.list(PAGE, after, sort=sort, descending=descending,
                                                where=where, at=at),
                         lambda result: self._arrived(generation, page, result),
                         lambda exc: self._pending.discard(page)
                         if generation == self._generation else None)

    def _arrived(self, generation: int, page: int, result: CasePage) -> None:
        if generation != self._generation:
            return  # an answer to a sort, filter or state the user has since left
        self._pending.discard(page)
        self._pages[page] = result.cases
        if result.next is not None:
            self._keys[page] = result.next
        while len(self._pages) > KEEP_PAGES:
            self._pages.popitem(last=False)
        if self._counting and page == 0:
            self._counting = False
            if result.total != self.total:
                self.beginResetModel()
                self.total = result.total
                self.endResetModel()
            self.counted.emit(self.total)
        first = page * PAGE
        last = min(first + PAGE, self.total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_arrived.emit(page)

    def clear(self) -> None:
        """Forget every row (the profile locks)."""
        self._generation += 1
        self.beginResetModel()
        self._pages.clear()
        self._keys.clear()
        self._pending.clear()
        self.total = 0
        self.endResetModel()
