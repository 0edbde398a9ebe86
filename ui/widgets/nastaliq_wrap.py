"""A paragraph of a multi-line editor broken into lines that fit a width, each line shaped
on its own by ``nastaliq_text`` — for ``ui.widgets.text_edit``, whose cursor code
(``nastaliq_caret``) works on one-line texts.

Lines break after the spaces between words (a word's trailing spaces stay on its line and
hang at its far end, as in Qt's own layouts), by HarfBuzz's widths with the ink included: a
line fits when its ink, placed as the editor places it, stays inside the width. A word wider
than the whole width is broken between letters. A line separator (U+2028, Shift+Enter)
ends a line. The result is cached: a paragraph that did not change costs a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtGui import QFont

from ui.widgets.nastaliq_text import ShapedText, shaped

_TOKEN = re.compile(r"\S+\s*|\s+")
LINE_SEPARATOR = "\u2028"
_FONTS: dict[str, QFont] = {}


@dataclass(frozen=True)
class Room:
    """What a line of the editor makes room for in a font: its box's height and how far
    Nastaliq's ink reaches beyond it on each side (from the interface strings whose ink
    reaches furthest, so that lines keep one pitch whatever is typed)."""

    height: float
    above: float
    below: float
    left: float
    right: float


@lru_cache(maxsize=16)
def _room(font_key: str) -> Room:
    from ui.widgets.line_edit import TALL_AND_DEEP

    drawn = [shaped(text, _FONTS[font_key]) for text in TALL_AND_DEEP]
    rooms = [d.margins() for d in drawn]
    return Room(max(d.height for d in drawn), max(m.top() for m in rooms),
                max(m.bottom() for m in rooms), max(m.left() for m in rooms),
                max(m.right() for m in rooms))


def room(font: QFont) -> Room:
    _FONTS.setdefault(font.key(), QFont(font))
    return _room(font.key())


@dataclass(frozen=True, eq=False)
class WrappedLine:
    """One line of a paragraph: where it starts in the paragraph and how long it is (UTF-16
    code units, as Qt counts positions), and its text shaped (an empty line is shaped as a
    space, with a length of 0). ``last``: the paragraph's last line."""

    start: int
    length: int
    shaped: ShapedText
    last: bool

    def lead(self, room: Room, rtl: bool) -> float:
        """The room left before the line's box at its aligned edge (the right edge of a
        right-to-left line, the left of a left-to-right one), for its ink."""
        margins = self.shaped.margins()
        return max(room.right, margins.right()) if rtl else max(room.left, margins.left())


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, font: QFont, rtl: bool, width: float, space: Room) -> bool:
    drawn = shaped(text.rstrip() or " ", font, rtl)
    margins = drawn.margins()
    if rtl:
        return max(space.right, margins.right()) + drawn.width + margins.left() <= width
    return max(space.left, margins.left()) + drawn.width + margins.right() <= width


def _split_word(word: str, font: QFont, rtl: bool, width: float, space: Room) -> int:
    """How many characters of a word too wide for a line go on the line (at least one)."""
    low, high = 1, len(word) - 1
    best = 1
    while low <= high:
        middle = (low + high) // 2
        if _fits(word[:middle], font, rtl, width, space):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def _segment_lines(text: str, font: QFont, rtl: bool, width: float) -> list[str]:
    """The lines of a stretch without a line separator, as texts that join back to it."""
    space = room(font)
    tokens = _TOKEN.findall(text)
    if not tokens:
        return [""]
    widths = [shaped(token, font, rtl).width for token in tokens]
    limit = width - space.left - space.right
    lines: list[str] = []
    i = 0
    while i < len(tokens):
        j, estimate = i + 1, widths[i]
        while j < len(tokens) and estimate + widths[j] <= limit:
            estimate += widths[j]
            j += 1
        while j - i > 1 and not _fits("".join(tokens[i:j]), font, rtl, width, space):
            j -= 1
        while j < len(tokens) and _fits("".join(tokens[i:j + 1]), font, rtl, width, space):
            j += 1
        if j - i == 1 and not _fits(tokens[i], font, rtl, width, space) and \
                len(tokens[i].rstrip()) > 1:
            cut = _split_word(tokens[i], font, rtl, width, space)
            tokens[i:i + 1] = [tokens[i][:cut], tokens[i][cut:]]
            widths[i:i + 1] = [shaped(t, font, rtl).width for t in tokens[i:i + 2]]
        lines.append("".join(tokens[i:j]))
        i = j
    return lines


@lru_cache(maxsize=1024)
def _wrapped(text: str, font_key: str, rtl: bool, width: float) -> tuple[WrappedLine, ...]:
    font = _FONTS[font_key]
    pieces: list[str] = []
    segments = text.split(LINE_SEPARATOR)
    for n, segment in enumerate(segments):
        found = _segment_lines(segment, font, rtl, width)
        if n + 1 < len(segments):
            found[-1] += LINE_SEPARATOR  # the separator ends its line, as a space would
        pieces += found
    lines, start = [], 0
    for n, piece in enumerate(pieces):
        shown = piece.replace(LINE_SEPARATOR, " ")
        lines.append(WrappedLine(start, _units(piece), shaped(shown or " ", font, rtl),
                                 n + 1 == len(pieces)))
        start += _units(piece)
    return tuple(lines)


def wrap(text: str, font: QFont, rtl: bool, width: float) -> tuple[WrappedLine, ...]:
    """The lines of the paragraph ``text`` (right to left when ``rtl``) in ``width``."""
    _FONTS.setdefault(font.key(), QFont(font))
    return _wrapped(text, font.key(), rtl, float(int(width)))


def clear_cache() -> None:
    _wrapped.cache_clear()
