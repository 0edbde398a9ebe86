"""Locking the desktop: Ctrl+L in the middle of an edit replaces every window's content with
the unlock screen, leaves no case text in any widget, keeps the edit as a draft inside the
vault (nothing on disk in the clear) and gives it back after the next unlock; the desktop in
Urdu mirrors and speaks Urdu, from the unlock screen on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import press, running, settle, type_text, unlock, visible_texts
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot
from test_desktop_case import register

from ui.unlock.unlock_view import UnlockView

CANARY_NAME = "Zarmeena"
CANARY_URDU = "زرمینہ"
CANARY_NOTE = "QWERTYCANARY testimony: the agent in Quetta kept her passport"
CANARY_CNIC = "42101-7654321-9"


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_ctrl_l_mid_edit_hides_everything_and_the_draft_comes_back(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Qt's caches and settings go under this test's folder, so the scan below sees them.
    for variable in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TMPDIR"):
        (tmp_path / variable).mkdir()
        monkeypatch.setenv(variable, str(tmp_path / variable))
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, CANARY_NAME, "Khan", CANARY_URDU,
                             cnic=CANARY_CNIC)
        scan = tmp_path / "scan.png"
        image = QImage(30, 30, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.red)
        image.save(str(scan))
        workspace.attachments.add_file(scan)
        settle(qtbot, desktop, lambda: workspace.attachments.files.count() == 1)
        scan.unlink()
        # typing, not saved: a note and a change of name
        workspace.tabs.setCurrentWidget(workspace.notes)
        type_text(workspace.notes.editor, CANARY_NOTE)
        person = workspace.person.form.inputs["prs_SecondName"]
        person.clear()
        type_text(person, "Durrani")
        assert CANARY_NAME in visible_texts()

        press(qtbot, desktop.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert isinstance(desktop.window.lock_view, UnlockView), "the lock is immediate"
        assert desktop.window.windowTitle() == "Hifazat"
        settle(qtbot, desktop, lambda: desktop.core.locked)
        qtbot.wait(50)  # deleteLater runs in the event loop
        texts = visible_texts()
        for secret in (CANARY_NAME, CANARY_URDU, CANARY_NOTE, CANARY_CNIC, "Durrani",
                       workspace_title := workspace.title):
            assert secret not in texts, f"{secret!r} is still in a widget after the lock"
        del workspace_title

        # nothing typed or shown reached a file in the clear (vault, drafts, Qt caches, temp)
        for path in _files_under(tmp_path):
            data = path.read_bytes()
            for secret in (CANARY_NAME, CANARY_NOTE, "Durrani", CANARY_CNIC, CANARY_URDU):
                assert secret.encode() not in data, f"{secret!r} in {path}"

        workbench = unlock(qtbot, desktop, PASSPHRASE)
        settle(qtbot, desktop, lambda: len(workbench.workspaces) == 1)
        restored = next(iter(workbench.workspaces.values()))
        settle(qtbot, desktop, lambda: restored.person.form._loaded)
        assert restored.notes.editor.toPlainText() == CANARY_NOTE
        assert restored.person.form.inputs["prs_SecondName"].text() == "Durrani"
        assert restored.person.form.edits() == {"prs_SecondName": "Durrani"}, \
            "the draft is an unsaved edit again, not a saved one"
    assert os.environ["TMPDIR"] == str(tmp_path / "TMPDIR")


def test_lock_and_hide_minimises_under_a_neutral_title(qtbot: QtBot,
                                                       new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        unlock(qtbot, desktop, PASSPHRASE)
        assert "caseworker" in desktop.window.windowTitle()
        press(qtbot, desktop.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier |
              Qt.KeyboardModifier.ShiftModifier)
        assert desktop.window.windowTitle() == "Hifazat"
        assert desktop.window.isMinimized() or desktop.window.windowState() & \
            Qt.WindowState.WindowMinimized
        settle(qtbot, desktop, lambda: desktop.core.locked)


def test_idle_time_locks(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        unlock(qtbot, desktop, PASSPHRASE)
        assert desktop.window.idle.minutes == 5, "the default is five minutes"
        desktop.window.idle.timer.setInterval(200)
        desktop.window.idle.start()
        qtbot.waitUntil(lambda: desktop.core.locked, timeout=5000)
        assert isinstance(desktop.window.lock_view, UnlockView)


def test_urdu_from_the_unlock_screen_on(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        english = view.unlock_button.text()
        view.language.setCurrentIndex(view.language.findData("ur"))
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        assert view.unlock_button.text() != english
        assert view.layoutDirection() == Qt.LayoutDirection.RightToLeft
        assert view.profile.currentText() == "caseworker"
        from caseapp.services import machine_settings
        assert machine_settings.language() == "ur", "the next start opens in Urdu"
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        assert workbench.layoutDirection() == Qt.LayoutDirection.RightToLeft
        dialog = workbench.show_new_case()
        qtbot.keyClicks(dialog.form.inputs["prs_Birthdate"], "1999-13-01")
        dialog.save()
        message = dialog.form.errors["prs_Birthdate"].text()
        assert message and not any("a" <= c <= "z" for c in message.replace("YYYY-MM-DD", "")), \
            f"the problem is said in Urdu: {message!r}"
        assert dialog.form.errors["prs_FirstName"].text() != \
            "A person needs a name in Latin or Urdu script."


def _ink(text: str, direction: Qt.LayoutDirection) -> QImage:
    """``text`` drawn in a paragraph of ``direction``, cropped to its ink."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QPainter, QTextOption

    image = QImage(900, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    option = QTextOption(Qt.AlignmentFlag.AlignCenter)
    option.setTextDirection(direction)
    painter.drawText(QRect(0, 0, 900, 80).toRectF(), text, option)
    painter.end()
    columns = [x for x in range(image.width())
               if any(image.pixelColor(x, y).lightness() < 128 for y in range(image.height()))]
    return image.copy(columns[0], 0, columns[-1] - columns[0] + 1, image.height())


def test_case_numbers_keep_their_order_in_urdu(qtbot: QtBot, new_profile: NewProfile) -> None:
    """In a right-to-left tab or list, "2026-3FA9C01B-00012" would show as
    "3FA9C01B-00012-2026" unless it is isolated as a left-to-right run: the tab's text drawn
    right to left must look exactly like the number drawn left to right."""
    new_profile("caseworker")
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Gul", "Agha", "گل آغا")
        shown = workbench.tabs.tabText(workbench.tabs.indexOf(workspace))
        assert _ink(shown, Qt.LayoutDirection.RightToLeft) == \
            _ink(workspace.title, Qt.LayoutDirection.LeftToRight)
