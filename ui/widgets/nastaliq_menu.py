"""A menu item's label in Nastaliq, for ``NastaliqStyle`` (menus, context menus, the toolbar's
overflow menu): the platform style draws the item — highlight, check mark, icon, shortcut text,
submenu arrow — without its label, and the label is drawn here, shaped by HarfBuzz, where the
style would have put it, right to left in a right-to-left menu, its mnemonic underlined."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOptionMenuItem, QWidget

from ui.widgets.nastaliq_text import ShapedText, fitted
from ui.widgets.script import base_rtl, mnemonic, wants_nastaliq

_Item = QStyleOptionMenuItem.MenuItemType
_LABELLED = (_Item.Normal, _Item.DefaultItem, _Item.SubMenu)
_OFFSETS: dict[tuple[object, ...], int] = {}


def menu_label(option: QStyleOptionMenuItem) -> tuple[str, str]:
    """(label, shortcut text) of a menu item: QMenu puts both in ``text``, a tab between."""
    label, _tab, shortcut = option.text.partition("\t")
    return label, shortcut


def draws_label(option: QStyleOptionMenuItem) -> bool:
    return option.menuItemType in _LABELLED and wants_nastaliq(option.font,
                                                               menu_label(option)[0])


def label_offset(style: QProxyStyle, option: QStyleOptionMenuItem,
                 widget: QWidget | None) -> int:
    """How far from the item's leading edge the style starts the label. Styles compute it
    from margins of their own (the check column, the widest icon, the item's height), so it
    is found by drawing: once per kind of item, left to right, without a label and with one
    upright stroke ("l") for label — the first column where the two differ."""
    key = (style.baseStyle().name(), option.rect.height(), option.maxIconWidth,
           option.menuHasCheckableItems, option.checkType, option.icon.isNull(),
           option.font.key())
    if key not in _OFFSETS:
        probe = QStyleOptionMenuItem(option)
        probe.direction = Qt.LayoutDirection.LeftToRight
        probe.rect = QRect(0, 0, 400, option.rect.height())
        probe.state = QStyle.StateFlag.State_Enabled
        pictures = []
        for text in ("", "l"):
            probe.text = text
            image = QImage(probe.rect.size(), QImage.Format.Format_RGB32)
            image.fill(QColor(255, 255, 255))
            painter = QPainter(image)
            painter.setFont(option.font)
            style.baseStyle().drawControl(QStyle.ControlElement.CE_MenuItem, probe, painter,
                                          widget)
            painter.end()
            pictures.append(image)
        found = next((x for x in range(probe.rect.width()) for y in range(probe.rect.height())
                      if pictures[0].pixel(QPoint(x, y)) != pictures[1].pixel(QPoint(x, y))),
                     option.rect.height())
        _OFFSETS[key] = found
    return _OFFSETS[key]


def label_box(style: QProxyStyle, option: QStyleOptionMenuItem,
              widget: QWidget | None) -> QRectF:
    """Where the label goes: from the style's label start to the shortcut's column."""
    rect = option.rect
    offset = label_offset(style, option, widget)
    # What the style adds to a label's width for the item (the shortcut's column with it
    # when the item has a shortcut; the menu has that column for every item).
    empty = QStyleOptionMenuItem(option)
    empty.text = "\t" if "\t" in option.text else ""
    chrome = style.baseStyle().sizeFromContents(
        QStyle.ContentsType.CT_MenuItem, empty, QSize(1000, rect.height()), widget).width() - 1000
    width = rect.width() - chrome - (0 if empty.text else option.reservedShortcutWidth)
    x = rect.right() + 1 - offset - width \
        if option.direction == Qt.LayoutDirection.RightToLeft else rect.x() + offset
    return QRectF(x, rect.y(), max(1, width), rect.height())


def shaped_label(style: QProxyStyle, option: QStyleOptionMenuItem,
                 widget: QWidget | None) -> tuple[ShapedText, QRectF, Qt.AlignmentFlag, int]:
    """The label as drawn (elided if the menu is narrower than it), the box it is drawn in,
    its visual alignment and the index of its underlined mnemonic letter (-1: none)."""
    shown, index = mnemonic(menu_label(option)[0])
    font = QFont(option.font)
    if option.menuItemType == _Item.DefaultItem:
        font.setBold(True)
    rtl = base_rtl(shown, option.direction == Qt.LayoutDirection.RightToLeft)
    alignment = QStyle.visualAlignment(option.direction, Qt.AlignmentFlag.AlignLeft
                                       | Qt.AlignmentFlag.AlignVCenter)
    drawn, where = fitted(shown, font, label_box(style, option, widget), rtl, alignment)
    if drawn.text != shown or not style.styleHint(QStyle.StyleHint.SH_UnderlineShortcut,
                                                  option, widget):
        index = -1
    return drawn, where, alignment, index


def draw_menu_item(style: QProxyStyle, option: QStyleOptionMenuItem, painter: QPainter,
                   widget: QWidget | None) -> None:
    shortcut = menu_label(option)[1]
    plain = QStyleOptionMenuItem(option)
    plain.text = "\t" + shortcut if shortcut else ""
    style.baseStyle().drawControl(QStyle.ControlElement.CE_MenuItem, plain, painter, widget)
    drawn, where, alignment, index = shaped_label(style, option, widget)
    enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
    group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
    role = QPalette.ColorRole.HighlightedText \
        if enabled and option.state & QStyle.StateFlag.State_Selected \
        else QPalette.ColorRole.Text
    drawn.draw(painter, where, alignment, option.palette.color(group, role), index)
