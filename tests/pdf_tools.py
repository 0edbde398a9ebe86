"""What the document tests ask of a PDF, through the standard poppler tools (pdftotext,
pdftoppm) rather than our own code: the text a reader extracts, page images, and the boxes
of the words on a page."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

# pdftotext wraps right-to-left lines in bidi embedding marks; they are not text.
BIDI_MARKS = re.compile("[\u202a-\u202e]")
A4_POINTS = (595.0, 842.0)


def pdf_text(path: Path, page: int | None = None, *, layout: bool = False) -> str:
    """The text poppler extracts; ``layout`` keeps each table row on its line."""
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else [])]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, str(path), "-"], check=True, capture_output=True).stdout
    return BIDI_MARKS.sub("", out.decode("utf-8"))


def letters(text: str) -> str:
    """The text without any white space: poppler places a space next to an Arabic comma or
    a Latin run in a right-to-left line on the wrong side (its bidi reordering treats the
    neutral as part of the run), so letter order is compared without spaces."""
    return "".join(text.split())


def words(text: str) -> list[str]:
    return text.split()


def page_count(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    match = re.search(r"^Pages:\s+(\d+)", out.stdout, re.MULTILINE)
    assert match, out.stdout
    return int(match.group(1))


def render_pages(path: Path, out_dir: Path, dpi: int = 40) -> list[Path]:
    """Grey page images (PGM), one per page."""
    prefix = out_dir / path.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), str(prefix)], check=True)
    return sorted(out_dir.glob(f"{path.stem}-*.pgm"))


def ink_fraction(pgm: Path) -> float:
    """The share of pixels that are not (near) white in a binary PGM (P5) image."""
    data = pgm.read_bytes()
    fields = data.split(maxsplit=4)  # magic, width, height, maxval, pixels
    assert fields[0] == b"P5", fields[0]
    width, height = int(fields[1]), int(fields[2])
    pixels = data[len(data) - width * height:]
    return sum(1 for value in pixels if value < 230) / len(pixels)


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def word_boxes(path: Path) -> list[Word]:
    """Every word pdftotext finds, with its box in points from the page's top-left."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                         capture_output=True).stdout
    xml = re.sub(rb"<!DOCTYPE[^>]*>", b"", out)
    root = ET.fromstring(xml)
    found: list[Word] = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            found.append(Word(number, BIDI_MARKS.sub("", word.text or ""),
                              float(word.get("xMin", 0)), float(word.get("yMin", 0)),
                              float(word.get("xMax", 0)), float(word.get("yMax", 0))))
    return found


def says_in_order(phrase: str, text: str) -> bool:
    """Whether the words of ``phrase`` occur in ``text`` in that order. A table cell's lines
    are extracted with the next column's text between them, so a sentence in a cell is
    found as the sequence of its words."""
    found = iter(text.split())
    return all(any(word == seen for seen in found) for word in phrase.split())
