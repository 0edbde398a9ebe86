"""Urdu on screen in Nastaliq, shaped by HarfBuzz: text and a font in, laid-out glyph runs out.

Qt 6.11 draws Noto Nastaliq Urdu wrongly in widgets — its glyph offsets drop the letters of a
word below the line and some of its advances are far off, so words run into each other
("علی ملک" as one blot). The PDFs have the same problem and solve it in
``caseapp.i18n.nastaliq``: Qt lays the text out (bidi order, font fallback for Latin, line
breaks), and every stretch set in Nastaliq is shaped again by HarfBuzz. This module uses that
same code for the desktop, with two differences: lines are broken by HarfBuzz's widths (Qt's
are wrong, so a line Qt thinks fits may not), and the result is cached (``shaped``, a bounded
LRU), so a label or a list row shapes its text once, not on every paint.

Each piece of a line keeps its glyph runs; ``ShapedText.draw`` draws them in a box with an
alignment, ``ShapedText.path`` gives the outlines (for ink measurements), and ``margins``
says how far the ink reaches beyond the advance box — Nastaliq's letters start past a
right-to-left word's right edge and climb above the font's line — so a widget can make room
for it and never clip a letter.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QPainter,
    QPainterPath,
    QRawFont,
    QTextLayout,
    QTextOption,
)

from caseapp.i18n import fonts, nastaliq

_NO_WRAP = 1_000_000.0  # the line width of a text that is not wrapped
CACHE_SIZE = 4096  # shaped texts kept: every label of a screen and several pages of a list


@dataclass(frozen=True)
class ShapedLine:
    """One line: its placed stretches (``nastaliq.PlacedRun``), the shift that puts its left
    edge at x = 0, its advance width, and its top and height in the text."""

    runs: tuple[nastaliq.PlacedRun, ...]
    shift: float
    width: float
    top: float
    height: float

    def letter_ink(self, text: str, index: int) -> QRectF:
        """The ink of the glyphs of the character at UTF-16 ``index`` of ``text`` (the
        line's paragraph), as ``ink`` places it: in a stretch shaped here, the glyphs of its
        HarfBuzz cluster (a ligature's, when the letter is part of one); elsewhere the
        glyphs Qt gives for it."""
        ink = QRectF()
        for item in self.runs:
            if not item.start <= index < item.end:
                continue
            for run in item.runs:
                raw, ids, points = run.rawFont(), run.glyphIndexes(), run.positions()
                if run.stringIndexes():
                    chosen = [i for i, at in enumerate(run.stringIndexes()) if at == index]
                else:  # shaped by HarfBuzz: its clusters are indexes in the stretch
                    piece = text.encode("utf-16-le")[2 * item.start:2 * item.end]
                    local = len(piece[:2 * (index - item.start)].decode("utf-16-le"))
                    clusters = [g[4] for g in nastaliq.shape(piece.decode("utf-16-le"),
                                                             item.rtl)]
                    target = max((c for c in clusters if c <= local), default=-1)
                    chosen = [i for i, c in enumerate(clusters) if c == target]
                for i in chosen:
                    if i < len(ids):
                        box = raw.boundingRect(ids[i])
                        if not box.isEmpty():
                            ink = ink.united(box.translated(
                                self.shift + item.dx + points[i].x(), points[i].y()))
        return ink

    def ink(self) -> QRectF:
        """The glyphs' bounding box, the line's left edge at x = 0 and the text's top at 0."""
        ink = QRectF()
        for item in self.runs:
            for run in item.runs:
                raw = run.rawFont()
                for glyph, point in zip(run.glyphIndexes(), run.positions(), strict=True):
                    box = raw.boundingRect(glyph)
                    if not box.isEmpty():
                        ink = ink.united(box.translated(self.shift + item.dx + point.x(),
                                                        point.y()))
        return ink


@dataclass(frozen=True, eq=False)
class ShapedText:
    """A text laid out and shaped: lines from the top, each ``width`` wide or less."""

    text: str
    rtl: bool
    lines: tuple[ShapedLine, ...]
    width: float
    height: float
    _margins: list[QMarginsF] = field(default_factory=list, repr=False)

    def line_left(self, line: ShapedLine, box_width: float,
                  alignment: Qt.AlignmentFlag) -> float:
        """Where a line starts in a box ``box_width`` wide, by a visual (absolute) alignment."""
        if alignment & Qt.AlignmentFlag.AlignRight:
            return box_width - line.width
        if alignment & Qt.AlignmentFlag.AlignHCenter:
            return (box_width - line.width) / 2
        return 0.0

    def _top(self, box_height: float, alignment: Qt.AlignmentFlag) -> float:
        if alignment & Qt.AlignmentFlag.AlignBottom:
            return box_height - self.height
        if alignment & Qt.AlignmentFlag.AlignVCenter:
            return (box_height - self.height) / 2
        return 0.0

    def inside(self, box: QRectF, alignment: Qt.AlignmentFlag) -> QRectF:
        """``box`` moved as little as it takes for the ink, not only the text's box, to stay
        in ``box`` when drawn there with ``alignment`` (a list row: centred in the row unless
        a tall letter would leave it)."""
        room = self.margins()
        top = self._top(box.height(), alignment)
        dy = max(0.0, room.top() - top)
        dy -= max(0.0, top + dy + self.height + room.bottom() - box.height())
        lefts = [self.line_left(line, box.width(), alignment) for line in self.lines]
        dx = max([0.0] + [room.left() - left for left in lefts])
        dx -= max([0.0] + [left + dx + line.width + room.right() - box.width()
                           for left, line in zip(lefts, self.lines, strict=True)])
        return box.translated(dx, dy)

    def draw(self, painter: QPainter, box: QRectF, alignment: Qt.AlignmentFlag,
             color: QColor, underline: int = -1) -> None:
        """Draw in ``box`` aligned by ``alignment`` — visual: resolve Qt.AlignLeading and
        friends with ``QStyle.visualAlignment`` first — with the letter at ``underline`` (an
        index in ``text``: a mnemonic) underlined."""
        painter.save()
        painter.setPen(color)
        top = box.y() + self._top(box.height(), alignment)
        for line in self.lines:
            left = box.x() + self.line_left(line, box.width(), alignment) + line.shift
            for item in line.runs:
                for run in item.runs:
                    painter.drawGlyphRun(QPointF(left + item.dx, top), run)
        mark = self.underline(underline)
        if not mark.isEmpty():
            line = self.lines[0]
            painter.fillRect(mark.translated(box.x() + self.line_left(line, box.width(),
                                                                      alignment), top), color)
        painter.restore()

    def underline(self, index: int) -> QRectF:
        """The bar under the letter at ``index`` of a one-line text (the text's box at (0, 0),
        its line from the left; empty if there is no such letter): under that letter's own
        ink, dots included, as wide as it — not at the font's underline position, which in
        Nastaliq runs through the descenders of the letters around it, below a word's raised
        first letters — and never below the room ``margins`` gives the ink."""
        if index < 0 or len(self.lines) != 1 or index >= len(self.text) or \
                self.text[index].isspace():
            return QRectF()
        line = self.lines[0]
        ink = line.letter_ink(self.text, len(self.text[:index].encode("utf-16-le")) // 2)
        if ink.isEmpty():
            return QRectF()
        size = max((run.rawFont().pixelSize() for item in line.runs for run in item.runs),
                   default=10.0)
        thick = max(1.0, round(size / 16))
        y = min(ink.bottom() + thick, self.height + self.margins().bottom() - 2 * thick)
        return QRectF(ink.left(), y, ink.width(), thick)

    def glyphs(self) -> list[tuple[str, int, float, float]]:
        """(font family, glyph, x, y) of every glyph drawn, the text's box at (0, 0) with its
        lines set from the left: what tests compare with HarfBuzz's own output."""
        found: list[tuple[str, int, float, float]] = []
        for line in self.lines:
            for item in line.runs:
                for run in item.runs:
                    family = run.rawFont().familyName()
                    x0 = line.shift + item.dx
                    found += [(family, glyph, x0 + point.x(), point.y()) for glyph, point in
                              zip(run.glyphIndexes(), run.positions(), strict=True)]
        return found

    def outline(self, box: QRectF | None = None,
                alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> QPainterPath:
        """The outlines of every glyph where ``draw`` puts them (by default in the text's own
        box at (0, 0)): the ink, for tests and measurements — drawing uses the glyph runs."""
        box = QRectF(0, 0, self.width, self.height) if box is None else box
        path = QPainterPath()
        top = box.y() + self._top(box.height(), alignment)
        for line in self.lines:
            left = box.x() + self.line_left(line, box.width(), alignment) + line.shift
            for item in line.runs:
                for run in item.runs:
                    raw = run.rawFont()
                    for glyph, point in zip(run.glyphIndexes(), run.positions(), strict=True):
                        path.addPath(raw.pathForGlyph(glyph).translated(
                            left + item.dx + point.x(), top + point.y()))
        return path

    def margins(self) -> QMarginsF:
        """How far the ink reaches beyond the text's box on each side (never negative), for
        whatever alignment, rounded up with a pixel to spare (the glyphs' boxes are a hair
        smaller than their outlines): the room a widget adds so that no letter is clipped.
        Nastaliq reaches past the font's own ascent and descent."""
        if not self._margins:
            left = top = right = bottom = 0.0
            for line in self.lines:
                ink = line.ink()
                if ink.isEmpty():
                    continue
                left = max(left, -ink.left())
                right = max(right, ink.right() - line.width)
                top = max(top, -ink.top())
                bottom = max(bottom, ink.bottom() - self.height)
            self._margins.append(QMarginsF(*(math.ceil(v) + 1.0 if v > 0 else 0.0
                                             for v in (left, top, right, bottom))))
        return QMarginsF(self._margins[0])


def _extent(runs: list[nastaliq.PlacedRun]) -> tuple[float, float]:
    if not runs:
        return 0.0, 0.0
    return min(r.left for r in runs), max(r.right for r in runs)


def _break_lines(layout: QTextLayout, text: str, rtl: bool, width: float | None,
                 top: float) -> list[ShapedLine]:
    """Qt breaks the lines (at word boundaries) and orders them (bidi); a line HarfBuzz makes
    wider than ``width`` is laid out again, narrower, until it fits or holds one word."""
    limit = _NO_WRAP if width is None else max(1.0, width)
    lines: list[ShapedLine] = []
    layout.beginLayout()
    y = top
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(limit)
        line.setPosition(QPointF(0.0, y))
        placed = nastaliq.place_line(line, text, rtl, fit=False)
        left, right = _extent(placed)
        tries = 0
        while right - left > limit and line.textLength() > 1 and tries < 8:
            length = line.textLength()
            line.setLineWidth(max(1.0, line.width() - (right - left - limit) - 1))
            if line.textLength() >= length:
                break  # one word, wider than the box: it stays whole
            placed = nastaliq.place_line(line, text, rtl, fit=False)
            left, right = _extent(placed)
            tries += 1
        lines.append(ShapedLine(tuple(placed), -left, right - left, y, line.height()))
        y += line.height()
    layout.endLayout()
    return lines


_FONTS: dict[str, QFont] = {}  # font key → the font: a few per screen, never many


# Bidi classes that keep a right-to-left paragraph one right-to-left run: Arabic letters and
# marks, spaces, punctuation — no Latin letter, no digit (those need the bidi algorithm).
_RTL_ONLY = frozenset({"AL", "R", "NSM", "WS", "ON", "CS", "BN"})
_RAW: dict[str, QRawFont] = {}


def _nastaliq_raw(font_key: str) -> QRawFont:
    if font_key not in _RAW:
        _RAW[font_key] = QRawFont.fromFont(_FONTS[font_key], QFontDatabase.WritingSystem.Arabic)
    return _RAW[font_key]


def _one_run(text: str, raw: QRawFont) -> bool:
    """Whether ``text`` is one right-to-left run all in the Nastaliq font: then Qt's layout
    (which shapes the text a second time, slowly: half a millisecond a name) is not needed."""
    return raw.familyName() == fonts.NASTALIQ and all(
        unicodedata.bidirectional(c) in _RTL_ONLY and raw.supportsCharacter(ord(c)) for c in text)


def _advance(text: str, raw: QRawFont) -> float:
    return sum(glyph[3] for glyph in nastaliq.shape(text, True)) * raw.pixelSize()


def _one_run_lines(text: str, raw: QRawFont, width: float | None,
                   top: float) -> list[ShapedLine]:
    """Lines of a one-run paragraph, broken between words by HarfBuzz's widths."""
    pieces = [text]
    if width is not None:
        space = _advance(" ", raw)
        pieces, length = [], 0.0
        for word in text.split(" "):
            step = _advance(word, raw)
            if pieces and length + space + step <= width:
                pieces[-1] += " " + word
                length += space + step
            else:
                pieces.append(word)
                length = step
    height = float(math.ceil(raw.ascent() + raw.descent()))  # as Qt's own lines
    lines = []
    for piece in pieces:
        run, advance, _spaces = nastaliq.shaped_run(raw, piece, True, top + raw.ascent())
        placed = nastaliq.PlacedRun((run,), 0.0, 0, len(piece), 0.0, advance, True)
        lines.append(ShapedLine((placed,), 0.0, advance, top, height))
        top += height
    return lines


@lru_cache(maxsize=CACHE_SIZE)
def _shaped(text: str, font_key: str, rtl: bool, width: float | None) -> ShapedText:
    font = _FONTS[font_key]
    raw = _nastaliq_raw(font_key)
    one_run = rtl and _one_run(text.replace("\n", " "), raw)
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft if rtl
                            else Qt.LayoutDirection.LeftToRight)
    option.setWrapMode(QTextOption.WrapMode.NoWrap if width is None
                       else QTextOption.WrapMode.WordWrap)
    lines: list[ShapedLine] = []
    top = 0.0
    for paragraph in text.split("\n"):
        if one_run:
            found = _one_run_lines(paragraph, raw, width, top)
        else:
            layout = QTextLayout(paragraph or " ", font)
            layout.setTextOption(option)
            layout.setCacheEnabled(True)
            found = _break_lines(layout, paragraph or " ", rtl, width, top)
        lines += found
        top = found[-1].top + found[-1].height if found else top
    return ShapedText(text, rtl, tuple(lines), max((ln.width for ln in lines), default=0.0),
                      top)


def shaped(text: str, font: QFont, rtl: bool = True, width: float | None = None) -> ShapedText:
    """``text`` in ``font`` (its Nastaliq stretches shaped by HarfBuzz), in lines no wider
    than ``width`` (one line per paragraph when None); right to left when ``rtl`` (the base
    direction of the paragraph: Latin words and numbers in it keep their own order)."""
    key = font.key()
    if key not in _FONTS:
        _FONTS[key] = QFont(font)
    return _shaped(text, key, rtl, None if width is None else float(int(width)))


def _fits(text: ShapedText, width: float, em: float) -> bool:
    """Whether ``text`` and the ink it sets beyond its box fit in ``width`` (the ink is
    measured only when the advance alone comes within an em of the width)."""
    if text.width <= width - em:
        return True
    room = text.margins()
    return text.width + room.left() + room.right() <= width


def elided(text: str, font: QFont, width: float, rtl: bool = True) -> ShapedText:
    """One line that fits in ``width``, ink included: the text, or as much of its start as
    fits with "…" after it (on the left in right-to-left text), cut between words where it
    can, else between letters."""
    whole = shaped(text, font, rtl)
    em = float(QFontInfo(font).pixelSize())
    if not text or _fits(whole, width, em):
        return whole
    spaces = [i for i in range(1, len(text)) if text[i] == " "]
    for cuts in (spaces, list(range(1, len(text)))):
        low, high, best = 0, len(cuts) - 1, None
        while low <= high:
            middle = (low + high) // 2
            candidate = shaped(text[:cuts[middle]].rstrip() + "…", font, rtl)
            if _fits(candidate, width, em):
                best, low = candidate, middle + 1
            else:
                high = middle - 1
        if best is not None:
            return best
    return shaped("…", font, rtl)


@lru_cache(maxsize=CACHE_SIZE)
def _fitted(text: str, font_key: str, width: float, height: float, rtl: bool,
            alignment: int) -> tuple[ShapedText, float, float]:
    font = _FONTS[font_key]
    drawn = elided(text, font, width, rtl)
    box = drawn.inside(QRectF(0, 0, width, height), Qt.AlignmentFlag(alignment))
    return drawn, box.x(), box.y()


def fitted(text: str, font: QFont, box: QRectF, rtl: bool,
           alignment: Qt.AlignmentFlag) -> tuple[ShapedText, QRectF]:
    """What a list row draws: ``elided`` to fit ``box``, and the box to draw it in (``box``
    moved as ``ShapedText.inside`` says). Cached: a row painted again costs a lookup."""
    key = font.key()
    if key not in _FONTS:
        _FONTS[key] = QFont(font)
    drawn, dx, dy = _fitted(text, key, box.width(), box.height(), rtl, int(alignment.value))
    return drawn, box.translated(dx, dy)


def clear_caches() -> None:
    """Forget every shaped text (the benchmark's first paint)."""
    _shaped.cache_clear()
    _fitted.cache_clear()
    nastaliq.clear_cache()
