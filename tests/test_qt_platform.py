"""The Qt binding itself: PySide6 6.12.0 on Python 3.11 dropped a reference to None for every
Python override that returned None, until None was freed and the interpreter aborted (the
desktop's tests crashed that way). pyproject pins a release without the bug; this catches a
pin moved back onto it."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView


class _Model(QAbstractTableModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 500

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 4

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        return "x" if role == Qt.ItemDataRole.DisplayRole else None  # None, many times

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = 0) -> object:
        return None


def test_overrides_returning_none_keep_nones_reference_count() -> None:
    app = QApplication.instance() or QApplication([])
    view = QTableView()
    model = _Model()
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    app.processEvents()
    before = sys.getrefcount(None)
    for _ in range(100):
        view.scrollToBottom()
        view.scrollToTop()
        app.processEvents()
    # thousands of calls returned None: a leak of one reference each would show here
    assert sys.getrefcount(None) > before - 100
