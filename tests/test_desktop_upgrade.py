"""The unlock window while a vault of an earlier version is upgraded: a bar that counts and a
note that says why the wait (at a national caseload the upgrade takes minutes)."""

from __future__ import annotations

from pathlib import Path

from desktop_driver import running, unlock
from pytestqt.qtbot import QtBot
from test_vault_upgrade import PASSPHRASE, install

from ui.unlock.unlock_view import UnlockView


def test_the_unlock_window_counts_the_upgrade_of_an_old_vault(
        qtbot: QtBot, caseapp_home: Path) -> None:
    install(8, caseapp_home)
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        seen: list[tuple[float, int, int, str, bool]] = []
        shown = view._upgrading

        def record(share: float) -> None:
            shown(share)
            seen.append((share, view.progress.maximum(), view.progress.value(),
                         view.upgrade_note.text(), view.upgrade_note.isVisibleTo(view)))

        view._upgrading = record  # type: ignore[method-assign]
        unlock(qtbot, desktop, PASSPHRASE)
        assert seen, "the upgrade was not reported"
        share, maximum, value, note, visible = seen[-1]
        assert (share, maximum, value, visible) == (1.0, 100, 100, True)
        assert "Upgrading this profile's case file" in note and "100%" in note
        assert desktop.window.workbench is not None  # and then the profile opened
