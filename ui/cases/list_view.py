"""The case list screen: filters (stage, track, type of exploitation, when last changed), the
count of matching cases, and the lazy table; a double click or Enter opens the case. The
columns' widths and the sort order are remembered per user, in the vault."""

from __future__ import annotations

import datetime
import json

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseapp.i18n import _, formatting, ngettext
from caseapp.services import forms
from caseapp.services.cases import CaseFilter
from ui.bridge import Bridge
from ui.cases.list_model import COLUMNS, CaseListModel
from ui.cases.urdu_delegate import UrduNameDelegate, row_height
from ui.language import urdu_font
from ui.widgets.flow_layout import FlowLayout
from ui.widgets.label import Label
from ui.widgets.spin_box import DateEdit

PREFERENCE = "case-list"
URDU_COLUMN = [key for key, _sort in COLUMNS].index("urdu")
_NO_DATE = QDate(2000, 1, 1)  # shown as "any": the earliest date means no limit


def _combo(parent: QWidget, name: str, items: list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    # as wide as a short choice, not the longest (its list shows them whole): the bar of
    # five filters would otherwise make the window wider than a 1280-pixel screen
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.addItem(_("Any"), None)
    for code, label in items:
        combo.addItem(label, code)
    return combo


def _date_edit(parent: QWidget, name: str) -> DateEdit:
    edit = DateEdit(parent)
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setMinimumDate(_NO_DATE)
    edit.setSpecialValueText(_("any"))
    edit.setDate(_NO_DATE)
    return edit


def _ms(date: QDate) -> int | None:
    if date == _NO_DATE:
        return None
    moment = datetime.datetime(date.year(), date.month(), date.day()).astimezone()
    return int(moment.timestamp() * 1000)


class CaseListView(QWidget):
    open_case = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.base = CaseFilter()  # what the navigation chose (my cases, screening queue…)
        self.model = CaseListModel(bridge)
        self.stage = _combo(self, _("Stage"), [(s, forms.stage_label(s)) for s in forms.STAGES])
        self.track = _combo(self, _("Track"), [("TIP", _("Trafficking in persons")),
                                               ("SOM", _("Smuggling of migrants"))])
        self.exploitation = _combo(self, _("Type of exploitation"),
                                   forms.choices("vic_TypeOfExploitation"))
        self.changed_from = _date_edit(self, _("Changed from"))
        self.changed_to = _date_edit(self, _("Changed before"))
        self.count = Label(self)
        self.count.setAccessibleName(_("Matching cases"))
        # each filter beside its caption; the filters wrap onto more rows in a narrow window
        bar = FlowLayout()
        for label, widget in ((_("Stage"), self.stage), (_("Track"), self.track),
                              (_("Exploitation"), self.exploitation),
                              (_("Changed from"), self.changed_from),
                              (_("before"), self.changed_to)):
            pair = QWidget(self)
            row = QHBoxLayout(pair)
            row.setContentsMargins(0, 0, 0, 0)
            caption = Label(label, pair)
            caption.setBuddy(widget)
            widget.setParent(pair)
            row.addWidget(caption)
            row.addWidget(widget)
            bar.addWidget(pair)
        for combo in (self.stage, self.track, self.exploitation):
            combo.currentIndexChanged.connect(self.apply_filter)
        for edit in (self.changed_from, self.changed_to):
            edit.dateChanged.connect(self.apply_filter)

        self.table = QTableView(self)
        self.table.setAccessibleName(_("Cases"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._restored = False  # nothing is remembered before the saved settings are applied
        self.table.horizontalHeader().setSortIndicator(len(COLUMNS) - 1,
                                                       Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        # the Urdu names in Nastaliq (HarfBuzz), in rows tall enough for its letters
        self.urdu_names = UrduNameDelegate(self.table)
        self.table.setItemDelegateForColumn(URDU_COLUMN, self.urdu_names)
        self.table.verticalHeader().setDefaultSectionSize(row_height(urdu_font()))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.sortIndicatorChanged.connect(lambda _c, _o: self._remember())
        header.sectionResized.connect(lambda _i, _o, _n: self._remember())
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        self.model.counted.connect(self._show_count)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(600)
        self._save_timer.timeout.connect(self._save)

        box = QVBoxLayout(self)
        box.addLayout(bar)
        box.addWidget(self.count)
        box.addWidget(self.table)

    # -- filters ------------------------------------------------------------------------
    def filter(self) -> CaseFilter:
        return CaseFilter(
            stage=self.stage.currentData() or self.base.stage, owner=self.base.owner,
            track=self.track.currentData(), exploitation=self.exploitation.currentData(),
            changed_from=_ms(self.changed_from.date()),
            changed_to=_ms(self.changed_to.date().addDays(1))
            if self.changed_to.date() != _NO_DATE else None)

    def show_base(self, base: CaseFilter) -> None:
        """Show the cases of a navigation entry (its filter, narrowed by the bar's)."""
        self.base = base
        self.apply_filter()

    def apply_filter(self) -> None:
        self.model.reload(where=self.filter())

    def _show_count(self, total: int) -> None:
        self.count.setText(ngettext("%(count)s case", "%(count)s cases", total,
                                    count=formatting.number(total)))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_case.emit(self.model.case_id(index.row()))

    # -- remembered per user ------------------------------------------------------------
    def restore_settings(self) -> None:
        def apply(saved: str | None) -> None:
            settings = json.loads(saved) if saved else {}
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            # first use: room for a whole case number and a name, in the interface's font
            widths = settings.get("widths") or [w * self.fontMetrics().averageCharWidth()
                                                for w in (24, 22, 18, 16, 22)]
            for i, width in enumerate(widths[:len(COLUMNS)]):
                header.resizeSection(i, int(width))
            column = int(settings.get("sort_column", -1))
            if not 0 <= column < len(COLUMNS) or COLUMNS[column][1] is None:
                column = len(COLUMNS) - 1  # last change, newest first
            order = Qt.SortOrder(int(settings.get("sort_order", 1)))
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            self._restored = True
            self.model.suspended = False
            self.model.sort(column, order)
        def fall_back(_exc: BaseException) -> None:
            self.model.suspended = False
            self.model.reload()
        self.bridge.call(lambda s: s.drafts.preference(PREFERENCE), apply, fall_back)

    def _remember(self) -> None:
        if self._restored:
            self._save_timer.start()  # a drag of a column edge: save once, at its end

    def _save(self) -> None:
        header = self.table.horizontalHeader()
        settings = json.dumps({"widths": [header.sectionSize(i) for i in range(len(COLUMNS))],
                               "sort_column": header.sortIndicatorSection(),
                               "sort_order": header.sortIndicatorOrder().value})
        self.bridge.call(lambda s: s.drafts.set_preference(PREFERENCE, settings),
                         failed=lambda exc: None)

    def close_down(self) -> None:
        """The profile locks: settings not yet saved are dropped with the view."""
        self._save_timer.stop()
        self._restored = False
