"""``LineEdit``: a QLineEdit whose Urdu is drawn in Nastaliq shaped by HarfBuzz while it is
typed (Qt's own drawing of Noto Nastaliq Urdu is broken, see ``ui.widgets.nastaliq_text``).

Only the drawing and the mouse change, and only while the field's font is the Nastaliq one,
its echo mode is Normal (a passphrase field stays Qt's) and its text (or, when empty, its
placeholder) holds Arabic letters. The text, the cursor position, the selection, undo,
copy and paste, the input method and every key stay QLineEdit's own, in logical positions;
this class draws them: the shaped text right to left (Latin and numbers in it in their
own order: Qt's bidi), the selection over the glyphs of its characters, the cursor between
HarfBuzz's clusters (``nastaliq_caret``), scrolled sideways to keep the cursor in view when
the text is longer than the field. A click or a drag puts the cursor, or the selection's
end, at the position nearest the mouse. The field is as tall as Nastaliq's ink needs.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QInputMethodEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QStyle,
    QStyleOptionFrame,
    QToolButton,
)

from caseapp.i18n import fonts
from ui.widgets.script import base_rtl, wants_nastaliq

if TYPE_CHECKING:
    from PySide6.QtGui import QFocusEvent

    from ui.widgets.nastaliq_text import ShapedText

_MARGIN_X, _MARGIN_Y = 2, 1  # QLineEdit's own room between its contents and the text
# Words whose Nastaliq reaches furthest above and below the line (from the Urdu catalogue):
# the field's height and its baseline are set by them, not by what is typed, so the text
# does not jump up and down while it is typed.
TALL_AND_DEEP = ("اس جائزے کی پہلے ہی تصحیح ہو چکی ہے", "کبھی نہیں", "سالِ پیدائش اندازاً",
                 "کسی دوسرے اندراج میں پہلے سے استعمال ہو رہا ہے", "آزاد جموں و کشمیر")
_WORD = re.compile(r"\S+")


def is_nastaliq(font: QFont) -> bool:
    return (font.families() or [font.family()])[0] == fonts.NASTALIQ


@lru_cache(maxsize=32)
def _room(font_key: str, font: QFont) -> tuple[float, float, float]:
    """(line height, ink above it, ink below it) that the field makes room for."""
    from ui.widgets.nastaliq_text import shaped

    drawn = [shaped(text, font) for text in TALL_AND_DEEP]
    return (max(d.height for d in drawn), max(d.margins().top() for d in drawn),
            max(d.margins().bottom() for d in drawn))


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _length(text: str) -> int:
    return len(_utf16(text)) // 2


class LineEdit(QLineEdit):
    """Made as a QLineEdit is: ``LineEdit(parent)`` or ``LineEdit(text, parent)``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._preedit = ""
        self._scroll = 0.0  # text x at the left edge of the text area when scrolled
        self._anchor = -1  # the fixed end of a mouse selection; -1: no drag
        self._caret_on = True
        self.painted = 0  # paints in Nastaliq (tests, the benchmark)
        self._blink = QTimer(self)
        self._blink.timeout.connect(self._toggle_caret)
        for signal in (self.textChanged, self.cursorPositionChanged, self.selectionChanged):
            signal.connect(self._changed)

    # -- what is drawn ------------------------------------------------------------------
    def shown_text(self) -> str:
        """The text as drawn: the field's text with the input method's composition at the
        cursor."""
        if not self._preedit:
            return self.text()
        units = _utf16(self.text())
        at = 2 * self.cursorPosition()
        return (units[:at].decode("utf-16-le") + self._preedit
                + units[at:].decode("utf-16-le"))

    def draws_nastaliq(self) -> bool:
        if self.echoMode() != QLineEdit.EchoMode.Normal:
            return False
        font = self.font()
        text = self.shown_text()
        return wants_nastaliq(font, text) if text else \
            wants_nastaliq(font, self.placeholderText())

    def _rtl(self, text: str) -> bool:
        return base_rtl(text, self.layoutDirection() == Qt.LayoutDirection.RightToLeft)

    def shaped(self) -> ShapedText:
        """The text as drawn (or the placeholder, elided, when there is no text)."""
        from ui.widgets import nastaliq_text

        text = self.shown_text()
        if text:
            return nastaliq_text.shaped(text, self.font(), self._rtl(text))
        placeholder = self.placeholderText()
        room = self._area()
        return nastaliq_text.elided(placeholder, self.font(), room.width(),
                                    self._rtl(placeholder))

    def _caret_position(self) -> int:
        """The cursor's position in ``shown_text`` (after the composition, if any)."""
        return self.cursorPosition() + _length(self._preedit)

    # -- geometry -----------------------------------------------------------------------
    def _area(self) -> QRectF:
        """Where the text goes: the contents (as QLineEdit lays them out: the style's
        contents rectangle less the text margins) without the side buttons (clear)."""
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        rect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        rect = rect.marginsRemoved(self.textMargins())
        left, right = rect.left(), rect.right()
        for child in self.findChildren(QToolButton, options=Qt.FindChildOption
                                       .FindDirectChildrenOnly):
            if not child.isVisible():
                continue
            box = child.geometry()
            if box.center().x() < rect.center().x():
                left = max(left, box.right() + 1)
            else:
                right = min(right, box.left() - 1)
        rect.setLeft(left)
        rect.setRight(right)
        return QRectF(rect).adjusted(_MARGIN_X, 0, -_MARGIN_X, 0)

    def _place(self, text: ShapedText, area: QRectF) -> tuple[float, float]:
        """Where the text's box starts in the widget (x, y), scrolled so the cursor shows."""
        from ui.widgets.nastaliq_caret import caret_x

        height, above, below = _room(self.font().key(), self.font())
        room = text.margins()
        above, below = max(above, room.top()), max(below, room.bottom())
        top = area.top() + (area.height() - (text.height + above + below)) / 2 + above
        top = max(top, area.top() + room.top())  # a field made too short: the top shows
        alignment = QStyle.visualAlignment(self.layoutDirection(), self.alignment())
        whole = room.left() + text.width + room.right()
        if whole <= area.width():
            if alignment & Qt.AlignmentFlag.AlignRight:
                x = area.width() - room.right() - text.width
            elif alignment & Qt.AlignmentFlag.AlignHCenter:
                x = (area.width() - text.width) / 2
            else:
                x = room.left()
            self._scroll = -x
        else:
            caret = caret_x(text, self._caret_position()) if self.shown_text() else 0.0
            if caret < self._scroll:
                self._scroll = caret
            elif caret > self._scroll + area.width() - 1:
                self._scroll = caret - area.width() + 1
            self._scroll = min(max(self._scroll, -room.left()),
                               text.width + room.right() - area.width())
            x = -self._scroll
        return area.left() + x, math.floor(top)

    def _layout(self) -> tuple[ShapedText, QRectF, QPointF]:
        area = self._area()
        text = self.shaped()
        x, y = self._place(text, area)
        return text, area, QPointF(x, y)

    def cursor_x(self) -> float:
        """Where the text cursor is drawn, in the widget's coordinates."""
        from ui.widgets.nastaliq_caret import caret_x

        text, area, origin = self._layout()
        if not self.shown_text():
            alignment = QStyle.visualAlignment(self.layoutDirection(), self.alignment())
            return area.right() if alignment & Qt.AlignmentFlag.AlignRight else area.left()
        return origin.x() + caret_x(text, self._caret_position())

    def _caret_rect(self) -> QRectF:
        text, _area, origin = self._layout()
        width = self.style().pixelMetric(QStyle.PixelMetric.PM_TextCursorWidth, None, self)
        return QRectF(round(self.cursor_x()) - width / 2, origin.y(), max(1, width),
                      text.height)

    def position_at(self, x: float) -> int:
        """The logical position (in ``text``) nearest to widget x ``x``."""
        from ui.widgets.nastaliq_caret import position_at

        if not self.text():
            return 0
        text, _area, origin = self._layout()
        return min(position_at(text, x - origin.x()), _length(self.text()))

    def ink_rect(self) -> QRectF:
        """Where the glyphs' outlines land in the widget (tests: inside the text area)."""
        text, _area, origin = self._layout()
        return text.outline(QRectF(origin.x(), origin.y(), text.width, text.height)) \
            .boundingRect()

    def text_area(self) -> QRectF:
        return self._area()

    # -- sizes --------------------------------------------------------------------------
    def _extra_height(self) -> int:
        """What Nastaliq's ink needs beyond the font's height, which QLineEdit sizes by."""
        if not is_nastaliq(self.font()):
            return 0
        height, above, below = _room(self.font().key(), self.font())
        needed = math.ceil(height + above + below)
        return max(0, needed - math.ceil(QFontMetricsF(self.font()).height()))

    def sizeHint(self) -> Any:  # noqa: N802
        hint = super().sizeHint()
        hint.setHeight(hint.height() + self._extra_height())
        return hint

    def minimumSizeHint(self) -> Any:  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setHeight(hint.height() + self._extra_height())
        return hint

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self.draws_nastaliq():
            super().paintEvent(event)
            return
        from ui.widgets.nastaliq_caret import caret_x, selection

        self.painted += 1
        painter = QPainter(self)
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelLineEdit, option, painter,
                                   self)
        text, area, origin = self._layout()
        painter.setClipRect(area.adjusted(-_MARGIN_X, 0, _MARGIN_X, 0))
        box = QRectF(origin.x(), origin.y(), text.width, text.height)
        palette = self.palette()
        if not self.shown_text():
            text.draw(painter, box, Qt.AlignmentFlag.AlignLeft,
                      palette.color(QPalette.ColorRole.PlaceholderText))
        else:
            text.draw(painter, box, Qt.AlignmentFlag.AlignLeft,
                      palette.color(QPalette.ColorRole.Text))
            start = self.selectionStart()
            if start >= 0 and self.selectionLength() > 0:
                top, bottom = area.top() - _MARGIN_Y, area.bottom() + _MARGIN_Y
                for left, right in selection(text, start, start + self.selectionLength()):
                    band = QRectF(origin.x() + left, top, right - left, bottom - top)
                    painter.fillRect(band, palette.color(QPalette.ColorRole.Highlight))
                    painter.save()
                    painter.setClipRect(band, Qt.ClipOperation.IntersectClip)
                    text.draw(painter, box, Qt.AlignmentFlag.AlignLeft,
                              palette.color(QPalette.ColorRole.HighlightedText))
                    painter.restore()
            if self._preedit:  # the composition underlined, as Qt does
                at = self.cursorPosition()
                a = caret_x(text, at)
                b = caret_x(text, at + _length(self._preedit))
                painter.fillRect(QRectF(origin.x() + min(a, b), box.bottom(), abs(b - a), 1),
                                 palette.color(QPalette.ColorRole.Text))
        if self.hasFocus() and self._caret_on and not self.isReadOnly():
            painter.fillRect(self._caret_rect(), palette.color(QPalette.ColorRole.Text))
        painter.end()

    # -- the cursor's blinking ------------------------------------------------------------
    def _changed(self, *_args: object) -> None:
        if self.draws_nastaliq():
            self._caret_on = True
            if self.hasFocus():
                self._start_blink()
            self.update()

    def _start_blink(self) -> None:
        flash = QApplication.cursorFlashTime()
        if flash > 0:
            self._blink.start(flash // 2)
        else:
            self._blink.stop()

    def _toggle_caret(self) -> None:
        if not self.hasFocus() or not self.draws_nastaliq():
            self._blink.stop()
            return
        self._caret_on = not self._caret_on
        self.update(self._caret_rect().toAlignedRect().adjusted(-2, 0, 2, 0))

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self._caret_on = True
        self._start_blink()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._blink.stop()
        self._preedit = ""

    # -- the mouse ------------------------------------------------------------------------
    def _ours(self, event: QMouseEvent) -> bool:
        return self.draws_nastaliq() and not self._preedit and event.button() in (
            Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._ours(event):
            super().mousePressEvent(event)
            return
        at = self.position_at(event.position().x())
        if event.button() == Qt.MouseButton.MiddleButton:
            self.setCursorPosition(at)  # the release pastes the X11 selection here
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            # The selection's fixed end: the end away from the cursor.
            fixed = self.cursorPosition()
            if self.hasSelectedText():
                start = self.selectionStart()
                fixed = start + self.selectionLength() if fixed == start else start
            self._anchor = fixed
            self.setSelection(fixed, at - fixed)
        else:
            self.setCursorPosition(at)
            self._anchor = at
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._anchor < 0 or not event.buttons() & Qt.MouseButton.LeftButton:
            if not self.draws_nastaliq():
                super().mouseMoveEvent(event)
            return
        at = self.position_at(event.position().x())
        self.setSelection(self._anchor, at - self._anchor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._anchor = -1
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._ours(event) or event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        at = self.position_at(event.position().x())
        for word in _WORD.finditer(self.text()):
            start = _length(self.text()[:word.start()])
            end = start + _length(word.group())
            if start <= at <= end:
                self.setSelection(start, end - start)
                break
        event.accept()

    # -- the input method -----------------------------------------------------------------
    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802
        self._preedit = event.preeditString()
        super().inputMethodEvent(event)
        self.update()

    def inputMethodQuery(self, query: Qt.InputMethodQuery, *args: Any) -> Any:  # noqa: N802
        if self.draws_nastaliq() and query in (Qt.InputMethodQuery.ImCursorRectangle,
                                               Qt.InputMethodQuery.ImAnchorRectangle):
            return self._caret_rect().toAlignedRect()
        return super().inputMethodQuery(query, *args)

