"""What this machine remembers outside every vault: only what the unlock screen needs before
any profile is open (the interface language). Nothing here names a person or a case."""

from __future__ import annotations

import json
from pathlib import Path

from caseapp.fsutil import atomic_write
from caseapp.i18n import LANGUAGES
from caseapp.services.profile_paths import home


def _path() -> Path:
    return home().parent / "desktop.json"


def language() -> str | None:
    """The language last chosen on the unlock screen (None: never chosen, or unreadable)."""
    try:
        value = json.loads(_path().read_text(encoding="utf-8")).get("lang")
    except (OSError, ValueError, AttributeError):
        return None
    return value if value in LANGUAGES else None


def remember_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(lang)
    atomic_write(_path(), json.dumps({"lang": lang}).encode())
