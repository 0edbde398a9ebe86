"""One-time passphrases for an encrypted export: words that are easy to read out over the
phone to the recipient, drawn with ``secrets`` from a fixed list (caseapp/reference).

Eight words of the 257 give 64 bits: an AES-256 PDF (R6) costs an attacker one SHA-2
chain per guess, so 2^64 guesses stay out of reach for a file that is in transit for days.
"""

from __future__ import annotations

import math
import secrets
from functools import cache
from importlib import resources

WORDS_FILE = "one-time-words.txt"
WORD_COUNT = 8
SEPARATOR = "-"


@cache
def words() -> tuple[str, ...]:
    text = resources.files("caseapp.reference").joinpath(WORDS_FILE).read_text(
        encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))


def generate(count: int = WORD_COUNT) -> str:
    """A new passphrase, e.g. ``river-lamp-…``; shown once, never stored."""
    pool = words()
    return SEPARATOR.join(secrets.choice(pool) for _ in range(count))


def strength_bits(count: int = WORD_COUNT) -> float:
    return count * math.log2(len(words()))
