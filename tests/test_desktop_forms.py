"""Bad input in every form of the desktop is refused with the reason next to the field, in
the user's language, and nothing typed is lost; a half-filled new case survives a lock."""

from __future__ import annotations

from conftest import PASSPHRASE, NewProfile
from desktop_driver import press, running, settle, type_text, unlock
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from test_desktop_case import register

from ui.unlock.recovery_view import RecoveryView
from ui.unlock.unlock_view import UnlockView


def test_person_tab_refuses_a_bad_cnic_and_keeps_the_rest(qtbot: QtBot,
                                                          new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Nadia", "Bibi", "نادیہ بی بی")
        tab = workspace.person
        settle(qtbot, desktop, lambda: tab.form._loaded)
        tab.form.inputs["hfz_FatherName"].setText("Ghulam Rasool")
        tab.form.doc_type.setCurrentIndex(tab.form.doc_type.findData("CNIC"))
        tab.form.doc_number.setText("1234")
        tab.save()
        assert "13 digits" in tab.form.errors["hfz_IdentityDocuments"].text()
        assert "correct the fields" in tab.problem.text()
        assert tab.form.inputs["hfz_FatherName"].text() == "Ghulam Rasool"
        tab.form.doc_number.setText("35202 1234567 1")  # spaces are fine
        tab.save()
        settle(qtbot, desktop, lambda: tab.saved.text() == "Saved." or tab.problem.text())
        assert tab.saved.text() == "Saved.", tab.problem.text()
        workspace.reload()
        settle(qtbot, desktop)
        assert tab.form.doc_number.text() == "35202-1234567-1"


def test_closing_a_case_needs_a_reason(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("manager")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Rubina", "Akhtar", "روبینہ اختر")
        stage = workspace.stage
        settle(qtbot, desktop, lambda: stage.target.count() > 0)
        stage.target.setCurrentIndex(stage.target.findData("closed"))
        stage.move_case()
        assert stage.form.errors["cas_ReasonForCaseClosure"].text() == \
            "Closing a case needs a reason."
        type_text(stage.reason, "Returned home with family support")
        stage.move_case()
        settle(qtbot, desktop, lambda: "Closed" in workspace.overview.stage.text())


def test_consent_for_a_referral_needs_the_organisation(qtbot: QtBot,
                                                       new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Asma", "Noor", "عاصمہ نور")
        consent = workspace.consent
        consent.purpose.setCurrentIndex(consent.purpose.findData("referral"))
        consent.record()
        settle(qtbot, desktop, lambda: consent.problem.text())
        assert consent.problem.text(), "a referral consent names who may receive the case"
        assert consent.record_button.isEnabled()


def test_a_wrong_recovery_code_says_so(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        view.recovery_button.click()
        recovery = desktop.window.lock_view
        assert isinstance(recovery, RecoveryView)
        recovery.go.click()
        assert recovery.form.errors["code"].text() == "Type the recovery code."
        assert recovery.form.errors["passphrase"].isVisible()
        recovery.code.setText("1" * 40)
        recovery.new_passphrase.setText("copper kettle winter meadow")
        recovery.repeat.setText("copper kettle winter meadow")
        recovery.go.click()
        settle(qtbot, desktop, lambda: recovery.go.isEnabled())
        assert recovery.form.errors["code"].text() == \
            "This recovery code does not open the profile."
        assert desktop.window.workbench is None


def test_a_half_filled_new_case_survives_a_lock(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        dialog = workbench.show_new_case()
        type_text(dialog.form.inputs["hfz_NameUrdu"], "شبانہ")
        dialog.som.setChecked(True)
        press(qtbot, desktop.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        settle(qtbot, desktop, lambda: desktop.core.locked)
        from shiboken6 import isValid
        assert not isValid(dialog) or not dialog.isVisible(), "the form went with the lock"
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        settle(qtbot, desktop, lambda: workbench.new_case is not None)
        restored = workbench.new_case
        assert restored is not None and restored.isVisible()
        assert restored.form.inputs["hfz_NameUrdu"].text() == "شبانہ"
        assert restored.som.isChecked() and restored.tip.isChecked()
