"""Comparing drawings of text by their ink: HarfBuzz's reference viewer (``hb-view``) against
our PDFs (test_documents_nastaliq) and our widgets (test_desktop_nastaliq)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from caseapp.i18n import fonts

FONT = fonts.FONT_DIR / "NotoNastaliqUrdu-Regular.ttf"
GRID = (40, 20)  # ink boxes are compared on this grid, a cell inked if any pixel is


def pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[len(data) - width * height:]


def ink_grid(width: int, height: int, pixels: bytes) -> list[bool]:
    """The ink of an image, cropped to its bounding box and sampled on GRID."""
    dark = [i for i, v in enumerate(pixels) if v < 128]
    assert dark, "no ink"
    xs = [i % width for i in dark]
    ys = [i // width for i in dark]
    x0, x1, y0, y1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    gw, gh = GRID
    cells = [False] * (gw * gh)
    for x, y in zip(xs, ys, strict=True):
        gx = min(gw - 1, (x - x0) * gw // (x1 - x0))
        gy = min(gh - 1, (y - y0) * gh // (y1 - y0))
        cells[gy * gw + gx] = True
    return cells


def _near(cells: list[bool], gx: int, gy: int) -> bool:
    gw, gh = GRID
    return any(cells[y * gw + x] for y in range(max(0, gy - 1), min(gh, gy + 2))
               for x in range(max(0, gx - 1), min(gw, gx + 2)))


def overlap(a: list[bool], b: list[bool]) -> float:
    """How much of each image's ink has ink of the other within one cell (a stroke a pixel
    thicker or thinner is the same drawing; a letter moved off its place is not): the
    smaller of the two shares."""
    gw, _gh = GRID

    def matched(p: list[bool], q: list[bool]) -> float:
        inked = [i for i, v in enumerate(p) if v]
        return sum(1 for i in inked if _near(q, i % gw, i // gw)) / len(inked)

    return min(matched(a, b), matched(b, a))


def reference_image(word: str, tmp_path: Path) -> tuple[int, int, bytes]:
    """The word as HarfBuzz's own viewer draws it from the same font file, 120 pixels to the
    em: (width, height, gray pixels)."""
    out = tmp_path / "hb.pdf"
    subprocess.run(["hb-view", "--font-size=120", "--margin=20", "--language=ur", "-O", "pdf",
                    "-o", str(out),
                    str(FONT), word], check=True)
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(out), str(tmp_path / "hb")],
                   check=True)
    return pgm(next(tmp_path.glob("hb*.pgm")))


def reference(word: str, tmp_path: Path) -> list[bool]:
    """The ink of ``reference_image``, on GRID."""
    return ink_grid(*reference_image(word, tmp_path))


def gray_pixels(image: object) -> tuple[int, int, bytes]:
    """A QImage (or QPixmap) as (width, height, 8-bit gray pixels), rows without padding."""
    from PySide6.QtGui import QImage, QPixmap

    if isinstance(image, QPixmap):
        image = image.toImage()
    assert isinstance(image, QImage)
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = gray.width(), gray.height(), gray.bytesPerLine()
    raw = bytes(gray.constBits())  # type: ignore[call-overload]
    return width, height, b"".join(raw[y * stride:y * stride + width] for y in range(height))


def dark_count(width: int, height: int, pixels: bytes, threshold: int = 100) -> int:
    return sum(1 for v in pixels if v < threshold)


def ink_on_border(width: int, height: int, pixels: bytes, threshold: int = 100) -> bool:
    """Whether any dark pixel lies on the image's outermost rows or columns: ink cut off
    there, where the widget ends."""
    rows = pixels[:width] + pixels[(height - 1) * width:]
    columns = bytes(pixels[y * width] for y in range(height)) + \
        bytes(pixels[y * width + width - 1] for y in range(height))
    return any(v < threshold for v in rows + columns)


def ink_size(width: int, height: int, pixels: bytes, threshold: int = 128) -> tuple[int, int]:
    """Width and height of the box around an image's ink, in pixels."""
    dark = [i for i, v in enumerate(pixels) if v < threshold]
    assert dark, "no ink"
    xs = [i % width for i in dark]
    ys = [i // width for i in dark]
    return max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
