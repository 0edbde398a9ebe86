"""The case list's "Name in Urdu" column: the name in Nastaliq shaped by HarfBuzz, in any
interface language, elided to the column's width, in rows tall enough for Nastaliq's letters.

Only the rows the view paints are shaped, each once: ``nastaliq_text.shaped`` keeps the last
few thousand in a bounded cache, so scrolling back and forth through 100,000 cases costs a
lookup per visible row, and memory stays flat."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.widgets.script import wants_nastaliq

# The shaping code (nastaliq_text, nastaliq_rows) is imported at the first row drawn: the
# window starts without it, as the English unlock screen needs none of it.

Index = QModelIndex | QPersistentModelIndex
# Room above and below the font's line for the Nastaliq letters that reach past it (up to a
# third of the size above, as the longest interface strings measure); a row does not grow
# for one tall name, so every row of the list has this height.
_INK_ROOM = 0.34


def row_height(font: QFont) -> int:
    """The height of a list row that holds Urdu in ``font`` (Nastaliq)."""
    from ui.widgets.nastaliq_text import shaped

    line = shaped("ا", font).height
    size = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72
    return math.ceil(line + 2 * _INK_ROOM * size)


class UrduNameDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.painted = 0  # rows drawn in Nastaliq (tests and the benchmark read it)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        if not wants_nastaliq(item.font, item.text):
            super().paint(painter, option, index)
            return
        from ui.widgets.nastaliq_rows import draw_item_text

        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is None:
            super().paint(painter, option, index)
            return
        plain = QStyleOptionViewItem(item)
        plain.text = ""  # the same text rect, without Qt shaping the name to find it
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, plain, widget)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, widget)
        draw_item_text(painter, item, QRectF(text_rect), style, widget)
        self.painted += 1

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        found = super().sizeHint(option, index)
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        if not wants_nastaliq(item.font, item.text):
            return found
        return QSize(found.width(), max(found.height(), row_height(item.font)))
