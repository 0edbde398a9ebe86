"""Shared fixtures: every test gets its own empty CASEAPP_HOME; Qt runs headless."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from caseapp.crypto import kdf  # noqa: E402
from caseapp.services import profiles  # noqa: E402

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)


@pytest.fixture(autouse=True)
def caseapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "caseapp-home"
    home.mkdir()
    monkeypatch.setenv("CASEAPP_HOME", str(home))
    return home


@pytest.fixture
def make_profile() -> Callable[..., tuple[profiles.CreatedProfile, str]]:
    """``make_profile(name="alice", passphrase=PASSPHRASE, **kwargs)`` creates a profile with
    the floor KDF parameters (fast) and returns ``(created, passphrase)``."""

    def _make(name: str = "alice", passphrase: str = PASSPHRASE,
              **kwargs: object) -> tuple[profiles.CreatedProfile, str]:
        kwargs.setdefault("params", kdf.FLOOR)
        return profiles.create_profile(name, passphrase, **kwargs), passphrase  # type: ignore[arg-type]

    return _make
