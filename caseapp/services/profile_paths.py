"""Where profiles live on this machine, and the files of one profile folder.

A profile folder holds ``vault.db`` (SQLCipher), ``keyslots.json`` (the wrapped database key),
``unlock-state.json`` (the signed failure count and erase policy: no secrets, see
``unlock_guard``), ``unlock.lock`` (one unlock attempt at a time) and ``audit-head.json``.
Folder names are staff profile names, never anything from a case.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from caseapp.errors import ProfileNotFound, ValidationError
from caseapp.i18n import N_

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def home() -> Path:
    """Where profiles live: $CASEAPP_HOME, else the platform's per-user data folder."""
    base = os.environ.get("CASEAPP_HOME") or user_data_dir("Hifazat", "Hifazat")
    path = Path(base) / "profiles"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass(frozen=True)
class ProfilePaths:
    name: str
    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "vault.db"

    @property
    def keyslots(self) -> Path:
        return self.folder / "keyslots.json"

    @property
    def unlock_state(self) -> Path:
        return self.folder / "unlock-state.json"

    @property
    def audit_head(self) -> Path:
        return self.folder / "audit-head.json"


def paths(name: str) -> ProfilePaths:
    if not NAME_RE.match(name):
        raise ValidationError(N_("A profile name uses 1 to 40 Latin letters, digits, dots, "
                                 "dashes or underscores, and starts with a letter or digit."))
    return ProfilePaths(name, home() / name)


def existing(name: str) -> ProfilePaths:
    p = paths(name)
    if not p.keyslots.exists():
        raise ProfileNotFound()
    return p


def list_profiles() -> list[str]:
    # Hidden folders (a profile being built, an incomplete one moved aside) are no profiles.
    return sorted(p.name for p in home().iterdir()
                  if NAME_RE.match(p.name) and (p / "keyslots.json").exists())


