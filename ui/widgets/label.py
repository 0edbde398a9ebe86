"""``Label``: a QLabel whose Urdu is drawn in Nastaliq shaped by HarfBuzz (see
``ui.widgets.nastaliq_text`` for why Qt's own drawing will not do), sized by HarfBuzz's
widths, with room for the ink that Nastaliq sets beyond its line, so no letter is clipped.

A drop-in: the text, the buddy and its mnemonic, the alignment, word wrap, the accessible
text (the real string) and styling (colour, font size from a style sheet) are QLabel's own;
only painting and the size hints change, and only while the label's font is Nastaliq and its
text holds Arabic letters. Rich text and pixmaps are left to QLabel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QStyle

from ui.widgets.script import base_rtl, mnemonic, strip_mnemonic, wants_nastaliq

if TYPE_CHECKING:
    from ui.widgets.nastaliq_text import ShapedText


class Label(QLabel):
    """Made as a QLabel is: ``Label(parent)`` or ``Label(text, parent)``."""

    # -- what is drawn ------------------------------------------------------------------
    def shown_text(self) -> str:
        """The text as the user sees it: without the mnemonic's "&" when there is a buddy."""
        text = self.text()
        return strip_mnemonic(text) if self.buddy() is not None else text

    def draws_nastaliq(self) -> bool:
        text = self.text()
        if not text or self.textFormat() == Qt.TextFormat.RichText or (
                self.textFormat() == Qt.TextFormat.AutoText and "<" in text):
            return False
        return wants_nastaliq(self.font(), text)

    def _rtl(self) -> bool:
        return base_rtl(self.text(), self.layoutDirection() == Qt.LayoutDirection.RightToLeft)

    def shaped(self, width: float | None = None) -> ShapedText:
        """The label's text as drawn (``width``: the wrapping width, None for one line)."""
        from ui.widgets.nastaliq_text import shaped  # only once there is Nastaliq to draw

        return shaped(self.shown_text(), self.font(), self._rtl(), width)

    def _chrome(self) -> tuple[int, int]:
        """Width and height the frame, the contents margins and the margin take."""
        margins = self.contentsMargins()
        frame = 2 * self.margin()
        return (margins.left() + margins.right() + frame,
                margins.top() + margins.bottom() + frame)

    def _fit(self, inner: float | None) -> tuple[ShapedText, QMarginsF]:
        """The text as drawn in ``inner`` pixels of width (None: on one line), and the room
        its ink needs around its box. A wrapped text's lines start and end with other words
        than the one line does, so their ink is measured again."""
        text = self.shaped()
        room = text.margins()
        if inner is None or not self.wordWrap():
            return text, room
        for _attempt in range(3):
            text = self.shaped(inner - room.left() - room.right())
            more = text.margins()
            grown = QMarginsF(max(room.left(), more.left()), max(room.top(), more.top()),
                              max(room.right(), more.right()),
                              max(room.bottom(), more.bottom()))
            if grown == room:
                break
            room = grown
        return text, room

    # -- sizes --------------------------------------------------------------------------
    def _size_for(self, width: float | None) -> QSize:
        chrome_w, chrome_h = self._chrome()
        text, room = self._fit(None if width is None else width - chrome_w)
        return QSize(int(text.width + room.left() + room.right() + 0.999) + chrome_w,
                     int(text.height + room.top() + room.bottom() + 0.999) + chrome_h)

    def sizeHint(self) -> QSize:  # noqa: N802
        if not self.draws_nastaliq():
            return super().sizeHint()
        if not self.wordWrap():
            return self._size_for(None)
        # Qt's own choice of a wrapping width (its widths are wrong, its taste is not)
        return self._size_for(min(self._size_for(None).width(), super().sizeHint().width()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        if not self.draws_nastaliq():
            return super().minimumSizeHint()
        one_line = self._size_for(None)
        if not self.wordWrap():
            return one_line
        return QSize(self._size_for(1).width(), one_line.height())  # the widest word

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if not self.draws_nastaliq() or not self.wordWrap():
            return super().heightForWidth(width)
        return self._size_for(width).height()

    # -- painting -----------------------------------------------------------------------
    def _layout(self) -> tuple[ShapedText, QRectF, Qt.AlignmentFlag]:
        """The text as drawn, the box it is drawn in and the visual alignment there."""
        inner = QRectF(self.contentsRect()).adjusted(self.margin(), self.margin(),
                                                     -self.margin(), -self.margin())
        text, room = self._fit(inner.width())
        box = inner.adjusted(room.left(), room.top(), -room.right(), -room.bottom())
        return text, box, QStyle.visualAlignment(self.layoutDirection(), self.alignment())

    def ink_rect(self) -> QRectF:
        """Where the glyphs' outlines land in the label (tests: inside ``rect()``)."""
        text, box, alignment = self._layout()
        return text.outline(box, alignment).boundingRect()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self.draws_nastaliq():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self.drawFrame(painter)
        text, box, alignment = self._layout()
        text.draw(painter, box, alignment, self.palette().color(self.foregroundRole()),
                  self.mnemonic_index())
        painter.end()

    def mnemonic_index(self) -> int:
        """The index in ``shown_text`` of the letter underlined as the buddy's Alt+letter
        shortcut, where the style shows mnemonics (as QLabel does); -1: none."""
        if self.buddy() is None or not self.style().styleHint(
                QStyle.StyleHint.SH_UnderlineShortcut, None, self):
            return -1
        return mnemonic(self.text())[1]
