"""Global search (Ctrl+F): results as you type — a name in either script, a CNIC or a case
number — in a list under the field; Enter or a click opens the case. The text typed is sent
to the service only (which never records it), never to a log."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from caseapp.i18n import _
from caseapp.services import forms
from caseapp.services.cases import CaseSummary
from ui.bridge import Bridge
from ui.language import isolate_ltr
from ui.widgets.line_edit import LineEdit

DEBOUNCE_MS = 40  # one pause between keystrokes; the budget is 100 ms to results
LIMIT = 20


class SearchBox(LineEdit):
    open_case = Signal(str)
    shown = Signal(int)  # results shown for the latest text (tests and the benchmark wait on it)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setPlaceholderText(_("Search: name, CNIC or case number (Ctrl+F)"))
        self.setAccessibleName(_("Search cases"))
        self.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        # every result is one line: sized once, not each (in Urdu each is shaped to measure)
        self.results.setUniformItemSizes(True)
        self.results.setWindowFlags(Qt.WindowType.ToolTip)
        self.results.setAccessibleName(_("Search results"))
        self.results.itemActivated.connect(self._open_item)
        self.results.itemClicked.connect(self._open_item)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self._asked = 0
        self._open_when_shown = False
        self.textEdited.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self._open_first)
        self.installEventFilter(self)

    def _search(self) -> None:
        text = self.text()
        self._asked += 1
        asked = self._asked
        if not text.strip():
            self._show(asked, [])
            return
        self.bridge.call(lambda s: s.cases.search(text, LIMIT),
                         lambda hits: self._show(asked, hits), lambda exc: self._show(asked, []))

    def _show(self, asked: int, hits: list[CaseSummary]) -> None:
        if asked != self._asked:
            return  # a result for text the user has already changed
        self.results.clear()
        for hit in hits:
            names = " — ".join(n for n in (hit.name, hit.name_urdu) if n)
            stage = forms.stage_label(hit.stage)
            item = QListWidgetItem(f"{isolate_ltr(hit.case_number)}   {names}   ({stage})")
            item.setData(Qt.ItemDataRole.UserRole, hit.id)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
            width = max(self.width(), 420)
            self.results.setFixedWidth(width)
            row = max(30, self.results.sizeHintForRow(0))  # a Nastaliq row is taller
            self.results.setFixedHeight(min(len(hits), 8) * row + 8)
            self.results.move(self.mapToGlobal(self.rect().bottomLeft()))
            self.results.show()
        else:
            self.results.hide()
        self.shown.emit(len(hits))
        if self._open_when_shown and hits:
            self._open_when_shown = False
            self._open_item(self.results.item(0))

    def _open_item(self, item: QListWidgetItem) -> None:
        self.results.hide()
        self.open_case.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _open_first(self) -> None:
        if self._timer.isActive():
            # Enter before the results came: open the first one when they do.
            self._timer.stop()
            self._open_when_shown = True
            self._search()
            return
        item = self.results.currentItem()
        if item is not None and self.results.isVisible():
            self._open_item(item)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self and isinstance(event, QKeyEvent) and \
                event.type() == QEvent.Type.KeyPress and self.results.isVisible():
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.results.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
                return True
            if key == Qt.Key.Key_Escape:
                self.results.hide()
                return True
        return super().eventFilter(watched, event)

    def forget(self) -> None:
        """Drop the text and the results (the profile locks)."""
        self._asked += 1
        self._timer.stop()
        self.clear()
        self.results.clear()
        self.results.hide()
