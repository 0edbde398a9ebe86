"""Drawing laid-out lines with Nastaliq set by HarfBuzz itself — for the PDF documents
(``caseapp.documents.pdf``) and the desktop (``ui.widgets.nastaliq_text``) alike. QtGui only,
never widgets.

Qt (6.11 and 6.12) breaks words in Noto Nastaliq Urdu: its own HarfBuzz font functions
place the cursive joins and the dots with wrong vertical offsets (the letters of a word drop
below the line instead of stepping down to it, and dots land under the letters), and some of
its advances are far off too ("علی ملک" is 158 px wide at 100 px where HarfBuzz makes it 274,
so the two words run into each other). Qt's line breaking and bidi order are right, and the
glyphs it picks are. So every line is drawn here: Qt's glyph runs as they are, except runs in
the Nastaliq font, which are shaped again with HarfBuzz (uharfbuzz, the font's own OpenType
tables, as ``hb-shape`` does) and set side by side where Qt put the line. A document's own
text is made transparent (``pdf``) so only these glyphs show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QGlyphRun, QPainter, QRawFont, QTextLayout, QTextLine

from caseapp.i18n import fonts

NASTALIQ_FILE = "NotoNastaliqUrdu-Regular.ttf"
_RUN_FLAGS = (QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes
              | QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphPositions
              | QTextLayout.GlyphRunRetrievalFlag.RetrieveStringIndexes)


@cache
def _font() -> tuple[Any, int]:
    """The HarfBuzz font (uharfbuzz, imported here: the desktop's English start does without
    it) and its units per em."""
    import uharfbuzz as hb

    face = hb.Face((fonts.FONT_DIR / NASTALIQ_FILE).read_bytes())
    return hb.Font(face), face.upem


Glyph = tuple[int, float, float, float, int]


def shape(text: str, rtl: bool) -> list[Glyph]:
    """(glyph, x offset, y offset up, x advance, cluster) in ems, left to right as drawn;
    the cluster is the index in ``text`` of the glyph's first character."""
    return list(_shape(text, rtl))


@lru_cache(maxsize=8192)
def _shape(text: str, rtl: bool) -> tuple[Glyph, ...]:
    import uharfbuzz as hb

    font, upem = _font()
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.language = "ur"
    hb.shape(font, buffer, {})
    return tuple((info.codepoint, pos.x_offset / upem, pos.y_offset / upem,
                  pos.x_advance / upem, info.cluster)
                 for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True))


def clear_cache() -> None:
    _shape.cache_clear()


def _utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


def _extent(run: QGlyphRun) -> tuple[float, float]:
    """(left, right) of a run as Qt placed it: from its leftmost advancing glyph to the
    end of its rightmost one (a mark has no advance)."""
    ids = list(run.glyphIndexes())
    advances = run.rawFont().advancesForGlyphIndexes(ids)
    spans = [(point.x(), point.x() + advance.x())
             for point, advance in zip(run.positions(), advances, strict=True)
             if advance.x() > 0]
    if not spans:
        x = min((point.x() for point in run.positions()), default=0.0)
        return x, x
    return min(a for a, _b in spans), max(b for _a, b in spans)


def _segment_key(line: QTextLine, pos: int) -> tuple[str, bool] | None:
    runs = line.glyphRuns(pos, 1, _RUN_FLAGS)
    if not runs:
        return None
    return runs[0].rawFont().familyName(), runs[0].isRightToLeft()


def _segments(line: QTextLine) -> list[tuple[int, int, str, bool]]:
    """(start, end, font family, right to left) of the line's logical stretches set in one
    font and one direction. Asked of Qt character by character: the string indexes of its
    glyph runs are wrong for a run in a fallback font."""
    found: list[tuple[int, int, str, bool]] = []
    for pos in range(line.textStart(), line.textStart() + line.textLength()):
        segment = _segment_key(line, pos)
        if segment is None:
            continue
        if found and found[-1][1] == pos and found[-1][2:] == segment:
            found[-1] = (found[-1][0], pos + 1, *segment)
        else:
            found.append((pos, pos + 1, *segment))
    return found


