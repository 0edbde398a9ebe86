"""The one document layer: a ``layout.Document`` in, PDF bytes out, built in memory.

Text is laid out by Qt's text engine (HarfBuzz shaping, full Unicode bidi) on a
``QPdfWriter`` writing into a ``QBuffer`` — reportlab cannot shape Nastaliq (ARCHITECTURE §7).
Only QtGui is used, never widgets; without an application object a headless
``QGuiApplication`` is made. The bundled Noto fonts are registered, so every machine sets
the same glyphs: Urdu in Nastaliq, Pashto and Dari in Naskh, Latin in Noto Sans.

Every page gets the watermark (export id, recipient), the footer and its page number.

Qt lays out every line (breaks, bidi order, tables, pages), but its own drawing of Noto
Nastaliq is wrong, so the document's text is transparent and every line is drawn again by
``nastaliq.draw_line`` (``caseapp.i18n.nastaliq``, shared with the desktop: Nastaliq runs
shaped by HarfBuzz, the rest as Qt shaped them).

The glyphs are drawn, but a Nastaliq glyph is often a piece of a letter (a dot, a
cursive join), so the text a PDF reader would extract from them is broken. ``text_layer``
therefore hides Qt's glyphs from extraction and adds an invisible text layer with the
logical text of every line at its place on the page (as scanned-and-recognised PDFs do).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextImageFormat,
    QTextLayout,
    QTextLength,
    QTextLine,
    QTextOption,
    QTextTableCell,
    QTextTableFormat,
)

from caseapp.documents import text_layer
from caseapp.documents.layout import (
    BarChart,
    Bilingual,
    Block,
    Document,
    Heading,
    Paragraph,
    Table,
    Text,
)
from caseapp.documents.text_layer import Line
from caseapp.i18n import fonts, nastaliq

RESOLUTION = 600  # device pixels per inch of the PDF painter
MARGIN_MM = 18.0
FOOTER_MM = 10.0  # below the text area, above the bottom margin's edge
BAND_MM = 4.0  # see render: room for letters that reach beyond their line
BODY_PT = 10.5
# Nastaliq sets smaller than Naskh or Latin at the same size; this evens the reading size.
SIZE_SCALE = {"ur": 1.1, "ps": 1.2, "fa_AF": 1.2}
HEADING_PT = {1: 17.0, 2: 13.0}
INK = QColor(20, 20, 20)
FOOTER_INK = QColor(110, 110, 110)
HIDDEN = QColor(0, 0, 0, 0)
RULE = QColor(150, 150, 150)
BAR = QColor(45, 95, 150)
WATERMARK = QColor(180, 30, 30, 38)
SOLID = QTextFrameFormat.BorderStyle.BorderStyle_Solid
NO_BORDER = QTextFrameFormat.BorderStyle.BorderStyle_None

_app: QGuiApplication | None = None
_fonts_ready = False
def _ensure_qt() -> None:
    """A headless application object if the process has none (the desktop's own is used
    when it runs), and the bundled fonts registered once."""
    global _app, _fonts_ready
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app = QGuiApplication([])
    if not _fonts_ready:
        for path in fonts.qt_font_files():
            if QFontDatabase.addApplicationFont(str(path)) < 0:
                raise RuntimeError(f"bundled font not loadable: {path.name}")
        _fonts_ready = True


# A number with separators (111-247-786, 2026-12-01, 9–17) in right-to-left text: by the Unicode
# bidi rules its digits become Arabic numbers and the hyphens neutral, so the groups would
# show in reverse order (786-247-111). A left-to-right mark before it keeps it one number.
_NUMBER_RUN = re.compile(r"[0-9۰-۹]+(?:[-–/.:+][0-9۰-۹]+)+")
LRM = "\u200e"


def _shown(text: Text) -> str:
    return _NUMBER_RUN.sub(lambda m: LRM + m.group(0), text.text) if text.rtl else text.text


def _pt_size(lang: str, size: float) -> float:
    return size * SIZE_SCALE.get(lang, 1.0)


def _char_format(text: Text, size: float, *, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setFontFamilies(fonts.fallback_families(text.lang))
    fmt.setFontPointSize(_pt_size(text.lang, size))
    fmt.setFontWeight(QFont.Weight.Bold if (bold or text.bold) else QFont.Weight.Normal)
    # Transparent: every line is drawn again by ``nastaliq.draw_line`` (see there why).
    fmt.setForeground(QBrush(HIDDEN))
    return fmt


def _block_format(rtl: bool, *, space_after: float = 4.0,
                  space_before: float = 0.0) -> QTextBlockFormat:
    fmt = QTextBlockFormat()
    fmt.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl
                           else Qt.LayoutDirection.LeftToRight)
    # Leading edge: the right for a right-to-left paragraph.
    fmt.setAlignment(Qt.AlignmentFlag.AlignLeading)
    fmt.setBottomMargin(space_after)
    fmt.setTopMargin(space_before)
    return fmt


@dataclass
class _Builder:
    doc: QTextDocument
    cursor: QTextCursor
    width_px: float
    first: bool = True
    headings: list[int] = field(default_factory=list)  # block numbers, kept with the next

    def _start_block(self, fmt: QTextBlockFormat, chars: QTextCharFormat) -> None:
        # The document starts with one empty block; use it for the first block.
        if self.first:
            self.cursor.setBlockFormat(fmt)
            self.cursor.setBlockCharFormat(chars)
            self.first = False
        else:
            self.cursor.insertBlock(fmt, chars)

    def text_block(self, text: Text, size: float, *, bold: bool = False,
                   space_after: float = 4.0, space_before: float = 0.0) -> None:
        chars = _char_format(text, size, bold=bold)
        self._start_block(_block_format(text.rtl, space_after=space_after,
                                        space_before=space_before), chars)
        self.cursor.insertText(_shown(text), chars)

    def table(self, rows: tuple[tuple[Text, ...], ...], *, header: bool, rtl: bool,
              borders: bool = True, widths: tuple[float, ...] | None = None) -> None:
        if not rows:
            return
        columns = max(len(r) for r in rows)
        share = widths or tuple(100.0 / columns for _ in range(columns))
        if rtl:
            # Qt lays a table out left to right whatever its direction: a right-to-left
            # table is given its columns in reverse.
            rows = tuple(tuple(reversed(tuple(r) + (Text(""),) * (columns - len(r))))
                         for r in rows)
            share = tuple(reversed(share))
        fmt = QTextTableFormat()
        fmt.setBorder(0.6 if borders else 0.0)
        fmt.setBorderBrush(QBrush(RULE))
        fmt.setBorderStyle(SOLID if borders else NO_BORDER)
        fmt.setCellSpacing(0)
        fmt.setCellPadding(4)
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        fmt.setColumnWidthConstraints(
            [QTextLength(QTextLength.Type.PercentageLength, w) for w in share])
        fmt.setHeaderRowCount(1 if header else 0)
        if self.first:
            self.first = False
        table = self.cursor.insertTable(len(rows), columns, fmt)
        for r, row in enumerate(rows):
            for c in range(columns):
                cell = table.cellAt(r, c)
                _middle(cell)
                cursor = cell.firstCursorPosition()
                text = row[c] if c < len(row) else Text("")
                chars = _char_format(text, BODY_PT, bold=header and r == 0)
                cursor.setBlockFormat(_block_format(text.rtl, space_after=0.0))
                cursor.setBlockCharFormat(chars)
                cursor.insertText(_shown(text), chars)
        # Leave the table: the cursor continues after it.
        self.cursor.movePosition(QTextCursor.MoveOperation.End)

    def bar_chart(self, chart: BarChart) -> None:
        if chart.title.text:
            self.text_block(chart.title, HEADING_PT[2], bold=True, space_before=6.0)
        top = max((v for v in chart.values if v is not None), default=0) or 1
        rtl = chart.title.rtl
        fmt = QTextTableFormat()
        fmt.setBorder(0)
        fmt.setBorderStyle(NO_BORDER)
        fmt.setCellPadding(2)
        fmt.setCellSpacing(0)
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        # Label, bar, number; mirrored for a right-to-left chart (see ``table``).
        label_col, bar_col, value_col = (2, 1, 0) if rtl else (0, 1, 2)
        widths = (14.0, 52.0, 34.0) if rtl else (34.0, 52.0, 14.0)
        fmt.setColumnWidthConstraints([QTextLength(QTextLength.Type.PercentageLength, w)
                                       for w in widths])
        table = self.cursor.insertTable(len(chart.labels), 3, fmt)
        # Image sizes are in 96-dpi pixels whatever the paint device.
        bar_width = self.width_px * 0.50 * 96.0 / RESOLUTION
        bar_height = BODY_PT * 0.9 * 96.0 / 72.0
        for r, (label, value, shown) in enumerate(
                zip(chart.labels, chart.values, chart.value_labels, strict=True)):
            for c in range(3):
                _middle(table.cellAt(r, c))
            for c, text in ((label_col, label), (value_col, shown)):
                cursor = table.cellAt(r, c).firstCursorPosition()
                chars = _char_format(text, BODY_PT)
                cursor.setBlockFormat(_block_format(text.rtl, space_after=0.0))
                cursor.insertText(_shown(text), chars)
            if value:
                cursor = table.cellAt(r, bar_col).firstCursorPosition()
                # The bar starts beside its label: at the right in a right-to-left chart.
                bar = _block_format(rtl, space_after=0.0)
                side = Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
                bar.setAlignment(side | Qt.AlignmentFlag.AlignAbsolute)
                cursor.setBlockFormat(bar)
                image = QTextImageFormat()
                image.setName("hifazat://bar")
                image.setWidth(max(1.0, bar_width * value / top))
                image.setHeight(bar_height)
                cursor.insertImage(image)
        self.cursor.movePosition(QTextCursor.MoveOperation.End)


def _middle(cell: QTextTableCell) -> None:
    """Centre a cell's content vertically: a Nastaliq line is much taller than a Latin one,
    so the cells of a row would otherwise not line up."""
    fmt = cell.format()
    fmt.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignMiddle)
    cell.setFormat(fmt)


def _add_block(builder: _Builder, block: Block) -> None:
    if isinstance(block, Heading):
        builder.text_block(block.text, HEADING_PT.get(block.level, HEADING_PT[2]), bold=True,
                           space_after=6.0, space_before=0.0 if block.level == 1 else 8.0)
        builder.headings.append(builder.cursor.block().blockNumber())
    elif isinstance(block, Paragraph):
        builder.text_block(block.text, BODY_PT * (0.85 if block.small else 1.0),
                           space_after=5.0)
    elif isinstance(block, Table):
        builder.table(block.rows, header=block.header, rtl=block.rtl)
    elif isinstance(block, Bilingual):
        builder.table(((block.left, block.right),), header=False, rtl=False, borders=False,
                      widths=(50.0, 50.0))
    elif isinstance(block, BarChart):
        builder.bar_chart(block)


def _keep_headings_with_next(doc: QTextDocument, headings: list[int],
                             page_height: float) -> None:
    """A heading at the foot of a page, its text on the next, starts the next page instead
    (Qt's layout has no keep-with-next). Each move can push later headings, so it repeats."""
    layout = doc.documentLayout()
    for _round in range(len(headings) + 1):
        doc.pageCount()  # the layout is lazy: finish it before measuring
        moved = False
        for number in headings:
            heading = doc.findBlockByNumber(number)
            following = heading.next()
            if not heading.isValid() or not following.isValid():
                continue
            here = int(_first_line_top(layout, heading) // page_height)
            there = int(_first_line_top(layout, following) // page_height)
            if there > here and heading.blockFormat().pageBreakPolicy() != _BREAK_BEFORE:
                fmt = QTextBlockFormat()
                fmt.setPageBreakPolicy(_BREAK_BEFORE)
                QTextCursor(heading).mergeBlockFormat(fmt)
                moved = True
                break  # the layout changed: measure again from the start
        if not moved:
            return


_BREAK_BEFORE = QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore


def _first_line_top(layout: QAbstractTextDocumentLayout, block: QTextBlock) -> float:
    """Where a block's first line is: pagination moves the line, not the block's rect."""
    top = layout.blockBoundingRect(block).top()
    lines = block.layout()
    return top + lines.lineAt(0).y() if lines.lineCount() else top


def _bar_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_RGB32)
    image.fill(BAR)
    return image


def _utf16_chars(text: str) -> list[tuple[int, str]]:
    """(UTF-16 offset, character): Qt counts positions in UTF-16 units."""
    out: list[tuple[int, str]] = []
    offset = 0
    for ch in text:
        out.append((offset, ch))
        offset += 2 if ord(ch) > 0xFFFF else 1
    return out


def _edges(line: QTextLine, origin: QPointF, pos: int) -> tuple[float, float]:
    # PySide returns (x, position) for cursorToX.
    lead = float(line.cursorToX(pos, QTextLine.Edge.Leading)[0])  # type: ignore[index]
    trail = float(line.cursorToX(pos, QTextLine.Edge.Trailing)[0])  # type: ignore[index]
    return origin.x() + min(lead, trail), origin.x() + max(lead, trail)


def _line_of(line: QTextLine, text: str, origin: QPointF, rtl: bool
             ) -> tuple[Line, list[nastaliq.PlacedRun]] | None:
    """One laid-out line: what to draw, and for the text layer its characters, in document
    pixels. A character's own position is not reliable inside a ligature or a Nastaliq
    cluster, so each word (or each stretch of a Nastaliq line, where it is drawn) shares
    its width among its characters in visual order."""
    start, end = line.textStart(), line.textStart() + line.textLength()
    units = [(pos, ch) for pos, ch in _utf16_chars(text)
             if start <= pos < end and ch not in text_layer.NOT_TEXT]
    chars: list[tuple[str, float, float]] = []
    if nastaliq.uses_nastaliq(line):
        placed = nastaliq.place_line(line, text, rtl)
        for item in sorted(placed, key=lambda p: p.start):
            letters = "".join(ch for pos, ch in units if item.start <= pos < item.end)
            chars += text_layer.spread(letters, origin.x() + item.left,
                                       origin.x() + item.right, item.rtl)
    else:
        placed = [nastaliq.PlacedRun(tuple(line.glyphRuns()), 0.0, start, end, 0.0, 0.0, rtl)]
        for word in text_layer.words(units):
            boxes = [_edges(line, origin, pos) for pos, _ch in word]
            chars += text_layer.spread("".join(ch for _pos, ch in word),
                                       min(b[0] for b in boxes), max(b[1] for b in boxes), rtl)
    if not chars:
        return None
    top = origin.y() + line.y()
    return Line(top, line.height(), top + line.ascent(), tuple(chars)), placed


@dataclass(frozen=True)
class _Placed:
    """A laid-out line: for the text layer (``line``, relative to its page) and for drawing
    (Qt's line, its block's text and the block's origin in the document)."""

    line: Line
    runs: list[nastaliq.PlacedRun]
    origin: QPointF


def _document_lines(doc: QTextDocument, page_height: float) -> dict[int, list[_Placed]]:
    """Every line of the document, by page."""
    pages: dict[int, list[_Placed]] = {}
    layout = doc.documentLayout()
    block: QTextBlock = doc.begin()
    while block.isValid():
        text_layout = block.layout()
        origin = layout.blockBoundingRect(block).topLeft()
        rtl = block.textDirection() == Qt.LayoutDirection.RightToLeft
        text = block.text()
        for i in range(text_layout.lineCount()):
            found = _line_of(text_layout.lineAt(i), text, origin, rtl)
            if found is None:
                continue
            line, runs = found
            page = int(line.top // page_height)
            offset = page * page_height
            pages.setdefault(page, []).append(_Placed(
                Line(line.top - offset, line.height, line.baseline - offset, line.chars),
                runs, QPointF(origin)))
        block = block.next()
    return pages


def _single_line(text: Text, size: float, width: float, painter: QPainter,
                 origin: QPointF, align_end: bool) -> Line | None:
    """Lay out and draw one short line (footer, page number); returns it for the text
    layer."""
    if not text.text:
        return None
    font = QFont()
    font.setFamilies(fonts.fallback_families(text.lang))
    font.setPointSizeF(_pt_size(text.lang, size))
    shown = _shown(text)
    layout = QTextLayout(shown, font, painter.device())
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft if text.rtl
                            else Qt.LayoutDirection.LeftToRight)
    option.setWrapMode(QTextOption.WrapMode.NoWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(width)
    layout.endLayout()
    x = origin.x() + (width - line.naturalTextWidth() if align_end else 0.0)
    # Natural text starts at naturalTextRect().x(); shift so the run sits at x.
    x -= line.naturalTextRect().x()
    at = QPointF(x, origin.y())
    found = _line_of(line, shown, at, text.rtl)
    if found is None:
        return None
    nastaliq.draw_line(painter, found[1], at, FOOTER_INK)
    return found[0]


def _draw_watermark(painter: QPainter, text: str, width: float, height: float) -> None:
    if not text:
        return
    painter.save()
    font = QFont()
    # Naskh before Nastaliq: drawText here bypasses draw_line, and Qt's Nastaliq is broken.
    font.setFamilies([fonts.SANS, fonts.NASKH])
    font.setPointSizeF(22)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(WATERMARK)
    painter.translate(width / 2, height / 2)
    painter.rotate(-35)
    box = QRectF(-width, -height / 2, 2 * width, height)
    painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)
    painter.restore()


def render(document: Document) -> bytes:
    """The PDF of ``document`` (A4), built in memory; nothing is written to disk."""
    _ensure_qt()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                                     QPageLayout.Unit.Millimeter))
    writer.setTitle(document.title)
    writer.setCreator("Hifazat")
    px_per_mm = RESOLUTION / 25.4
    page_w = writer.width()
    page_h = writer.height()
    margin = MARGIN_MM * px_per_mm
    body_w = page_w - 2 * margin
    # Each page's slice of the document has a free band above and below its lines: a
    # Nastaliq letter reaches beyond its line's box, and the band keeps the tip of the
    # next page's first line off this page and the last line's tail off the footer.
    band = BAND_MM * px_per_mm
    body_h = page_h - 2 * margin - FOOTER_MM * px_per_mm + 2 * band

    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    doc.setDocumentMargin(0)
    root = doc.rootFrame().frameFormat()
    root.setTopMargin(band)
    root.setBottomMargin(band)
    doc.rootFrame().setFrameFormat(root)
    doc.setUndoRedoEnabled(False)
    doc.addResource(QTextDocument.ResourceType.ImageResource, "hifazat://bar", _bar_image())
    doc.setPageSize(QSizeF(body_w, body_h))
    builder = _Builder(doc, QTextCursor(doc), body_w)
    # One edit block: the layout runs once at its end, not after every insertion.
    builder.cursor.beginEditBlock()
    for block in document.blocks:
        _add_block(builder, block)
    builder.cursor.endEditBlock()
    _keep_headings_with_next(doc, builder.headings, body_h)
    pages = max(1, doc.pageCount())
    lines = _document_lines(doc, body_h)

    painter = QPainter()
    if not painter.begin(writer):
        raise RuntimeError("the PDF painter could not start")
    page_lines: list[list[Line]] = []
    try:
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(margin, margin - band - page * body_h)
            painter.setClipRect(QRectF(0, page * body_h, body_w, body_h))
            doc.drawContents(painter, QRectF(0, page * body_h, body_w, body_h))
            for placed in lines.get(page, []):
                nastaliq.draw_line(painter, placed.runs, placed.origin, INK)
            painter.restore()
            # Over the content, translucent: no picture or table can hide it.
            _draw_watermark(painter, document.watermark, page_w, page_h)
            here = [Line(ln.top + margin - band, ln.height, ln.baseline + margin - band,
                         tuple((c, x0 + margin, x1 + margin) for c, x0, x1 in ln.chars))
                    for ln in (placed.line for placed in lines.get(page, []))]
            footer_y = page_h - margin - FOOTER_MM * px_per_mm * 0.6
            painter.setPen(RULE)
            painter.drawLine(QPointF(margin, footer_y), QPointF(page_w - margin, footer_y))
            label = Text(document.page_label.text % {"page": page + 1, "pages": pages},
                         document.page_label.lang)
            rtl_doc = document.footer.rtl
            for text, end in ((document.footer, rtl_doc), (label, not rtl_doc)):
                drawn = _single_line(text, 8.0, body_w, painter,
                                     QPointF(margin, footer_y + px_per_mm), end)
                if drawn is not None:
                    here.append(drawn)
            page_lines.append(here)
    finally:
        painter.end()
        buffer.close()
    return text_layer.add(bytes(data.data()), page_lines, RESOLUTION)
