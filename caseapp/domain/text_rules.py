"""What text may be stored: no control characters (a NUL once made every XLSX export
unreadable while the export reported success) and no broken Unicode (a lone surrogate crashed
the command line), within a length a form and an export can carry."""

from __future__ import annotations

import re
from typing import Any

MAX_FIELD_CHARS = 10_000
MAX_NOTE_CHARS = 100_000
# C0 and C1 controls except tab, line feed and carriage return; UTF-16 surrogates.
_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
TOO_LONG = "too_long"
CHARACTER = "character"


def problem(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """TOO_LONG or CHARACTER for the first text in ``value`` (a string, or lists and objects
    of them) that breaks a rule; None when all of it may be stored."""
    if isinstance(value, str):
        if len(value) > limit:
            return TOO_LONG
        return CHARACTER if _REFUSED.search(value) else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            found = problem(item, limit)
            if found:
                return found
    return None
