"""The rights and consent information sheet, in Urdu, Pashto, Dari or English: what a person
identified as a possible victim of trafficking or a smuggled migrant is entitled to in
Pakistan (RESEARCH §5.1–5.2) and how we ask for consent (RESEARCH §6.2), in plain words.

The English sentences are message ids; the sheet in another language is their translation
from that language's catalog, reviewed as whole sentences. No personal data is on the sheet,
so it is not encrypted. ``VERSION`` is the explanation version to record with a consent
given after reading this sheet.
"""

from __future__ import annotations

from caseapp.documents import pdf
from caseapp.documents.layout import PAGE_LABEL, Block, Document, Heading, Paragraph, Text
from caseapp.errors import ValidationError
from caseapp.i18n import LANGUAGES, N_, gettext_for

VERSION = "rights-2026-1"

TITLE = N_("Your rights and your consent")
# (heading, paragraphs); each a whole sentence or two, as a person is told them.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", (
        N_("This sheet tells you about your rights in Pakistan and about how we use "
           "information about you. Ask us to read it to you, or to explain anything that is "
           "not clear."),
    )),
    (N_("You will not be punished"), (
        N_("If you were trafficked, you must not be punished for what you were forced to do, "
           "or for crossing the border without papers or with false papers because of it."),
        N_("If you were smuggled, you are not prosecuted for having been smuggled."),
    )),
    (N_("Your identity is protected"), (
        N_("Your name and details must not be made public, also not by newspapers or "
           "television. A court can hear you in private, behind a screen or by video."),
    )),
    (N_("Help you can get"), (
        N_("You can get a safe place to stay, food, medical care and someone to talk to."),
        N_("You can get free legal help and an interpreter in your language."),
        N_("Your help does not depend on talking to the police. Whether you speak to the "
           "FIA or the police is your own choice."),
        N_("A court can order the person who exploited you to pay you compensation."),
    )),
    (N_("If you are from another country"), (
        N_("You may stay in Pakistan while the case is in court, or go home safely. Your "
           "wishes are taken into account. You can ask us to contact your embassy."),
    )),
    (N_("Children"), (
        N_("A child under 18 is protected in the way that is best for the child. If your age "
           "is not known, you are treated as a child until it is. We try to find your family "
           "if that is safe."),
    )),
    (N_("Your consent"), (
        N_("We ask your permission separately for each use of your information: the "
           "interview, keeping your file to help you, sending you to a named organisation, "
           "sharing with the FIA or the police, statistics without your name, and contacting "
           "you later."),
        N_("You can say no to any of these. Saying no does not stop your help."),
        N_("You can change your mind at any time. Tell us, and we stop using your "
           "information for that purpose."),
        N_("You can ask to see your information and to have it corrected. It is kept "
           "locked, and only the staff who work on your case can read it."),
    )),
    (N_("Where to call"), (
        N_("The national helpline of the FIA for human trafficking is 111-247-786."),
    )),
)
VERSION_LINE = N_("Version of this text: %(version)s")


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValidationError(N_("--lang must be one of %(codes)s."),
                              codes=", ".join(LANGUAGES))
    return lang


def sheet_blocks(lang: str) -> tuple[Block, ...]:
    def t(msgid: str) -> Text:
        return Text(gettext_for(lang, msgid), lang)

    blocks: list[Block] = [Heading(t(TITLE))]
    for heading, paragraphs in SECTIONS:
        if heading:
            blocks.append(Heading(t(heading), level=2))
        blocks += [Paragraph(t(p)) for p in paragraphs]
    return tuple(blocks)


def render(lang: str) -> bytes:
    lang = check_language(lang)
    version = gettext_for(lang, VERSION_LINE) % {"version": VERSION}
    return pdf.render(Document(
        title=gettext_for(lang, TITLE), lang=lang, blocks=sheet_blocks(lang),
        footer=Text(version, lang),
        page_label=Text(gettext_for(lang, PAGE_LABEL), lang)))
