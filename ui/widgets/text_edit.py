"""``TextEdit``: a QPlainTextEdit whose Urdu is drawn in Nastaliq shaped by HarfBuzz while it
is typed (Qt's own drawing of Noto Nastaliq Urdu is broken, see ``ui.widgets.nastaliq_text``)
— the multi-line sibling of ``ui.widgets.line_edit.LineEdit``.

Only the drawing, the mouse, the vertical scrolling and the Up/Down/Page keys change, and
only while the editor's font is the Nastaliq one and its text (or, when empty, its
placeholder) holds Arabic letters; otherwise Qt draws and scrolls as always. The document,
the cursor, the selection, undo and redo, copy and paste, the input method and every other
key stay QPlainTextEdit's own, in logical positions (Home, End, Left and Right included).

Each paragraph (a QTextBlock) is broken into lines by ``nastaliq_wrap`` (HarfBuzz's widths,
the ink inside the viewport), a right-to-left paragraph set against the right edge, one whose
first strong letter is Latin against the left; lines are as far apart as Nastaliq's ink
needs (``nastaliq_wrap.Room``), so no letter is clipped. The selection lights up the glyphs
of its characters, the cursor blinks between HarfBuzz's clusters (``nastaliq_caret``), a
click or a drag puts the cursor, or the selection's end, at the position nearest the mouse.
Up and Down move to the line drawn above or below, nearest the same x; Page Up and Down by
as many lines as the viewport holds. The text scrolls by pixels with a scroll bar of the
editor's own (Qt's counts Qt's lines, which are not these), kept so that the cursor stays in
view. The editor always wraps at its width while it draws Nastaliq. In the Nastaliq font it
asks for the height of four lines and needs that of two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextCursor,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QScrollBar, QStyle

from ui.widgets.line_edit import is_nastaliq
from ui.widgets.script import first_strong_rtl, wants_nastaliq

if TYPE_CHECKING:
    from PySide6.QtGui import QFocusEvent, QResizeEvent

    from ui.widgets.nastaliq_wrap import WrappedLine


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def paragraph_rtl(text: str, layout_rtl: bool) -> bool:
    """A paragraph's direction: that of its first strong letter, else the layout's."""
    found = first_strong_rtl(text)
    return layout_rtl if found is None else found


@dataclass(frozen=True, eq=False)
class Line:
    """A line as placed: its paragraph's block number and document position, the wrapped
    line, where its shaped box sits (content coordinates: x from the viewport's left, y from
    the document's top) and the band of the editor it fills (top and bottom)."""

    block: int
    position: int
    wrapped: WrappedLine
    rtl: bool
    x: float
    y: float
    band_top: float
    band_bottom: float

    @property
    def start(self) -> int:
        """The document position of the line's first character."""
        return self.position + self.wrapped.start

    def box(self, dy: float = 0.0) -> QRectF:
        text = self.wrapped.shaped
        return QRectF(self.x, self.y + dy, text.width, text.height)


@dataclass(frozen=True)
class Layout:
    lines: tuple[Line, ...]
    height: float  # the document's, margins included
    placeholder: tuple[Line, ...] = ()


class TextEdit(QPlainTextEdit):
    """Made as a QPlainTextEdit is: ``TextEdit(parent)`` or ``TextEdit(text, parent)``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._preedit = ""
        self._dragging = False
        self._caret_on = True
        self._goal_x: float | None = None
        self._moving = False  # Up/Down moving the cursor: the goal column stays
        self._ours = False  # the mode applied: Nastaliq drawn here
        self._qt_policy = self.verticalScrollBarPolicy()
        self._arranging = False
        self._cache: dict[tuple[object, ...], Layout] = {}  # the text at one or two widths
        self.painted = 0  # paints in Nastaliq (tests)
        self.bar = QScrollBar(Qt.Orientation.Vertical, self)
        self.bar.hide()
        self.bar.valueChanged.connect(lambda _value: self.viewport().update())
        self._blink = QTimer(self)
        self._blink.timeout.connect(self._toggle_caret)
        self.textChanged.connect(self._changed)
        self.cursorPositionChanged.connect(self._changed)
        self.selectionChanged.connect(self._changed)

    # -- what is drawn --------------------------------------------------------------------
    def draws_nastaliq(self) -> bool:
        font = self.font()
        text = self.toPlainText() + self._preedit
        return wants_nastaliq(font, text) if text else \
            wants_nastaliq(font, self.placeholderText())

    def _layout_rtl(self) -> bool:
        return self.layoutDirection() == Qt.LayoutDirection.RightToLeft

    def _text_width(self, bar: bool) -> float:
        """The width lines are broken to: the viewport's (with or without our scroll bar),
        less the document's margins."""
        width = self.contentsRect().width() - (self._bar_width() if bar else 0)
        return max(1.0, width - 2 * self.document().documentMargin())

    def _bar_width(self) -> int:
        return self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.bar)

    def _lay_out(self, width: float) -> Layout:
        """Every paragraph's lines, placed for a text ``width`` wide."""
        from ui.widgets import nastaliq_wrap

        font = self.font()
        key = (self.toPlainText(), self._preedit,
               self.textCursor().position() if self._preedit else -1, width,
               font.key(), self._layout_rtl(), self.placeholderText())
        if key in self._cache:
            return self._cache[key]
        space = nastaliq_wrap.room(font)
        margin = self.document().documentMargin()
        cursor = self.textCursor()
        lines: list[Line] = []

        def place(number: int, position: int, text: str, y: float, out: list[Line]) -> float:
            rtl = paragraph_rtl(text, self._layout_rtl())
            for wrapped in nastaliq_wrap.wrap(text, font, rtl, width):
                shaped, margins = wrapped.shaped, wrapped.shaped.margins()
                top = y + max(space.above, margins.top())
                lead = wrapped.lead(space, rtl)
                x = margin + width - lead - shaped.width if rtl else margin + lead
                bottom = top + shaped.height + max(space.below, margins.bottom())
                out.append(Line(number, position, wrapped, rtl, x, top, y, bottom))
                y = bottom
            return y

        y = margin
        block = self.document().firstBlock()
        while block.isValid():
            text = block.text()
            if self._preedit and block.contains(cursor.position()):
                at = cursor.position() - block.position()
                units = text.encode("utf-16-le")
                text = (units[:2 * at].decode("utf-16-le") + self._preedit
                        + units[2 * at:].decode("utf-16-le"))
            y = place(block.blockNumber(), block.position(), text, y, lines)
            block = block.next()
        placeholder: list[Line] = []
        if self.document().isEmpty() and not self._preedit and self.placeholderText():
            y = margin
            for number, paragraph in enumerate(self.placeholderText().split("\n")):
                y = place(number, 0, paragraph, y, placeholder)
        layout = Layout(tuple(lines), lines[-1].band_bottom + margin if lines else 0.0,
                        tuple(placeholder))
        if len(self._cache) >= 4:
            self._cache.clear()
        self._cache[key] = layout
        return layout

    def text_layout(self) -> Layout:
        """The lines as drawn now (the text's width set by whether our scroll bar shows)."""
        return self._lay_out(self._text_width(self.bar.isVisible()))

    def offset(self) -> int:
        """How far the text is scrolled: the content y at the viewport's top."""
        return self.bar.value() if self.bar.isVisible() else 0

    # -- positions ------------------------------------------------------------------------
    def _line_of(self, position: int) -> tuple[Line, int]:
        """The line the cursor at document ``position`` is drawn on and the position in that
        line's shown text (after the input method's composition when the cursor is there)."""
        layout = self.text_layout()
        block = self.document().findBlock(position)
        local = position - block.position()
        if self._preedit and position == self.textCursor().position():
            local += _utf16(self._preedit)
        found = [line for line in layout.lines if line.block == block.blockNumber()]
        if not found:
            return layout.lines[0], 0
        for line in found:
            if local < line.wrapped.start + line.wrapped.length or line.wrapped.last:
                return line, min(local - line.wrapped.start, line.wrapped.length)
        return found[-1], found[-1].wrapped.length

    def caret_point(self, position: int | None = None) -> tuple[float, Line]:
        """Where the cursor at ``position`` (the cursor's, by default) is drawn: its x in the
        viewport, and its line."""
        from ui.widgets.nastaliq_caret import caret_x

        at = self.textCursor().position() if position is None else position
        line, local = self._line_of(at)
        x = line.x + caret_x(line.wrapped.shaped, local)
        return min(max(x, 0.0), self.viewport().width() - 1.0), line

    def caret_rect(self) -> QRectF:
        """The text cursor, in the viewport's coordinates."""
        x, line = self.caret_point()
        width = self.style().pixelMetric(QStyle.PixelMetric.PM_TextCursorWidth, None, self)
        return QRectF(round(x) - width / 2, line.y - self.offset(), max(1, width),
                      line.wrapped.shaped.height)

    def position_at(self, point: QPointF) -> int:
        """The document position nearest to ``point`` (viewport coordinates)."""
        from ui.widgets.nastaliq_caret import position_at

        lines = self.text_layout().lines
        y = point.y() + self.offset()
        line = next((ln for ln in lines if y < ln.band_bottom), lines[-1])
        local = position_at(line.wrapped.shaped, point.x() - line.x)
        length = line.wrapped.length
        if local >= length and not line.wrapped.last:
            local = max(0, length - 1)  # before the space that ends the line, not after it
        return line.start + min(local, length)

    def ink_rect(self) -> QRectF:
        """Where the glyphs' outlines land, in the viewport (tests: inside it)."""
        ink = QRectF()
        for line in self.text_layout().lines:
            ink = ink.united(line.wrapped.shaped.outline(line.box(-self.offset()))
                             .boundingRect())
        return ink

    # -- sizes --------------------------------------------------------------------------
    def _lines_height(self, count: int) -> int:
        """The height that shows ``count`` lines of Nastaliq whole."""
        from ui.widgets.nastaliq_wrap import room

        space = room(self.font())
        pitch = space.height + space.above + space.below
        return round(count * pitch + 2 * self.document().documentMargin()
                     + 2 * self.frameWidth())

    def sizeHint(self) -> Any:  # noqa: N802
        hint = super().sizeHint()
        if is_nastaliq(self.font()):
            hint.setHeight(max(hint.height(), self._lines_height(4)))
        return hint

    def minimumSizeHint(self) -> Any:  # noqa: N802
        hint = super().minimumSizeHint()
        if is_nastaliq(self.font()):
            hint.setHeight(max(hint.height(), self._lines_height(2)))
        return hint

    # -- scrolling ------------------------------------------------------------------------
    def _arrange(self) -> None:
        """Apply the mode (ours or Qt's) and, in ours, show our scroll bar when the text is
        taller than the viewport, with its range in pixels."""
        if self._arranging:
            return
        self._arranging = True
        try:
            ours = self.draws_nastaliq()
            if ours != self._ours:
                self._ours = ours
                if ours:
                    self._qt_policy = self.verticalScrollBarPolicy()
                    self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                else:
                    self.bar.hide()
                    self.setViewportMargins(0, 0, 0, 0)
                    self.setVerticalScrollBarPolicy(self._qt_policy)
            if not ours:
                return
            height = self.contentsRect().height()
            need = self._lay_out(self._text_width(False)).height > height
            if need:
                need = self._lay_out(self._text_width(True)).height > height
            width = self._bar_width() if need else 0
            if self._layout_rtl():
                self.setViewportMargins(width, 0, 0, 0)
            else:
                self.setViewportMargins(0, 0, width, 0)
            self.bar.setVisible(need)
            if need:
                area = self.contentsRect()
                left = area.left() if self._layout_rtl() else area.right() + 1 - width
                self.bar.setGeometry(left, area.top(), width, area.height())
                total = self._lay_out(self._text_width(True)).height
                self.bar.setRange(0, max(0, int(total - self.viewport().height() + 0.999)))
                self.bar.setPageStep(max(1, self.viewport().height()))
                self.bar.setSingleStep(max(1, int(self.text_layout().lines[0].band_bottom
                                                  - self.text_layout().lines[0].band_top)))
        finally:
            self._arranging = False

    def _ensure_visible(self) -> None:
        """Scroll so that the cursor's line shows whole (the first and last lines with the
        document's margin)."""
        if not self.bar.isVisible():
            return
        _x, line = self.caret_point()
        lines = self.text_layout().lines
        margin = self.document().documentMargin()
        top = line.band_top - (margin if line is lines[0] else 0.0)
        bottom = line.band_bottom + (margin if line is lines[-1] else 0.0)
        if top < self.offset():
            self.bar.setValue(int(top))
        elif bottom > self.offset() + self.viewport().height():
            self.bar.setValue(int(bottom - self.viewport().height() + 0.999))

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        super().scrollContentsBy(dx, dy)  # Qt's own (hidden) scrolling keeps its state
        if self._ours:
            self.viewport().update()  # and our drawing, not its shifted pixels, shows

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self._ours and self.bar.isVisible():
            QApplication.sendEvent(self.bar, event)
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange()
        if self._ours:
            self._ensure_visible()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.LayoutDirectionChange,
                            QEvent.Type.StyleChange):
            self._cache.clear()
            self._arrange()

    def setPlaceholderText(self, text: str) -> None:  # noqa: N802
        super().setPlaceholderText(text)
        self._arrange()

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self._ours:
            super().paintEvent(event)
            return
        from ui.widgets.nastaliq_caret import selection

        self.painted += 1
        layout = self.text_layout()
        dy = -self.offset()
        painter = QPainter(self.viewport())
        palette = self.palette()
        view = QRectF(event.rect())
        if layout.placeholder:
            for line in layout.placeholder:
                line.wrapped.shaped.draw(painter, line.box(dy), Qt.AlignmentFlag.AlignLeft,
                                         palette.color(QPalette.ColorRole.PlaceholderText))
        cursor = self.textCursor()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        for line in layout.lines:
            if line.band_bottom + dy < view.top() or line.band_top + dy > view.bottom():
                continue
            shaped, box = line.wrapped.shaped, line.box(dy)
            if line.wrapped.length:
                shaped.draw(painter, box, Qt.AlignmentFlag.AlignLeft,
                            palette.color(QPalette.ColorRole.Text))
            a, b = max(start - line.start, 0), min(end - line.start, line.wrapped.length)
            if end > start and a < b and not self._preedit:
                for left, right in selection(shaped, a, b):
                    band = QRectF(line.x + left, line.band_top + dy, right - left,
                                  line.band_bottom - line.band_top)
                    painter.fillRect(band, palette.color(QPalette.ColorRole.Highlight))
                    painter.save()
                    painter.setClipRect(band, Qt.ClipOperation.IntersectClip)
                    shaped.draw(painter, box, Qt.AlignmentFlag.AlignLeft,
                                palette.color(QPalette.ColorRole.HighlightedText))
                    painter.restore()
        if self._preedit:  # the composition underlined, as Qt does
            line, xa, xb = self._preedit_span(cursor.position())
            painter.fillRect(QRectF(min(xa, xb), line.box(dy).bottom(), abs(xb - xa), 1),
                             palette.color(QPalette.ColorRole.Text))
        if self.hasFocus() and self._caret_on and not self.isReadOnly():
            painter.fillRect(self.caret_rect(), palette.color(QPalette.ColorRole.Text))
        painter.end()

    def _preedit_span(self, at: int) -> tuple[Line, float, float]:
        """The line of the composition at ``at`` and the x of its two ends."""
        from ui.widgets.nastaliq_caret import caret_x

        line, local = self._line_of(at)
        shaped = line.wrapped.shaped
        begin = max(0, local - _utf16(self._preedit))
        return line, line.x + caret_x(shaped, begin), line.x + caret_x(shaped, local)

    # -- the cursor's blinking ------------------------------------------------------------
    def _changed(self) -> None:
        self._arrange()
        if not self._moving:
            self._goal_x = None
        if self._ours:
            self._ensure_visible()
            self._caret_on = True
            if self.hasFocus():
                self._start_blink()
            self.viewport().update()

    def _start_blink(self) -> None:
        flash = QApplication.cursorFlashTime()
        if flash > 0:
            self._blink.start(flash // 2)
        else:
            self._blink.stop()

    def _toggle_caret(self) -> None:
        if not self.hasFocus() or not self._ours:
            self._blink.stop()
            return
        self._caret_on = not self._caret_on
        self.viewport().update(self.caret_rect().toAlignedRect().adjusted(-2, 0, 2, 0))

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self._caret_on = True
        if self._ours:
            self._start_blink()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._blink.stop()
        self._preedit = ""
        self.viewport().update()

    # -- keys -----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        keys = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -2,
                Qt.Key.Key_PageDown: 2}
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers in (Qt.KeyboardModifier.NoModifier,
                              Qt.KeyboardModifier.ShiftModifier)
        if not self._ours or self._preedit or event.key() not in keys or not plain:
            super().keyPressEvent(event)
            return
        step = keys[Qt.Key(event.key())]
        if abs(step) == 2:
            lines = self.text_layout().lines
            pitch = max(1.0, lines[0].band_bottom - lines[0].band_top)
            step = (1 if step > 0 else -1) * max(1, int(self.viewport().height() // pitch))
        self.move_lines(step, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        event.accept()

    def move_lines(self, step: int, select: bool = False) -> None:
        """The cursor ``step`` lines down (up when negative), nearest the x it stood at
        when it started moving up or down; past the first or last line, to the document's
        start or end."""
        x, line = self.caret_point()
        if self._goal_x is None:
            self._goal_x = x
        lines = self.text_layout().lines
        index = lines.index(line) + step
        if index < 0:
            target = 0
        elif index >= len(lines):
            target = self.document().characterCount() - 1
        else:
            there = lines[index]
            target = self.position_at(QPointF(self._goal_x,
                                              (there.band_top + there.band_bottom) / 2
                                              - self.offset()))
        cursor = self.textCursor()
        cursor.setPosition(target, QTextCursor.MoveMode.KeepAnchor if select
                           else QTextCursor.MoveMode.MoveAnchor)
        self._moving = True
        try:
            self.setTextCursor(cursor)
        finally:
            self._moving = False

    # -- the mouse ------------------------------------------------------------------------
    def _mouse_ours(self, event: QMouseEvent) -> bool:
        return self._ours and not self._preedit and event.button() in (
            Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._mouse_ours(event):
            super().mousePressEvent(event)
            return
        at = self.position_at(event.position())
        cursor = self.textCursor()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        keep = event.button() == Qt.MouseButton.LeftButton and shift
        cursor.setPosition(at, QTextCursor.MoveMode.KeepAnchor if keep
                           else QTextCursor.MoveMode.MoveAnchor)
        self.setTextCursor(cursor)
        self._dragging = event.button() == Qt.MouseButton.LeftButton
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._dragging or not event.buttons() & Qt.MouseButton.LeftButton:
            if not self._ours:
                super().mouseMoveEvent(event)
            return
        cursor = self.textCursor()
        cursor.setPosition(self.position_at(event.position()), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._dragging = False
        if self._mouse_ours(event) and event.button() == Qt.MouseButton.MiddleButton:
            clipboard = QGuiApplication.clipboard()
            if clipboard.supportsSelection() and not self.isReadOnly():
                self.insertPlainText(clipboard.text(clipboard.Mode.Selection))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._mouse_ours(event) or event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        cursor = self.textCursor()
        cursor.setPosition(self.position_at(event.position()))
        cursor.select(QTextCursor.SelectionType.WordUnderCursor)
        self.setTextCursor(cursor)
        event.accept()

    # -- the input method -----------------------------------------------------------------
    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802
        self._preedit = event.preeditString()
        super().inputMethodEvent(event)
        self._changed()

    def inputMethodQuery(self, query: Qt.InputMethodQuery, *args: Any) -> Any:  # noqa: N802
        if self._ours and query in (Qt.InputMethodQuery.ImCursorRectangle,
                                    Qt.InputMethodQuery.ImAnchorRectangle):
            return self.caret_rect().translated(QPointF(self.viewport().pos())).toAlignedRect()
        return super().inputMethodQuery(query, *args)
