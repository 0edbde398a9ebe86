"""Windows kept out of screen capture (issue 9): every top-level window of the desktop — the
main window and each dialog over it — asks Windows to exclude it, each time it is shown.

This machine is not Windows: the test puts a recorder in the place of ``user32`` (the one
call is ``SetWindowDisplayAffinity(hwnd, WDA_EXCLUDEFROMCAPTURE)``, 0x11 in Microsoft's
documentation) and checks which windows asked, with which handle and value."""

from __future__ import annotations

import ctypes
import sys
from types import SimpleNamespace

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import running, settle, unlock
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from ui.shell import capture


class User32:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def SetWindowDisplayAffinity(self, hwnd: int, affinity: int) -> int:  # noqa: N802
        self.calls.append((hwnd, affinity))
        return 1


@pytest.fixture
def user32(monkeypatch: pytest.MonkeyPatch) -> User32:
    recorder = User32()
    monkeypatch.setattr(capture.sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", SimpleNamespace(user32=recorder), raising=False)
    return recorder


def test_every_window_asks_to_be_left_out_of_capture(qtbot: QtBot, new_profile: NewProfile,
                                                    user32: User32) -> None:
    new_profile("caseworker")
    with running() as desktop:
        window = desktop.window
        qtbot.waitUntil(lambda: (int(window.winId()), 0x11) in user32.calls)
        unlock(qtbot, desktop, PASSPHRASE)
        dialog = QDialog(window)
        dialog.show()
        qtbot.waitUntil(lambda: (int(dialog.winId()), 0x11) in user32.calls)
        asked = len(user32.calls)
        dialog.hide()
        dialog.show()  # shown again (a lock-and-hide restored, say): asked again
        qtbot.waitUntil(lambda: len(user32.calls) > asked)
        assert user32.calls[-1] == (int(dialog.winId()), 0x11)
        dialog.close()
        settle(qtbot, desktop)
    assert all(affinity == 0x11 for _hwnd, affinity in user32.calls)


def test_elsewhere_nothing_is_asked(qtbot: QtBot) -> None:
    assert sys.platform != "win32"
    dialog = QDialog()
    qtbot.addWidget(dialog)
    assert capture.exclude_from_capture(dialog) is False
