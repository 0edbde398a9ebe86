"""Where the text cursor goes in a line of text shaped by ``nastaliq_text``: between which
glyphs each logical position of the text falls, which position a click lands on, and which
stretches a selection covers — for ``ui.widgets.line_edit``, whose keyboard editing stays
Qt's (logical positions, in UTF-16 code units as QLineEdit counts them) while the glyphs are
HarfBuzz's.

Every character gets a span of the line: the advance of its HarfBuzz cluster where Nastaliq
was shaped here (a cluster of several characters — a letter and its vowel mark, a ligature —
is split between them in proportion, in reading order), the advance of its glyph where Qt
set the stretch (Latin, digits in the fallback font), or a share of the stretch when Qt's
glyphs do not match its characters one to one; a bidi control (an isolate around a CNIC)
gets none, its position is the one before it. A position sits at the end of the character
before it (its left edge in right-to-left text), the first at the start of the first
character; Qt's bidi order of the stretches is kept, so Latin words and CNICs inside Urdu read
left to right and the cursor steps through them left to right.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from caseapp.i18n import nastaliq
from ui.widgets.nastaliq_text import ShapedLine, ShapedText


@dataclass(frozen=True)
class Span:
    """One UTF-16 code unit's stretch of the line (x from the text's left edge) and the
    direction it reads in."""

    left: float
    right: float
    rtl: bool

    def start(self) -> float:
        """The edge where the character begins in reading order."""
        return self.right if self.rtl else self.left

    def end(self) -> float:
        return self.left if self.rtl else self.right


def _utf16_offsets(text: str) -> list[int]:
    """The UTF-16 index of each character of ``text``, and its UTF-16 length last."""
    offsets, at = [], 0
    for char in text:
        offsets.append(at)
        at += 2 if ord(char) > 0xFFFF else 1
    return [*offsets, at]


def _split(left: float, right: float, count: int, rtl: bool) -> list[tuple[float, float]]:
    """``count`` equal shares of [left, right], in reading order."""
    step = (right - left) / max(1, count)
    shares = [(left + k * step, left + (k + 1) * step) for k in range(count)]
    return shares[::-1] if rtl else shares


def _reshaped(piece: str, x0: float, size: float, rtl: bool) -> list[tuple[float, float]]:
    """Spans of the characters of a stretch HarfBuzz shaped (python indexes of ``piece``)."""
    glyphs = nastaliq.shape(piece, rtl)
    clusters: dict[int, list[float]] = {}
    pen = x0
    for _glyph, _dx, _dy, advance, cluster in glyphs:
        step = advance * size
        box = clusters.setdefault(cluster, [pen, pen])
        if step > 0:
            box[0], box[1] = min(box[0], pen), max(box[1], pen + step)
        pen += step
    spans: list[tuple[float, float]] = [(pen, pen)] * len(piece)
    starts = sorted(clusters)
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(piece)
        left, right = clusters[start]
        spans[start:stop] = _split(left, right, stop - start, rtl)
    return spans


def _line_spans(line: ShapedLine, text: str) -> list[Span | None]:
    found: list[Span | None] = [None] * (len(text.encode("utf-16-le")) // 2)
    for item in line.runs:
        count = item.end - item.start
        piece = text.encode("utf-16-le")[2 * item.start:2 * item.end].decode("utf-16-le")
        offsets = _utf16_offsets(piece)
        runs = item.runs
        if runs and not runs[0].stringIndexes():  # shaped here, by HarfBuzz
            size = runs[0].rawFont().pixelSize()
            chars = _reshaped(piece, line.shift + item.dx, size, item.rtl)
            for k, (left, right) in enumerate(chars):
                for unit in range(offsets[k], offsets[k + 1]):
                    found[item.start + unit] = Span(left, right, item.rtl)
            continue
        boxes: list[tuple[float, float]] = []  # Qt's own glyphs, left to right
        for run in runs:
            advances = run.rawFont().advancesForGlyphIndexes(run.glyphIndexes())
            boxes += [(line.shift + item.dx + p.x(), line.shift + item.dx + p.x() + a.x())
                      for p, a in zip(run.positions(), advances, strict=True) if a.x() > 0]
        boxes.sort()
        if len(boxes) != count:
            boxes = sorted(_split(line.shift + item.left, line.shift + item.right, count,
                                  False))
        ordered = boxes[::-1] if item.rtl else boxes
        for unit, (left, right) in enumerate(ordered):
            found[item.start + unit] = Span(left, right, item.rtl)
    for char, unit in zip(text, _utf16_offsets(text), strict=False):
        if unicodedata.category(char) == "Cf":  # a bidi mark or isolate: no place of its own
            found[unit] = None
    return found


@lru_cache(maxsize=256)
def spans(shaped: ShapedText) -> tuple[Span, ...]:
    """A span for every UTF-16 code unit of a one-line text (a character Qt drew nothing for,
    a bidi control, gets an empty span where the one before it ends). Cached by the shaped
    text, which ``nastaliq_text`` itself caches: a repaint costs a lookup."""
    if not shaped.lines:
        return ()
    found = _line_spans(shaped.lines[0], shaped.text)
    filled: list[Span] = []
    for n, span in enumerate(found):
        if span is None:
            if filled:
                edge = filled[-1].end()
                rtl = filled[-1].rtl
            else:
                after = next((s for s in found[n:] if s is not None), None)
                rtl = shaped.rtl if after is None else after.rtl
                edge = (shaped.width if rtl else 0.0) if after is None else after.start()
            span = Span(edge, edge, rtl)
        filled.append(span)
    return tuple(filled)


def caret_x(shaped: ShapedText, position: int) -> float:
    """Where the cursor at ``position`` (UTF-16, 0 … length) stands, from the text's left
    edge: after the character before it, or before the first."""
    chars = spans(shaped)
    if not chars:
        return shaped.width if shaped.rtl else 0.0
    if position <= 0:
        return chars[0].start()
    return chars[min(position, len(chars)) - 1].end()


def position_at(shaped: ShapedText, x: float) -> int:
    """The logical position whose cursor stands nearest to ``x`` (from the text's left
    edge): where a click at ``x`` puts the cursor."""
    count = len(spans(shaped))
    return min(range(count + 1), key=lambda p: (abs(caret_x(shaped, p) - x), p))


def selection(shaped: ShapedText, start: int, end: int) -> list[tuple[float, float]]:
    """The stretches (left, right) the characters from ``start`` to ``end`` cover, left to
    right, touching ones merged: one for a selection inside one direction, more where it
    crosses between Urdu and Latin."""
    chars = spans(shaped)[max(0, start):max(0, end)]
    merged: list[list[float]] = []
    for left, right in sorted((c.left, c.right) for c in chars if c.right > c.left):
        if merged and left <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], right)
        else:
            merged.append([left, right])
    return [(a, b) for a, b in merged]
