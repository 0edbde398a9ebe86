"""``FlowLayout``: items side by side, wrapped onto further rows when the width runs out (as
words on a line), from the right in a right-to-left layout.

The case list's five filters in one row asked for 1,030 pixels in Urdu: the window could not
be made narrower than 1,240 (half a laptop screen, or a 1,024-pixel one, cut it off). Wrapped,
the narrowest window is the widest single filter's.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QStyle, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []

    # -- QLayout's item list ----------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # -- sizes --------------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:  # noqa: N802
        # one row of everything, as wide as it likes to be
        hints = [item.sizeHint() for item in self._items]
        width = sum(h.width() for h in hints) + self._gap() * max(len(hints) - 1, 0)
        height = max((h.height() for h in hints), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size.grownBy(self.contentsMargins())

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    # -- placing ------------------------------------------------------------------------------
    def _gap(self) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        parent = self.parentWidget()
        style = parent.style() if parent is not None else None
        if style is None:
            return 6
        return style.pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing, None, parent)

    def _place(self, rect: QRect, *, move: bool) -> int:
        """Lay the items out in ``rect`` (only measure when not ``move``); the height used.

        A row takes items while their minimum widths fit; the room left is shared among them
        up to their preferred widths (a row a few pixels short of its hints stays one row)."""
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        gap = self._gap()
        items = [item for item in self._items if not item.isEmpty()]
        y = area.y()
        while items:
            row = [items.pop(0)]
            used = row[0].minimumSize().width()
            while items and used + gap + items[0].minimumSize().width() <= area.width():
                used += gap + items[0].minimumSize().width()
                row.append(items.pop(0))
            wanted = sum(max(i.sizeHint().width() - i.minimumSize().width(), 0) for i in row)
            share = min(1.0, (area.width() - used) / wanted) if wanted > 0 else 0.0
            height = max(i.sizeHint().height() for i in row)
            x = area.x()
            for item in row:
                low = item.minimumSize().width()
                high = max(item.sizeHint().width(), low)
                width = min(low + int((high - low) * share), area.width())
                if move:  # centred in its row, as a box layout's would be
                    tall = min(item.sizeHint().height(), height)
                    box = QRect(QPoint(x, y + (height - tall) // 2), QSize(width, tall))
                    # mirrored in a right-to-left layout: the first filter at the right
                    item.setGeometry(QStyle.visualRect(self._direction(), area, box))
                x += width + gap
            y += height + gap
        return max(y - gap, area.y()) - rect.y() + margins.bottom()

    def _direction(self) -> Qt.LayoutDirection:
        parent = self.parentWidget()
        return parent.layoutDirection() if parent is not None else Qt.LayoutDirection.LeftToRight
