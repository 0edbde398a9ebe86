"""The extractable text of a PDF that Qt drew: an invisible layer of the logical text.

Qt's PDF engine maps each glyph back to a character through the font's character map. A
Nastaliq word is drawn from many glyphs that are not characters (joins, dots, ligatures), so
extraction from them loses most of the letters. Each page's drawn content is therefore
wrapped in a marked-content span whose ``/ActualText`` is empty (readers take no text from
it), and the logical text of every line is added in text render mode 3 (invisible), each
character over the word or run it belongs to, where that is drawn, so selection, search and
``pdftotext`` see exactly the text that was laid out, in reading order.

The layer's font is a Type 0 font whose character ids are the UTF-16 code units themselves
(ToUnicode maps each id to itself); its glyphs are never painted. Bytes in, bytes out.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from dataclasses import dataclass

import pikepdf

FONT_NAME = "/HfzText"
ASCENT = 800  # the layer font's ascent and descent, in 1/1000 of the font size
DESCENT = -200


@dataclass(frozen=True)
class Line:
    """One line in device pixels from the page's top-left: top, height, baseline and every
    character with its left and right edge (visual positions, whatever the direction)."""

    top: float
    height: float
    baseline: float
    chars: tuple[tuple[str, float, float], ...]


def _to_unicode_cmap() -> bytes:
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256)
              if not 0xD8 <= hi <= 0xDF]  # no surrogate halves as targets
    body = []
    for start in range(0, len(ranges), 100):  # at most 100 entries per block
        chunk = ranges[start:start + 100]
        body.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Hifazat-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(body) + "\nendcmap\nCMapName currentdict /CMap defineresource pop\n"
            "end\nend\n").encode("ascii")


def _embedded_font_file(pdf: pikepdf.Pdf) -> pikepdf.Object | None:
    """A font program Qt already embedded, for the layer font to point at (its glyphs are
    never shown, but a font with a program is an embedded font to every checker)."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" \
                and "/FontFile2" in obj:
            return obj.FontFile2
    return None


def _layer_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/HifazatTextLayer"),
        Flags=32, FontBBox=[0, DESCENT, 1000, ASCENT], ItalicAngle=0, Ascent=ASCENT,
        Descent=DESCENT, CapHeight=700, StemV=80)
    font_file = _embedded_font_file(pdf)
    if font_file is not None:
        descriptor.FontFile2 = font_file
    # Every id draws glyph 0: the layer is never painted.
    gid_map = pikepdf.Stream(pdf, zlib.compress(bytes(2 * 65536)))
    gid_map.Filter = pikepdf.Name.FlateDecode
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/HifazatTextLayer"),
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                         Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), DW=1000,
        CIDToGIDMap=pdf.make_indirect(gid_map))
    to_unicode = pikepdf.Stream(pdf, _to_unicode_cmap())
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/HifazatTextLayer"), Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[pdf.make_indirect(cid_font)],
        ToUnicode=pdf.make_indirect(to_unicode)))


def _code(ch: str) -> str:
    point = ord(ch)
    return f"{point if point <= 0xFFFF else 0xFFFD:04X}"


def _layer_ops(lines: list[Line], scale: float, page_height: float) -> bytes:
    """Content operators for the invisible text of one page. Each character is placed on
    its own (``Tm``) with the line's height as font size, stretched (``Tz``) to the width
    Qt gave it, so a reader groups and orders them as the drawn glyphs."""
    out = io.StringIO()
    out.write(f"BT 3 Tr {FONT_NAME} 1 Tf\n")
    for line in lines:
        size = line.height * scale * 1000 / (ASCENT - DESCENT)
        if size <= 0:
            continue
        # Centre the layer font's box on the drawn line's box.
        baseline = page_height - (line.top * scale + line.height * scale * ASCENT
                                  / (ASCENT - DESCENT))
        out.write(f"{FONT_NAME} {size:.3f} Tf\n")
        for ch, x0, x1 in line.chars:
            width = (x1 - x0) * scale
            stretch = max(width / size * 100.0, 0.01)
            out.write(f"{stretch:.3f} Tz 1 0 0 1 {x0 * scale:.3f} {baseline:.3f} Tm "
                      f"<{_code(ch)}> Tj\n")
    out.write("ET\n")
    return out.getvalue().encode("ascii")