def shaped_run(raw: QRawFont, text: str, rtl: bool, baseline: float,
                space_keep: float = 1.0) -> tuple[QGlyphRun, float, float]:
    """``text`` shaped by HarfBuzz in ``raw``'s size, its glyphs placed from x = 0; its
    width, and the width of its spaces (each narrowed to ``space_keep``)."""
    size = raw.pixelSize()
    pen = spaces = 0.0
    ids: list[int] = []
    points: list[QPointF] = []
    for glyph, x_offset, y_offset, advance, cluster in shape(text, rtl):
        ids.append(glyph)
        points.append(QPointF(pen + x_offset * size, baseline - y_offset * size))
        step = advance * size
        if text[cluster:cluster + 1].isspace():
            step *= space_keep
            spaces += step
        pen += step
    shaped = QGlyphRun()
    shaped.setRawFont(raw)
    shaped.setGlyphIndexes(ids)
    shaped.setPositions(points)
    return shaped, pen, spaces


@dataclass(frozen=True)
class PlacedRun:
    """A stretch of one line where it is drawn: its glyph runs (reshaped if Nastaliq), the
    shift to draw them at, its UTF-16 string range, its extent and direction (layout
    pixels)."""

    runs: tuple[QGlyphRun, ...]
    dx: float
    start: int
    end: int
    left: float
    right: float
    rtl: bool


_Item = tuple[float, float, tuple[QGlyphRun, ...], bool, float, int, int, bool]


def uses_nastaliq(line: QTextLine) -> bool:
    return any(run.rawFont().familyName() == fonts.NASTALIQ for run in line.glyphRuns())


def place_line(line: QTextLine, text: str, rtl: bool, fit: bool = True) -> list[PlacedRun]:
    """The stretches of a line with Nastaliq (``text`` is its layout's whole text), in Qt's
    visual order, set side by side from the line's start (the right for a right-to-left
    paragraph), each Nastaliq stretch with its HarfBuzz width, which is not always the width
    Qt measured; where that makes the line too wide (and ``fit``), its spaces are narrowed.
    The desktop breaks its lines by HarfBuzz's widths and places them with ``fit=False``."""
    baseline = line.y() + line.ascent()
    stretches = []
    for start, end, family, run_rtl in _segments(line):
        runs = line.glyphRuns(start, end - start, _RUN_FLAGS)
        if runs:
            extents = [_extent(run) for run in runs]
            stretches.append((min(e[0] for e in extents), max(e[1] for e in extents), runs,
                              family == fonts.NASTALIQ, start, end, run_rtl))
    if not stretches:
        return []
    stretches.sort(key=lambda item: item[0])
    edge = max(s[1] for s in stretches) if rtl else min(s[0] for s in stretches)
    room = (edge - line.x()) if rtl else (line.x() + line.width() - edge)

    def build(keep: float) -> tuple[list[_Item], float, float]:
        items: list[_Item] = []
        total = spaces = 0.0
        for left, right, runs, reshape, start, end, run_rtl in stretches:
            piece = _utf16_slice(text, start, end)
            if reshape:
                shaped, width, gap = shaped_run(runs[0].rawFont(), piece, run_rtl,
                                                 baseline, keep)
                items.append((left, right, (shaped,), True, width, start, end, run_rtl))
            else:
                width = (right - left) * (keep if piece.isspace() else 1.0)
                gap = width if piece.isspace() else 0.0
                items.append((left, right, tuple(runs), False, width, start, end, run_rtl))
            total += width
            spaces += gap
        return items, total, spaces

    items, total, spaces = build(1.0)
    if fit and total > room and spaces > 0:
        # Never below a third of a space: the words must stay apart.
        items, total, spaces = build(max(0.3, 1 - (total - room) / spaces))
    placed: list[PlacedRun] = []
    if rtl:
        x = edge
        for left, _right, runs_, reshaped, width, start, end, run_rtl in reversed(items):
            x -= width
            placed.append(PlacedRun(runs_, x if reshaped else x - left, start, end, x,
                                    x + width, run_rtl))
    else:
        x = edge
        for left, _right, runs_, reshaped, width, start, end, run_rtl in items:
            placed.append(PlacedRun(runs_, x if reshaped else x - left, start, end, x,
                                    x + width, run_rtl))
            x += width
    return placed


def draw_line(painter: QPainter, placed: list[PlacedRun], origin: QPointF,
              color: QColor) -> None:
    """Draw the placed runs of one line of a layout whose origin is at ``origin``."""
    painter.save()
    painter.setPen(color)
    for item in placed:
        for run in item.runs:
            painter.drawGlyphRun(QPointF(origin.x() + item.dx, origin.y()), run)
    painter.restore()
