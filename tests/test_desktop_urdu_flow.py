"""One caseworker's whole first day in the Urdu interface, through real widgets: the first
run (the recovery code read back), a person and case registered under an Urdu name, consent,
a note in Urdu and a scanned document — every screen right to left, in the catalogs' Urdu."""

from __future__ import annotations

from pathlib import Path

import pytest
from desktop_driver import (
    add_note,
    attach_picture,
    record_consent,
    register,
    running,
    settle,
    start_office,
    type_text,
    visible_texts,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from caseapp.crypto import kdf
from caseapp.services import profile_paths
from ui.unlock.first_run import FirstRunView

PASSPHRASE = "baarish ki pehli boond"  # noqa: S105 (test fixture)


def test_first_run_to_a_case_with_consent_note_and_scan_in_urdu(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)
    with running("ur") as desktop:
        assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
        view = desktop.window.lock_view
        assert isinstance(view, FirstRunView)
        assert view.create_button.text().replace("&", "") == "دفتر بنائیں"
        code = start_office(qtbot, desktop, "آمنہ خان", PASSPHRASE)
        assert profile_paths.list_profiles() == ["office"]
        workbench = desktop.window.workbench
        assert workbench is not None
        workspace = register(qtbot, desktop, workbench, "Parveen", "Akhtar", "پروین اختر")
        assert workspace.overview.name_urdu.text() == "پروین اختر"
        assert workspace.overview.stage.text() and not workspace.overview.stage.text().isascii()
        assert record_consent(qtbot, desktop, workspace, "interview") == "اجازت ہے"
        add_note(qtbot, desktop, workspace, "لاہور ایئرپورٹ پر ملاقات ہوئی؛ پناہ گاہ درکار ہے۔")
        assert "پناہ گاہ درکار ہے" in workspace.notes.notes.item(0).text()
        attach_picture(qtbot, desktop, workspace, tmp_path / "شناختی-کارڈ.png")
        # the overview's timeline has it all, in Urdu, newest first
        timeline = workspace.overview.timeline
        settle(qtbot, desktop, lambda: timeline.count() >= 5)
        shown = [timeline.item(row).text() for row in range(timeline.count())]
        assert shown[0].endswith("منسلکہ فائل کو شامل کیا گیا"), shown[0]
        assert shown[-1].endswith("فرد کو شامل کیا گیا"), shown[-1]
        # found again from the search box by the Urdu name
        search = workbench.search
        with qtbot.waitSignal(search.shown, timeout=5000):
            type_text(search, "پروین")
        assert search.results.count() == 1
        assert code not in visible_texts(), "the recovery code is shown only once"
