"""Tooltips in Nastaliq: in the Urdu interface a tooltip is shown in a small popup of our own
holding a ``Label`` (Nastaliq shaped by HarfBuzz), because Qt's tooltip label draws its text
with Qt's own engine, whose Nastaliq is broken (``ui.widgets.nastaliq_text``), and sizes it
with Qt's wrong widths — so Qt's tooltips keep Naskh (``ui.language``).

An application event filter takes the tooltip events whose text wants Nastaliq: a widget's
``toolTip()``, an item view's ``ToolTipRole`` and a tab's tooltip. The popup is placed as
Qt places its own (below the cursor, to the right of it, or to the left in a right-to-left
layout), inside the screen, and hidden as Qt hides its own: when the pointer leaves the
widget (or the item) it belongs to, on a click, a key, the wheel, after its time, or when
the widget goes. Other tooltips (English ones, Pashto and Dari in Naskh) stay Qt's."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import (
    QGuiApplication,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyleOptionFrame,
    QTabBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ui.widgets.label import Label
from ui.widgets.script import wants_nastaliq

_OFFSET = QPoint(2, 16)  # from the cursor, as Qt's tooltips
_WIDTH = 360  # the text wraps beyond this width, as a short paragraph
_HIDE_ON = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
            QEvent.Type.KeyPress, QEvent.Type.Wheel, QEvent.Type.WindowDeactivate)
_OWNER_GONE = (QEvent.Type.Leave, QEvent.Type.Hide, QEvent.Type.WindowBlocked)


def display_ms(text: str) -> int:
    """How long a tooltip stays, as Qt's: ten seconds, longer for a long text."""
    return 10_000 + 40 * max(0, len(text) - 100)


class TipPopup(QWidget):
    """The popup: the tooltip's panel as the style draws it, the text in a ``Label``."""

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setObjectName("nastaliq_tooltip")
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.label = Label(self)
        self.label.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.box = QVBoxLayout(self)
        margin = 1 + self.style().pixelMetric(QStyle.PixelMetric.PM_ToolTipLabelFrameWidth,
                                              None, self)
        self.box.setContentsMargins(margin + 2, margin, margin + 2, margin)
        self.box.addWidget(self.label)

    def set_text(self, text: str) -> None:
        """One line, or lines of ``_WIDTH`` when one line would be wider."""
        self.label.setMinimumWidth(0)
        self.label.setMaximumWidth(16_777_215)
        self.label.setWordWrap(False)
        self.label.setText(text)
        if self.label.sizeHint().width() > _WIDTH:
            self.label.setWordWrap(True)
            self.label.setFixedWidth(_WIDTH)
        self.setAccessibleName(text)
        self.box.activate()
        self.resize(self.sizeHint())

    def place(self, cursor: QPoint) -> None:
        """Below the cursor and after it in the reading direction, kept inside the screen
        (the other side of the cursor where there is no room)."""
        screen = QGuiApplication.screenAt(cursor) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        size = self.size()
        rtl = QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
        x = cursor.x() - _OFFSET.x() - size.width() if rtl else cursor.x() + _OFFSET.x()
        y = cursor.y() + _OFFSET.y()
        if x + size.width() > area.right() + 1:
            x = cursor.x() - _OFFSET.x() - size.width()
        if x < area.left():
            x = cursor.x() + _OFFSET.x()
        if y + size.height() > area.bottom() + 1:
            y = cursor.y() - 8 - size.height()
        x = max(area.left(), min(x, area.right() + 1 - size.width()))
        y = max(area.top(), min(y, area.bottom() + 1 - size.height()))
        self.move(x, y)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        option = QStyleOptionFrame()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelTipLabel, option, painter,
                                   self)
        painter.end()


def tip_of(widget: QWidget, pos: QPoint) -> tuple[str, QRect]:
    """The tooltip ``widget`` would show at ``pos`` (its own coordinates) and the rect, in the
    same coordinates, it belongs to ("" when it has none)."""
    view = widget.parent()
    if isinstance(view, QAbstractItemView) and widget is view.viewport():
        if isinstance(view, QHeaderView):
            section = view.logicalIndexAt(pos)
            model = view.model()
            if section < 0 or model is None:
                return "", QRect()
            text = model.headerData(section, view.orientation(), Qt.ItemDataRole.ToolTipRole)
            start = view.sectionViewportPosition(section)
            size = view.sectionSize(section)
            rect = QRect(start, 0, size, widget.height()) \
                if view.orientation() == Qt.Orientation.Horizontal \
                else QRect(0, start, widget.width(), size)
            return (text if isinstance(text, str) else ""), rect
        index = view.indexAt(pos)
        if not index.isValid():
            return "", QRect()
        text = index.data(Qt.ItemDataRole.ToolTipRole)
        return (text if isinstance(text, str) else ""), view.visualRect(index)
    if isinstance(widget, QTabBar):
        tab = widget.tabAt(pos)
        return (widget.tabToolTip(tab), widget.tabRect(tab)) if tab >= 0 else ("", QRect())
    return widget.toolTip(), widget.rect()


class NastaliqTips(QObject):
    """The application event filter that shows the Urdu interface's tooltips in ``popup``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.popup: TipPopup | None = None
        self.owner: QWidget | None = None
        self.area = QRect()  # where the tip belongs, in the owner's coordinates
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.hide)

    def shown(self) -> bool:
        return self.popup is not None and self.popup.isVisible()

    def show_tip(self, owner: QWidget, text: str, area: QRect, cursor: QPoint) -> None:
        if self.popup is None:
            self.popup = TipPopup()
        if self.owner is not owner:
            self._forget_owner()
            self.owner = owner
            owner.destroyed.connect(self.hide)
        self.area = area
        self.popup.setLayoutDirection(QApplication.layoutDirection())
        self.popup.set_text(text)
        self.popup.place(cursor)
        self.popup.show()
        self.popup.raise_()
        self.timer.start(display_ms(text))

    def hide(self) -> None:
        self.timer.stop()
        self._forget_owner()
        if self.popup is not None and isValid(self.popup):
            self.popup.hide()
            self.popup.label.clear()  # nothing a case said is left in a hidden widget
            self.popup.setAccessibleName("")

    def _forget_owner(self) -> None:
        if self.owner is not None and isValid(self.owner):
            self.owner.destroyed.disconnect(self.hide)
        self.owner = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.ToolTip:
            return self._tooltip(watched, event)
        if not self.shown():
            return False
        if kind in _HIDE_ON or watched is self.owner and (
                kind in _OWNER_GONE or self._moved_off(event)):
            self.hide()
        return False

    def _moved_off(self, event: QEvent) -> bool:
        """The pointer moved off the part of the owner the tip belongs to (an item)."""
        return event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent) and \
            not self.area.contains(event.position().toPoint())

    def _tooltip(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, QWidget) or not isinstance(event, QHelpEvent):
            return False
        text, area = tip_of(watched, event.pos())
        if not text or not wants_nastaliq(QApplication.font(), text):
            if self.shown() and watched is self.owner:
                self.hide()  # moved onto a part without a Nastaliq tip: Qt's turn
            return False
        self.show_tip(watched, text, area, event.globalPos())
        event.accept()
        return True


_installed: list[NastaliqTips] = []


def install(app: QApplication) -> NastaliqTips:
    if not _installed:
        _installed.append(NastaliqTips(app))
        app.installEventFilter(_installed[0])
    return _installed[0]
