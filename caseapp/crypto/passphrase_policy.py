"""Passphrase policy: at least 12 characters or 4 words, and not a commonly used password."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from caseapp.errors import PassphrasePolicyError
from caseapp.i18n import N_

MIN_CHARS = 12
MIN_WORDS = 4


@cache
def _common() -> frozenset[str]:
    text = resources.files("caseapp.reference").joinpath("common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def normalise(passphrase: str) -> str:
    """NFC, so the same words typed on two Urdu keyboards give the same bytes."""
    return unicodedata.normalize("NFC", passphrase)


def _is_common(passphrase: str) -> bool:
    lowered = passphrase.lower()
    squashed = re.sub(r"[\s\W_]+", "", lowered)
    # Common words padded with digits or symbols ("password123!") are as weak as the word.
    core = re.sub(r"[\d\W_]+$", "", re.sub(r"^[\d\W_]+", "", squashed))
    common = _common()
    # Only digits and symbols (a phone or CNIC number, a date, a recovery-code-shaped string
    # that unlock would take for a recovery code) has no core word at all: refuse it too.
    return (lowered in common or squashed in common or core in common or not core
            or len(set(squashed)) <= 3)


def check(passphrase: str) -> None:
    """Raise PassphrasePolicyError saying what is wrong, or return when acceptable."""
    text = normalise(passphrase).strip()
    words = [w for w in text.split() if len(w) >= 2]
    long_enough = len(text) >= MIN_CHARS or (len(words) >= MIN_WORDS and
                                             len(set(w.lower() for w in words)) >= MIN_WORDS)
    if not long_enough:
        raise PassphrasePolicyError(N_(
            "The passphrase is too short: use at least 12 characters or 4 different words."))
    if _is_common(text):
        raise PassphrasePolicyError(N_(
            "This passphrase is one that many people use; choose words only you would pick."))
