"""Passphrase policy: long enough, not a common password, and hard to guess by the estimate of
zxcvbn (issue 7, item 6).

zxcvbn knows the passwords of real breaches, English words, names and the patterns people
use (repeats, sequences, keyboard rows, dates, l33t substitutions). It does not know Pakistan:
the bundled lists add common passwords seen here, Pakistani and Afghan names, cities and
cricket words, and this module refuses CNIC, phone and date shapes itself. Each refusal
says, in the user's language, what made the passphrase weak — never the passphrase.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from importlib import resources

from zxcvbn import zxcvbn

from caseapp.errors import PassphrasePolicyError
from caseapp.i18n import N_

MIN_CHARS = 12
MIN_WORDS = 4
MIN_WORD_CHARS = 3  # "ab cd ef gh" is not four words
# Estimated guesses a passphrase must need. An attacker with a copy of the keyslot file
# makes a few hundred Argon2id guesses a second per GPU at the floor: 10^12 is decades.
MIN_GUESSES_LOG10 = 12.0
MIN_LETTERS = 6  # a number plus a letter or two is still a number
MAX_ESTIMATED = 72  # zxcvbn's cost grows with length; longer text is estimated on its start

MSG_SHORT = N_("The passphrase is too short: use at least 12 characters or 4 different words "
               "of 3 letters or more.")
MSG_COMMON = N_("This passphrase is one that many people use; choose words only you would pick.")
MSG_NUMBER = N_("A passphrase that is mostly a number (an identity card, a phone number, a "
                "date) is easy to guess; use words.")
MSG_REPEAT = N_("Repeated words or characters are easy to guess; use different words.")
MSG_SEQUENCE = N_("Sequences such as abcd or 1234 and keyboard rows such as qwerty are easy "
                  "to guess; use words.")
MSG_WORDS = N_("Common words and names, also with letters swapped for digits or symbols, are "
               "easy to guess; add another unusual word.")
MSG_WEAK = N_("This passphrase is too easy to guess; add another unusual word.")
_PATTERN_MESSAGES = {"repeat": MSG_REPEAT, "sequence": MSG_SEQUENCE, "spatial": MSG_SEQUENCE,
                     "date": MSG_NUMBER, "dictionary": MSG_WORDS}


def _reference_words(name: str) -> list[str]:
    text = resources.files("caseapp.reference").joinpath(name).read_text(encoding="utf-8")
    return [line.strip().lower() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


@cache
def _common() -> frozenset[str]:
    return frozenset(_reference_words("common-passwords.txt"))


@cache
def _local_words() -> tuple[str, ...]:
    # Passed to zxcvbn as a dictionary of its own, so "lahore" or "shaheen" count as words a
    # guesser tries early, like "london" does.
    return tuple(_reference_words("local-words.txt")) + tuple(_common())


def normalise(passphrase: str) -> str:
    """NFC, so the same words typed on two Urdu keyboards give the same bytes."""
    return unicodedata.normalize("NFC", passphrase)


def _squash(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


def _is_common(text: str) -> bool:
    lowered = text.lower()
    squashed = _squash(text)
    # Common words padded with digits or symbols ("password123!") are as weak as the word.
    core = re.sub(r"[\d\W_]+$", "", re.sub(r"^[\d\W_]+", "", squashed))
    common = _common()
    return lowered in common or squashed in common or core in common or \
        len(set(squashed)) <= 3


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _weakest(text: str, user_inputs: list[str]) -> tuple[float, str | None]:
    """log10 of the fewest guesses over the ways a guesser would try the text (as typed, in
    lower case, and without its spaces: "ab cd ef gh" is "abcdefgh"), and the pattern that
    made it weakest."""
    best: tuple[float, str | None] = (math.inf, None)
    for variant in {text, text.lower(), re.sub(r"\s+", "", text.lower())}:
        if not variant:
            continue
        result = zxcvbn(variant[:MAX_ESTIMATED], user_inputs=user_inputs)
        guesses = math.log10(max(float(result["guesses"]), 1.0))
        if guesses < best[0]:
            patterns = [m.get("pattern") for m in result["sequence"]]
            best = (guesses, next((p for p in patterns if p in _PATTERN_MESSAGES), None))
    return best


def check(passphrase: str, personal: tuple[str, ...] = ()) -> None:
    """Raise PassphrasePolicyError saying what is wrong, or return when acceptable.
    ``personal``: words a guesser would try first for this user (profile and user name)."""
    text = normalise(passphrase).strip()
    words = [w.lower() for w in text.split() if len(w) >= MIN_WORD_CHARS]
    long_enough = len(text) >= MIN_CHARS or len(set(words)) >= MIN_WORDS
    if not long_enough:
        raise PassphrasePolicyError(MSG_SHORT)
    if _is_common(text):
        raise PassphrasePolicyError(MSG_COMMON)
    # Only digits and symbols (a phone or CNIC number, a date, a recovery-code-shaped string
    # that unlock would take for a recovery code), or nearly so.
    if _letters(text) < MIN_LETTERS:
        raise PassphrasePolicyError(MSG_NUMBER)
    user_inputs = [*(p.lower() for p in personal if p), *_local_words()]
    guesses, pattern = _weakest(text, user_inputs)
    if guesses < MIN_GUESSES_LOG10:
        raise PassphrasePolicyError(_PATTERN_MESSAGES.get(pattern or "", MSG_WEAK))
