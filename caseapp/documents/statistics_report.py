"""The statistics report for a period and a team: counts of cases by month, track, gender,
age bracket and type of exploitation, as tables and bar charts, in the reader's language.

Plain values in (one coarse ``CaseFacts`` per case; the service reads them), PDF bytes out.
Every count below ``MIN_COUNT`` (11, CTDC's k) is suppressed — printed as "fewer than 11"
with an empty bar — and no suppressed count can be worked out from the others: a table with a
hidden cell has no total line, and a lone hidden cell hides the next smallest with it.
Numbers and dates are written by Babel for the language (Dari and Pashto in Persian digits).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from caseapp.documents import pdf
from caseapp.documents.layout import (
    PAGE_LABEL,
    BarChart,
    Block,
    Document,
    Heading,
    Paragraph,
    Table,
    Text,
)
from caseapp.documents.statistics import AGE_BRACKETS, AGE_OPEN, MIN_K, MISSING
from caseapp.domain import htcds
from caseapp.i18n import N_, RTL_LANGUAGES, gettext_for

MIN_COUNT = MIN_K

TITLE = N_("Statistics report")
PERIOD = N_("Cases registered from %(start)s to %(end)s")
TEAM = N_("Team: %(team)s")
ALL_TEAMS = N_("All teams of this case file")
TOTAL = N_("Cases in the period: %(total)s")
SUPPRESSED = N_("fewer than %(k)s")
WITHHELD_TEXT = N_("not shown, to protect a small group")
SUPPRESSION_NOTE = N_("Counts below %(k)s are not shown, so that no person can be "
                      "recognised from a small group.")
CONSENT_NOTE = N_("Only cases of people who agreed to the use of non-identifying data for "
                  "research are counted.")
NOT_RECORDED = N_("Not recorded")
TOTAL_ROW = N_("Total")
BY_MONTH = N_("Cases by month of registration")
BY_TRACK = N_("Cases by track")
BY_GENDER = N_("Cases by gender")
BY_AGE = N_("Cases by age group")
BY_EXPLOITATION = N_("Cases by type of exploitation (a case may have several)")
CATEGORY = N_("Group")
COUNT = N_("Cases")
TRACKS = {"TIP": N_("Trafficking in persons"), "SOM": N_("Smuggling of migrants")}
FOOTER = N_("Anonymised statistics, made %(date)s")

BABEL_LOCALES = {"en": "en", "ur": "ur_PK", "ps": "ps_AF", "fa_AF": "fa_AF"}


@dataclass(frozen=True)
class CaseFacts:
    """The coarse facts of one case that the report counts; nothing that names anyone."""

    registered: dt.date
    tracks: tuple[str, ...]
    gender: str  # HTCDS prs_Gender code, or "" when not recorded
    age_bracket: str  # CTDC ageBroad label, or MISSING
    exploitation: tuple[str, ...]  # HTCDS vic_TypeOfExploitation codes


@dataclass(frozen=True)
class ReportRequest:
    start: dt.date
    end: dt.date
    team: str  # team name, or "" for every team
    lang: str
    made: dt.date


# The digits of a numbering system; Babel picks the separators of the locale's own system
# but writes Latin digits, so the digits are put in here.
DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹", "arab": "٠١٢٣٤٥٦٧٨٩"}


def _locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(lang, "en"))


def native_digits(text: str, lang: str) -> str:
    digits = DIGITS.get(_locale(lang).default_numbering_system)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def number(value: int, lang: str) -> str:
    """``value`` as the language writes it: 12,345 in English and Urdu, ۱۲٬۳۴۵ in Dari and
    Pashto."""
    return native_digits(format_decimal(value, locale=_locale(lang),
                                        numbering_system="default"), lang)


def date_text(day: dt.date, lang: str) -> str:
    return native_digits(format_date(day, format="long", locale=_locale(lang)), lang)


def month_text(day: dt.date, lang: str) -> str:
    return native_digits(format_date(day, format="MMMM y", locale=_locale(lang)), lang)


def suppress(count: int) -> int | None:
    """``None`` for a count too small to publish."""
    return count if count >= MIN_COUNT else None


SHOWN, SMALL, WITHHELD = "shown", "small", "withheld"


def protect(counts: Sequence[tuple[str, int]], *, adds_up: bool = True
            ) -> list[tuple[str, int | None, str]]:
    """(label, count or None, why) for each count: a count below the threshold is hidden
    (``SMALL``); where the counts add up to the printed total and only one was hidden, the
    next smallest is withheld too (``WITHHELD``), or the total minus the rest would give the
    hidden one away."""
    shown = [(label, suppress(n), SHOWN if n >= MIN_COUNT else SMALL) for label, n in counts]
    hidden = [i for i, (_label, n, _why) in enumerate(shown) if n is None]
    if adds_up and len(hidden) == 1 and len(shown) > 1:
        smallest = min((i for i, (_l, n, _w) in enumerate(shown) if n is not None),
                       key=lambda i: counts[i][1])
        shown[smallest] = (shown[smallest][0], None, WITHHELD)
    return shown


def _picklist_label(field: str, code: str, lang: str) -> str:
    if not code or code == MISSING:
        return gettext_for(lang, NOT_RECORDED)
    spec = htcds.spec(field)
    return gettext_for(lang, spec.label_of(code) if spec else code)


def _group(counts: Sequence[tuple[str, int]], lang: str, *, adds_up: bool = True
           ) -> list[Block]:
    """A chart and its table for one breakdown; ``counts`` are (label, count) in order.
    ``adds_up``: the counts sum to the cases of the period (not so where a case may count
    in several groups)."""
    rtl = lang in RTL_LANGUAGES

    def t(text: str) -> Text:
        return Text(text, lang)

    shown = protect(counts, adds_up=adds_up)
    why = {SMALL: t(gettext_for(lang, SUPPRESSED) % {"k": number(MIN_COUNT, lang)}),
           WITHHELD: t(gettext_for(lang, WITHHELD_TEXT))}
    # The chart's number column is narrow: a short mark there, the table says why.
    in_chart = {SMALL: t(f"< {number(MIN_COUNT, lang)}"), WITHHELD: t("—")}
    chart = BarChart(
        title=t(""), labels=tuple(t(label) for label, _n, _w in shown),
        values=tuple(n for _label, n, _w in shown),
        value_labels=tuple(t(number(n, lang)) if n is not None else in_chart[reason]
                           for _label, n, reason in shown))
    rows: list[tuple[Text, ...]] = [(t(gettext_for(lang, CATEGORY)),
                                     t(gettext_for(lang, COUNT)))]
    rows += [(t(label), t(number(n, lang)) if n is not None else why[reason])
             for label, n, reason in shown]
    if adds_up and all(n is not None for _label, n, _w in shown) and len(shown) > 1:
        # A total beside a hidden cell would give the hidden count away.
        rows.append((t(gettext_for(lang, TOTAL_ROW)),
                     t(number(sum(n or 0 for _label, n, _w in shown), lang))))
    return [chart, Table(tuple(rows), header=True, rtl=rtl)]


def breakdowns(facts: Iterable[CaseFacts], request: ReportRequest
               ) -> tuple[int, list[tuple[str, list[tuple[str, int]]]]]:
    """(cases in the period, [(title, [(label, count)])]) before suppression."""
    lang = request.lang
    months: Counter[tuple[int, int]] = Counter()
    tracks: Counter[str] = Counter()
    genders: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    types: Counter[str] = Counter()
    total = 0
    for fact in facts:
        if not request.start <= fact.registered <= request.end:
            continue
        total += 1
        months[(fact.registered.year, fact.registered.month)] += 1
        tracks.update(set(fact.tracks) or {"TIP"})
        genders[fact.gender or MISSING] += 1
        ages[fact.age_bracket or MISSING] += 1
        types.update(set(fact.exploitation) or {MISSING})
    age_order = [label for _upper, label in AGE_BRACKETS] + [AGE_OPEN, MISSING]
    month_rows = [(month_text(dt.date(y, m, 1), lang), n)
                  for (y, m), n in sorted(months.items())]
    groups = [
        (BY_MONTH, month_rows),
        (BY_TRACK, [(gettext_for(lang, TRACKS.get(code, code)), n)
                    for code, n in sorted(tracks.items())]),
        (BY_GENDER, [(_picklist_label("prs_Gender", code, lang), n)
                     for code, n in sorted(genders.items())]),
        # CTDC writes its brackets 9--17; a reader sees 9–17.
        (BY_AGE, [(native_digits(label.replace("--", "–"), lang) if label != MISSING
                   else gettext_for(lang, NOT_RECORDED), ages[label])
                  for label in age_order if ages[label]]),
        # Most frequent first; a tie by code, so the order the cases were read in (the
        # store reads them in no order) never shows.
        (BY_EXPLOITATION, [(_picklist_label("vic_TypeOfExploitation", code, lang), n)
                           for code, n in sorted(types.items(),
                                                 key=lambda item: (-item[1], item[0]))]),
    ]
    return total, groups


def report_blocks(facts: Iterable[CaseFacts], request: ReportRequest) -> tuple[Block, ...]:
    lang = request.lang

    def t(msgid: str, **params: object) -> Text:
        text = gettext_for(lang, msgid)
        return Text(text % params if params else text, lang)

    total, groups = breakdowns(facts, request)
    shown_total = suppress(total)
    blocks: list[Block] = [
        Heading(t(TITLE)),
        Paragraph(t(PERIOD, start=date_text(request.start, lang),
                    end=date_text(request.end, lang))),
        Paragraph(t(TEAM, team=request.team) if request.team else t(ALL_TEAMS)),
        Paragraph(t(TOTAL, total=number(shown_total, lang) if shown_total is not None
                    else gettext_for(lang, SUPPRESSED) % {"k": number(MIN_COUNT, lang)})),
        Paragraph(t(SUPPRESSION_NOTE, k=number(MIN_COUNT, lang)), small=True),
        Paragraph(t(CONSENT_NOTE), small=True),
    ]
    for title, counts in groups:
        if counts:
            blocks.append(Heading(t(title), level=2))
            blocks += _group(counts, lang, adds_up=title != BY_EXPLOITATION)
    return tuple(blocks)


def render(facts: Iterable[CaseFacts], request: ReportRequest) -> bytes:
    lang = request.lang
    footer = gettext_for(lang, FOOTER) % {"date": date_text(request.made, lang)}
    return pdf.render(Document(
        title=gettext_for(lang, TITLE), lang=lang, blocks=report_blocks(facts, request),
        footer=Text(footer, lang), page_label=Text(gettext_for(lang, PAGE_LABEL), lang)))