# Qt marks text it draws twice (synthetic bold) with an empty ActualText span of its own;
# nested in ours, its end would end ours for a reader, and what follows would be extracted
# from the glyphs again. Inside our span it is redundant, so it becomes plain marked content.
_QT_SPAN = re.compile(rb"/Span\s*<<\s*/ActualText\s*<[0-9A-Fa-f\s]*>\s*>>\s*BDC")


def add(data: bytes, pages: list[list[Line]], resolution: float) -> bytes:
    """``data`` with Qt's glyphs hidden from extraction and the text layer of ``pages``
    (one list of lines per page, in device pixels at ``resolution``) added."""
    scale = 72.0 / resolution
    with pikepdf.open(io.BytesIO(data)) as pdf:
        font = _layer_font(pdf)
        for page, lines in zip(pdf.pages, pages, strict=True):
            page.contents_coalesce()
            height = float(page.mediabox[3]) - float(page.mediabox[1])
            drawn = _QT_SPAN.sub(b"/HfzDrawn BMC", page.Contents.read_bytes())
            page.Contents.write(
                b"/Span << /ActualText () >> BDC q\n" + drawn + b"\nQ EMC\n"
                + _layer_ops(lines, scale, height))
            resources = page.Resources
            if "/Font" not in resources:
                resources.Font = pikepdf.Dictionary()
            resources.Font[FONT_NAME] = font
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


# Object replacement (an image), line and paragraph separators, direction marks: laid out,
# but not text a reader would copy.
NOT_TEXT = frozenset("\ufffc\u2028\u2029\n\u200e\u200f")
_STRONG_RTL = frozenset({"R", "AL"})
_LEFT_TO_RIGHT = frozenset({"L", "EN", "AN"})  # letters and numbers read left to right


def words(units: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """The (position, char) units split into words and single spaces, in logical order."""
    out: list[list[tuple[int, str]]] = []
    for unit in units:
        if unit[1].isspace() or not out or out[-1][-1][1].isspace():
            out.append([unit])
        else:
            out[-1].append(unit)
    return out


def visual_slots(word: str, rtl: bool) -> list[int]:
    """For each character of one word (logical order) its place as drawn, 0 = leftmost:
    runs of letters and numbers that read left to right keep their order, right-to-left
    runs are reversed, and the runs follow the paragraph's direction. (Within a word this
    is what the Unicode bidi algorithm gives; a neutral mark joins the run before it.)"""
    runs: list[tuple[bool, list[int]]] = []  # (left to right?, logical indexes)
    for i, ch in enumerate(word):
        kind = unicodedata.bidirectional(ch)
        ltr = True if kind in _LEFT_TO_RIGHT else False if kind in _STRONG_RTL else None
        if ltr is None:
            ltr = runs[-1][0] if runs else not rtl
        if runs and runs[-1][0] == ltr:
            runs[-1][1].append(i)
        else:
            runs.append((ltr, [i]))
    ordered = [indexes if ltr else indexes[::-1] for ltr, indexes in runs]
    if rtl:
        ordered.reverse()
    slots = [0] * len(word)
    for slot, i in enumerate(i for run in ordered for i in run):
        slots[i] = slot
    return slots


def spread(word: str, x0: float, x1: float, rtl: bool) -> list[tuple[str, float, float]]:
    """The characters of ``word`` in logical order, each with an equal share of the word's
    drawn width [x0, x1] at its visual place."""
    if not word:
        return []
    step = (x1 - x0) / len(word)
    return [(ch, x0 + slot * step, x0 + (slot + 1) * step)
            for ch, slot in zip(word, visual_slots(word, rtl), strict=True)]
