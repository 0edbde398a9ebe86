"""What a PDF document says, as plain values: the blocks every document is built from
(headings, paragraphs, key–value tables, bilingual rows, bar charts). Each piece of text
carries its language, so the renderer (``caseapp.documents.pdf``) picks the font (Urdu in
Nastaliq, Pashto and Dari in Naskh) and the direction. No Qt here: the documents compose
these values, ``pdf.render`` turns them into bytes."""

from __future__ import annotations

from dataclasses import dataclass, field

from caseapp.i18n import N_, RTL_LANGUAGES

PAGE_LABEL = N_("Page %(page)s of %(pages)s")


@dataclass(frozen=True)
class Text:
    """A run of text in one language. The text is shown as typed: never read as markup."""

    text: str
    lang: str = "en"
    bold: bool = False

    @property
    def rtl(self) -> bool:
        return self.lang in RTL_LANGUAGES


@dataclass(frozen=True)
class Heading:
    text: Text
    level: int = 1  # 1: document title, 2: section


@dataclass(frozen=True)
class Paragraph:
    text: Text
    small: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of cells; the first row is a header when ``header`` is set. The table runs right
    to left when ``rtl`` (a table of Urdu labels reads from the right)."""

    rows: tuple[tuple[Text, ...], ...]
    header: bool = False
    rtl: bool = False


@dataclass(frozen=True)
class Bilingual:
    """The same content twice, side by side: English on the left, Urdu on the right."""

    left: Text
    right: Text


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label; a value of ``None`` is a count not shown (no bar).
    ``value_labels`` are what is printed beside each bar: the number as the language writes
    it, or why there is none."""

    title: Text
    labels: tuple[Text, ...]
    values: tuple[int | None, ...]
    value_labels: tuple[Text, ...]


Block = Heading | Paragraph | Table | Bilingual | BarChart


@dataclass(frozen=True)
class Document:
    """A whole document. ``watermark`` and ``footer`` are printed on every page (the export
    id and the recipient); ``page_label`` is the page-number pattern with ``%(page)s`` and
    ``%(pages)s``, already in the document's language."""

    title: str
    lang: str
    blocks: tuple[Block, ...]
    watermark: str = ""
    footer: Text = field(default_factory=lambda: Text(""))
    page_label: Text = field(default_factory=lambda: Text("%(page)s / %(pages)s"))
