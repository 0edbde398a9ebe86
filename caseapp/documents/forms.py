"""Bilingual forms (English and Urdu): the referral form and the case summary.

Plain values in (what the service read and the sender chose), PDF bytes out. Every label is
a message id printed twice: in English on the left and in Urdu (from the Urdu catalog) on the
right, with the value between them in its own script. The export id and the recipient are
in the watermark and the footer of every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caseapp.documents import pdf
from caseapp.documents.layout import (
    PAGE_LABEL,
    Bilingual,
    Block,
    Document,
    Heading,
    Paragraph,
    Table,
    Text,
)
from caseapp.i18n import N_, gettext_for

URDU = "ur"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")

REFERRAL_TITLE = N_("Referral form")
SUMMARY_TITLE = N_("Case summary")
CONFIDENTIAL = N_("Confidential: for the named recipient only. Do not copy or pass on.")
FOOTER = N_("Export %(export_id)s for %(recipient)s")
MINIMUM_NOTE = N_("Only the information the recipient needs for this referral is included; "
                  "the sender chose these sections.")


@dataclass(frozen=True)
class Row:
    """One line of a form: a label (message id) and the value as text (already in words:
    a code's label, a date, a name)."""

    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str  # message id
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Form:
    title: str  # message id: REFERRAL_TITLE or SUMMARY_TITLE
    export_id: str
    recipient: str
    header: tuple[Row, ...]  # always printed: who, to whom, when, urgency, consent
    sections: tuple[Section, ...]  # what the sender chose to include
    note: str = ""  # message id printed under the title


def lang_of(value: str) -> str:
    """Values are printed in their own script: Urdu letters right to left in Nastaliq."""
    return URDU if ARABIC_SCRIPT.search(value) else "en"


def urdu(msgid: str) -> str:
    return gettext_for(URDU, msgid)


def _rows_table(rows: tuple[Row, ...]) -> Table:
    cells = tuple((Text(row.label, "en", bold=True), Text(row.value, lang_of(row.value)),
                   Text(urdu(row.label), URDU, bold=False)) for row in rows)
    return Table(cells)


def _bilingual_heading(msgid: str) -> Bilingual:
    return Bilingual(Text(msgid, "en", bold=True), Text(urdu(msgid), URDU, bold=True))


def form_blocks(form: Form) -> tuple[Block, ...]:
    blocks: list[Block] = [
        Heading(Text(form.title)),
        Paragraph(Text(urdu(form.title), URDU)),
        Bilingual(Text(CONFIDENTIAL, "en"), Text(urdu(CONFIDENTIAL), URDU)),
    ]
    if form.note:
        blocks.append(Bilingual(Text(form.note, "en"), Text(urdu(form.note), URDU)))
    blocks.append(_rows_table(form.header))
    for section in form.sections:
        if not section.rows:
            continue
        blocks.append(_bilingual_heading(section.title))
        blocks.append(_rows_table(section.rows))
    return tuple(blocks)


def render(form: Form) -> bytes:
    """The form's PDF, built in memory."""
    footer = FOOTER % {"export_id": form.export_id, "recipient": form.recipient}
    document = Document(
        title=form.title, lang="en", blocks=form_blocks(form),
        watermark=f"{form.export_id} · {form.recipient}",
        footer=Text(footer, lang_of(form.recipient)), page_label=Text(PAGE_LABEL))
    return pdf.render(document)
