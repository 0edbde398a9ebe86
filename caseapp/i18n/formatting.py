"""Dates and numbers as the user's language writes them (Babel), for the desktop and the
documents alike."""

from __future__ import annotations

import datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from caseapp.i18n import current_language


def _locale(lang: str | None) -> str:
    return lang or current_language()


def timestamp(ms: int, lang: str | None = None) -> str:
    """A moment (ms since the epoch) in local time: date and time, medium length."""
    moment = datetime.datetime.fromtimestamp(ms / 1000).astimezone()
    return format_datetime(moment, "medium", locale=_locale(lang))


def date(value: datetime.date, lang: str | None = None) -> str:
    return format_date(value, "medium", locale=_locale(lang))


def number(value: int, lang: str | None = None) -> str:
    return format_decimal(value, locale=_locale(lang))


def percent(share: float, lang: str | None = None) -> str:
    """A share (0 to 1) as a whole percentage, with the language's digits and sign."""
    return format_percent(share, "#,##0%", locale=_locale(lang))


def mebibytes(size: int, lang: str | None = None) -> str:
    """A size in bytes as MiB with one decimal, in the language's digits (the unit is the
    caller's text)."""
    return format_decimal(size / 2**20, "#,##0.0", locale=_locale(lang))
