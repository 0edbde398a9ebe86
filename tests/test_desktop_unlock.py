"""The desktop's first run, unlock, back-off and recovery, driven through real widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile, OpenProfile
from desktop_driver import running, settle, unlock
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from caseapp.crypto import kdf
from caseapp.services import profile_paths
from ui.unlock.first_run import FirstRunView
from ui.unlock.recovery_view import RecoveryView
from ui.unlock.unlock_view import UnlockView


def test_first_run_shows_the_code_once_and_asks_for_two_of_its_groups(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, FirstRunView), "no profile yet: the first run comes first"
        qtbot.keyClicks(view.user_name, "Amina Khan")
        qtbot.keyClicks(view.new_passphrase, "short")
        assert "too short" in view.form.errors["passphrase"].text()
        view.new_passphrase.clear()
        qtbot.keyClicks(view.new_passphrase, PASSPHRASE)
        qtbot.keyClicks(view.repeat, PASSPHRASE + "x")
        view.create_button.click()
        assert view.form.errors["repeat"].text() == "The two passphrases differ."
        assert profile_paths.list_profiles() == [], "nothing is created from a bad form"
        view.repeat.clear()
        qtbot.keyClicks(view.repeat, PASSPHRASE)
        view.create_button.click()
        settle(qtbot, desktop, lambda: view.pages.currentIndex() == 1)
        code = view.code_label.text()
        groups = code.split("-")
        assert len(groups) == 8 and all(len(g) == 5 and g.isdigit() for g in groups)
        first, second = view.asked
        # a wrong group keeps the user on this page
        wrong = "00000" if groups[first] != "00000" else "11111"
        qtbot.keyClicks(view.group_fields[0], wrong)
        qtbot.keyClicks(view.group_fields[1], groups[second])
        assert not view.continue_button.isEnabled()
        assert view.form_code.errors["group0"].isVisible()
        view.group_fields[0].clear()
        qtbot.keyClicks(view.group_fields[0], groups[first])
        assert view.continue_button.isEnabled()
        view.continue_button.click()
        settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
        assert profile_paths.list_profiles() == ["office"]
        assert code not in _all_text(desktop), "the recovery code is shown only once"


def _all_text(desktop: object) -> str:
    from desktop_driver import visible_texts
    return visible_texts()


def test_enter_unlocks_and_a_wrong_passphrase_counts_down_the_back_off(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        assert view.profile.currentText() == "caseworker", "the only profile is preselected"
        assert view.passphrase.hasFocus() or view.focusWidget() is view.passphrase
        for attempt in range(4):
            qtbot.keyClicks(view.passphrase, f"wrong guess {attempt} here")
            qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
            settle(qtbot, desktop, lambda: view.unlock_button.isEnabled() or view._remaining)
            assert "The passphrase is wrong" in view.message.text()
        # the fourth failure starts the first wait (5 s): counted down, unlock refused
        assert view._remaining > 0 and not view.unlock_button.isEnabled()
        assert "Wait" in view.message.text() and "second" in view.message.text()
        before = view._remaining
        qtbot.waitUntil(lambda: view._remaining < before, timeout=3000)
        assert desktop.window.workbench is None


def test_caps_lock_warning(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        qtbot.keyClick(view.passphrase, "A")  # a capital without Shift: Caps Lock is on
        assert view.caps.isVisibleTo(view)
        qtbot.keyClick(view.passphrase, "a")
        assert not view.caps.isVisibleTo(view)


def test_recovery_code_opens_and_replaces_the_passphrase(
        qtbot: QtBot, new_profile: NewProfile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)
    created = new_profile("caseworker")
    new = "copper kettle winter meadow"
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        view.recovery_button.click()
        recovery = desktop.window.lock_view
        assert isinstance(recovery, RecoveryView)
        qtbot.keyClicks(recovery.code, created.recovery_code)
        qtbot.keyClicks(recovery.new_passphrase, new)
        qtbot.keyClicks(recovery.repeat, new)
        recovery.go.click()
        settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
        desktop.window.lock()
        settle(qtbot, desktop, lambda: isinstance(desktop.window.lock_view, UnlockView))
        unlock(qtbot, desktop, new)
    from caseapp.errors import WrongPassphrase
    from caseapp.services import profiles
    with pytest.raises(WrongPassphrase):
        profiles.unlock("caseworker", PASSPHRASE)


def test_without_pyside_the_command_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    from ui import launcher
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "PySide6" else real(name, *a))
    assert launcher.main([]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'hifazat[desktop]'" in err


@pytest.mark.parametrize("profile", [None, "caseworker"])
def test_caseapp_without_a_sub_command_opens_the_desktop(
        qtbot: QtBot, new_profile: NewProfile, monkeypatch: pytest.MonkeyPatch,
        profile: str | None) -> None:
    """``caseapp`` as typed (no arguments): the launcher builds the desktop and runs its event
    loop; a timer looks at what is on screen, then ends the loop."""
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import launcher
    from ui.shell.main_window import MainWindow

    if profile is not None:
        new_profile(profile)
    monkeypatch.setattr(sys, "argv", ["caseapp"])
    seen: list[tuple[str, type, bool, str]] = []

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        for window in windows:
            view = window.lock_view
            seen.append((window.windowTitle(), type(view), window.workbench is None,
                         view.profile.currentText() if isinstance(view, UnlockView) else ""))
        # exit(), not quit(): quit() leaves the application refusing to run any event
        # loop afterwards, and the next tests' waits would never see their events
        QApplication.exit(0)
    QTimer.singleShot(300, look)
    assert launcher.main() == 0
    assert len(seen) == 1, "one main window, shown"
    title, view, locked, chosen = seen[0]
    assert title and locked, "it starts locked"
    if profile is None:
        assert view is FirstRunView, "no profile yet: the first run"
    else:
        assert view is UnlockView and chosen == "caseworker"
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)
                and w.isVisible()], "the window is closed when the loop ends"


def test_smoke_run_saves_a_screenshot(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage
    out = tmp_path / "smoke.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "ui.launcher", "--smoke", str(out),
                             "--lang", "ur"], env=env, capture_output=True, text=True,
                            timeout=240, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 600


def test_a_profile_made_by_the_administrator_asks_for_the_users_own_passphrase(
        qtbot: QtBot, open_profile: OpenProfile, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseapp.services import users
    from ui.unlock.first_passphrase_view import FirstPassphraseView

    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)
    admin = open_profile("administrator")
    first = "given by the office manager"
    users.add_user(admin, profile_name="sana", user_name="Sana Baloch", role="caseworker",
                   first_passphrase=first, params=kdf.FLOOR)
    admin.close()
    own = "apricot lantern monsoon kite"
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        view.profile.setCurrentText("sana")
        qtbot.keyClicks(view.passphrase, first)
        qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
        settle(qtbot, desktop, lambda: isinstance(desktop.window.lock_view, FirstPassphraseView))
        change = desktop.window.lock_view
        assert isinstance(change, FirstPassphraseView)
        assert desktop.window.workbench is None, "nothing opens on the first passphrase"
        qtbot.keyClicks(change.old, first)
        qtbot.keyClicks(change.new_passphrase, own)
        qtbot.keyClicks(change.repeat, own)
        change.go.click()
        settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
    from caseapp.errors import WrongPassphrase
    from caseapp.services import profiles
    with pytest.raises(WrongPassphrase):
        profiles.unlock("sana", first)
