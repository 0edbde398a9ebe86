"""A caseworker's whole case in the desktop, through real widgets: register a person (bad
input first), write a note, record consent, attach a scan, find the case again by name in
either script, by CNIC and by case number."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import (
    add_note,
    attach_picture,
    record_consent,
    register,
    running,
    settle,
    type_text,
    unlock,
    visible_texts,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.case.attachments_tab import decode_image


def test_register_refuses_bad_input_next_to_each_field_and_keeps_what_was_typed(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        dialog = workbench.show_new_case()
        form = dialog.form
        dialog.save()
        assert form.errors["prs_FirstName"].text() == \
            "A person needs a name in Latin or Urdu script."
        qtbot.keyClicks(form.inputs["prs_FirstName"], "Sadia")
        qtbot.keyClicks(form.inputs["prs_Birthdate"], "1999-02-30")
        # 30 February is named as a day that does not exist (issue 8), the value not repeated.
        assert form.errors["prs_Birthdate"].text() == "does not exist: that month has no day 30"
        form.doc_type.setCurrentIndex(form.doc_type.findData("CNIC"))
        qtbot.keyClicks(form.doc_number, "35202-123")
        assert "13 digits" in form.errors["hfz_IdentityDocuments"].text()
        dialog.save()
        settle(qtbot, desktop)
        assert dialog.isVisible(), "a refused save keeps the dialog open"
        assert "correct the fields" in dialog.problem.text()
        assert form.inputs["prs_FirstName"].text() == "Sadia", "nothing typed is lost"
        assert workbench.cases.model.total == 0
        form.inputs["prs_Birthdate"].clear()
        qtbot.keyClicks(form.inputs["prs_Birthdate"], "1999-02-28")
        form.doc_number.clear()
        qtbot.keyClicks(form.doc_number, "3520212345671")
        assert not form.problem_texts()
        dialog.save()
        settle(qtbot, desktop, lambda: workbench.new_case is None)
        settle(qtbot, desktop, lambda: workbench.cases.model.total == 1)


def test_note_consent_and_attachment_on_a_new_case(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Muhammad", "Ali", "محمد علی")
        assert workspace.overview.name_urdu.text() == "محمد علی"
        add_note(qtbot, desktop, workspace, "Met at Lahore airport; needs shelter.")
        assert "needs shelter" in workspace.notes.notes.item(0).text()
        assert workspace.notes.editor.toPlainText() == ""
        # consent to the interview: recorded and shown in force
        assert record_consent(qtbot, desktop, workspace, "interview") == "permitted"
        # a scan, stored and shown from memory
        attach_picture(qtbot, desktop, workspace, tmp_path / "tazkira-scan.png")
        # the history names what changed
        settle(qtbot, desktop, lambda: workspace.history.table.rowCount() >= 4)


def test_a_picture_that_would_decode_to_gigabytes_is_refused(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    # a valid PNG header claiming 30,000 × 30,000 pixels (3.6 GB as RGBA), in 100 bytes
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 6,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    picture, problem = decode_image(bomb)
    assert picture is None and problem is not None and "900 megapixels" in problem


def test_search_as_you_type_in_both_scripts_cnic_and_case_number(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        first = register(qtbot, desktop, workbench, "Muhammad", "Ali", "محمد علی",
                         cnic="35202-1234567-1")
        register(qtbot, desktop, workbench, "Fatima", "Bibi", "فاطمہ بی بی")
        number = first.title
        search = workbench.search
        for query, expected in (("محمد", "Muhammad Ali"), ("fatima", "Fatima Bibi"),
                                ("3520212345671", "Muhammad Ali"), (number, "Muhammad Ali")):
            search.clear()
            with qtbot.waitSignal(search.shown, timeout=5000):
                type_text(search, query)
            assert search.results.count() == 1, query
            assert expected in search.results.item(0).text(), query
        qtbot.keyClick(search, Qt.Key.Key_Return)
        settle(qtbot, desktop)
        assert workbench.tabs.currentWidget() is first


@pytest.mark.parametrize("query", ["zzzz", "   "])
def test_search_without_matches_shows_nothing(qtbot: QtBot, new_profile: NewProfile,
                                              query: str) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        with qtbot.waitSignal(workbench.search.shown, timeout=5000) as shown:
            qtbot.keyClicks(workbench.search, query)
        assert shown.args == [0] and not workbench.search.results.isVisible()


def test_a_copied_identity_number_leaves_the_clipboard(qtbot: QtBot) -> None:
    from PySide6.QtGui import QGuiApplication

    from ui.app import make_application
    from ui.widgets.clipboard import copy_sensitive
    make_application("en")
    copy_sensitive("35202-1234567-1", clear_after_ms=100)
    assert QGuiApplication.clipboard().text() == "35202-1234567-1"
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "", timeout=2000)
    # something the user copied meanwhile is left alone
    copy_sensitive("35202-1234567-1", clear_after_ms=100)
    QGuiApplication.clipboard().setText("a shopping list")
    qtbot.wait(300)
    assert QGuiApplication.clipboard().text() == "a shopping list"


def test_a_manager_exports_the_summary_encrypted_and_sees_the_passphrase_once(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path) -> None:
    import pikepdf

    new_profile("manager")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        desktop.core.run(lambda s: s.directory.seed())
        workspace = register(qtbot, desktop, workbench, "Sumaira", "Bibi", "سمیرا بی بی")
        assert workspace.export_button is not None
        dialog = workspace.export_summary()
        settle(qtbot, desktop, lambda: dialog.recipient.count() > 0)
        dialog.export()
        assert dialog.form.errors["purpose"].isVisible(), "a purpose is required"
        qtbot.keyClicks(dialog.purpose, "transfer to the shelter in Multan")
        out = tmp_path / "summary.pdf"
        dialog.path.setText(str(out))
        dialog.export()
        settle(qtbot, desktop, lambda: bool(dialog.passphrase_shown))
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(out)
        with pikepdf.open(out, password=dialog.passphrase_shown) as pdf:
            assert len(pdf.pages) >= 1
        # Shown in the application's own message dialog (Nastaliq in Urdu), with a Copy
        # button that puts it on the self-clearing clipboard.
        from ui.widgets.message import MessageDialog

        box = dialog._passphrase_box
        assert isinstance(box, MessageDialog) and box.isVisible()
        assert dialog.passphrase_shown in visible_texts(box)
        [copy] = [b for b in box.buttons.buttons() if b.text() == "Copy"]
        copy.click()
        assert QApplication.clipboard().text() == dialog.passphrase_shown


def test_a_caseworker_has_no_export_button(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Iqra", "Noor", "اقرا نور")
        assert workspace.export_button is None


def test_the_rights_sheet_is_saved_in_the_persons_language(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path) -> None:
    import subprocess

    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Gulalai", "Khan", "گلالئی خان")
        consent = workspace.consent
        consent.sheet_language.setCurrentIndex(consent.sheet_language.findData("ps"))
        out = tmp_path / "rights-ps.pdf"
        consent.save_rights_sheet(out)
        settle(qtbot, desktop, lambda: "saved" in consent.sheet_saved.text())
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert any("\u0600" <= ch <= "\u06ff" for ch in text), "the sheet is in Pashto"
    assert "Gulalai" not in text, "no personal data on the sheet"


def test_a_click_on_a_search_result_opens_that_case(qtbot: QtBot,
                                                    new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        first = register(qtbot, desktop, workbench, "Rehana", "Bibi", "ریحانہ بی بی")
        second = register(qtbot, desktop, workbench, "Rehana", "Khatoon", "ریحانہ خاتون")
        workbench.tabs.setCurrentWidget(first)
        search = workbench.search
        with qtbot.waitSignal(search.shown, timeout=5000):
            type_text(search, "ریحانہ")
        results = search.results
        assert results.isVisible() and results.count() == 2
        [row] = [r for r in range(2) if "Rehana Khatoon" in results.item(r).text()]
        # the second case's row, clicked where the user sees it (not the first row, not Enter)
        target = results.visualItemRect(results.item(row)).center()
        qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=target)
        settle(qtbot, desktop)
        assert workbench.tabs.currentWidget() is second
        assert not results.isVisible(), "the results close once a case is opened"
