"""A list or table row's text in Nastaliq, shaped by HarfBuzz (``nastaliq_text``): for
``NastaliqStyle`` and the case list's Urdu-name delegate, which draws in the English
interface too, where the style is not installed."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QWidget

from ui.widgets.nastaliq_text import fitted
from ui.widgets.script import base_rtl


def draw_item_text(painter: QPainter, option: QStyleOptionViewItem, rect: QRectF,
                   style: QStyle, widget: QWidget | None) -> None:
    """A row's text in ``rect`` as the item view would draw it — elided to fit, in the
    selected or normal text colour — but shaped by HarfBuzz, its ink kept inside the cell.
    ``NastaliqStyle`` draws every list row in Nastaliq with it, the case list's Urdu-name
    delegate its column."""
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
    box = rect.adjusted(margin, 0, -margin, 0)
    rtl = base_rtl(option.text, option.direction == Qt.LayoutDirection.RightToLeft)
    alignment = QStyle.visualAlignment(option.direction, option.displayAlignment)
    drawn, where = fitted(option.text, option.font, box, rtl, alignment)
    group = QPalette.ColorGroup.Normal if option.state & QStyle.StateFlag.State_Enabled \
        else QPalette.ColorGroup.Disabled
    if group == QPalette.ColorGroup.Normal and \
            not option.state & QStyle.StateFlag.State_Active:
        group = QPalette.ColorGroup.Inactive
    role = QPalette.ColorRole.HighlightedText \
        if option.state & QStyle.StateFlag.State_Selected else QPalette.ColorRole.Text
    painter.save()
    painter.setClipRect(option.rect)
    drawn.draw(painter, where, alignment, option.palette.color(group, role))
    painter.restore()
