"""Referring a case from the desktop (issue 11): choose the receiving organisation from the
service directory, the services and the purpose; the referral is refused without the
person's consent, can be cancelled before anything is written, and otherwise leaves as a
signed package sealed to the organisation's age key that the standard ``age`` tool opens,
with the referral recorded as sent. Real widgets, a real vault, the database thread."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, unlock
from documents_setup import age_key
from pytestqt.qtbot import QtBot

from caseapp.services import referral_packages
from ui.case.referral_dialog import ReferralPackageDialog

SHELTER_KEY = "dar-ul-aman"  # caseapp/reference/service-directory.csv: shelter;legal_aid
SHELTER_NAME = "Dar-ul-Aman"


def fill(qtbot: QtBot, dialog: ReferralPackageDialog, path: Path) -> None:
    dialog.recipient.setCurrentIndex(dialog.recipient.findText(SHELTER_NAME))
    dialog.purpose.clear()
    qtbot.keyClicks(dialog.purpose, "shelter placement in Lahore")
    dialog.path.setText(str(path))


def test_a_referral_is_checked_cancelled_or_sent_as_a_sealed_package(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    new_profile("manager")
    key = age_key(tmp_path, "shelter")
    threads: list[str] = []
    real_seal = referral_packages.seal_package

    def seal(prepared: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return real_seal(prepared)

    monkeypatch.setattr(referral_packages, "seal_package", seal)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Sumaira", "Bibi", "سمیرا بی بی")
        case_id = workspace.case_id
        # The directory came with the profile; the manager stores the key the shelter gave.
        org_id = desktop.core.run(lambda s: s.directory.find(SHELTER_KEY))["id"]
        desktop.core.run(lambda s: s.directory.set_keys(org_id, age_recipient=key.recipient))

        def referrals() -> list[dict[str, Any]]:
            return desktop.core.run(lambda s: s.referrals.list_for_case(case_id))

        assert workspace.refer_button is not None
        dialog = workspace.refer()
        settle(qtbot, desktop, lambda: dialog.recipient.count() > 0)
        out = tmp_path / "referral.hfz.age"

        # Nothing typed yet: each missing field says so under it, nothing starts.
        dialog.refer()
        assert dialog.form.errors["purpose"].isVisible() and dialog.step == 0
        fill(qtbot, dialog, out)
        # The services the shelter offers are proposed (the directory file's own list).
        assert dialog.chosen_services() == ["shelter", "legal_aid"]

        # No consent for a referral: refused with what to do, nothing written.
        dialog.refer()
        settle(qtbot, desktop, lambda: dialog.step == 0)
        assert "No consent for referral to named service providers has been recorded." \
            in dialog.problem.text() and "Consent tab" in dialog.problem.text()
        assert not out.exists() and referrals() == []
        assert dialog.isVisible() and dialog.buttons.isEnabled()

        desktop.core.run(lambda s: s.consent.record(
            case_id, "referral", True, language="urd", explanation_version="rights-2026-1",
            providers=[org_id]))

        # Cancelled before the last step: the dialog closes and nothing is written.
        dialog.refer()
        assert dialog.progress.isVisible()
        dialog.reject()
        settle(qtbot, desktop)
        assert not dialog.isVisible() and not out.exists() and referrals() == []

        dialog = workspace.refer()
        settle(qtbot, desktop, lambda: dialog.recipient.count() > 0)
        fill(qtbot, dialog, out)
        seen: list[int] = []
        dialog.progress.valueChanged.connect(seen.append)
        dialog.refer()
        settle(qtbot, desktop, lambda: bool(dialog.referral_id))
        assert seen == [0, 1, 2, 3]  # checked, sealed, written: every step shown
        assert threads and threads[-1] != threading.main_thread().name  # off the GUI thread
        [referral] = referrals()
        assert referral["id"] == dialog.referral_id and referral["hfz_Status"] == "sent"
        assert referral["hfz_Services"] == ["shelter", "legal_aid"]

    # The standard age tool opens it with the shelter's identity, and only with it.
    opened = subprocess.run(["age", "-d", "-i", str(key.identity_file), str(out)],
                            check=True, capture_output=True).stdout
    package = json.loads(opened)
    assert package["manifest"]["recipient"] == SHELTER_NAME
    assert package["manifest"]["case"]["prs_FirstName"] == "Sumaira"
    other = age_key(tmp_path, "other")
    assert subprocess.run(["age", "-d", "-i", str(other.identity_file), str(out)],
                          capture_output=True).returncode != 0


@pytest.mark.parametrize("role, sees", [("caseworker", True), ("border_officer", False)])
def test_who_sees_the_referral_action(qtbot: QtBot, new_profile: NewProfile, role: str,
                                      sees: bool) -> None:
    # A referral is casework and its package an export: caseworkers make them; border
    # officers, who may not export, do not see the action.
    new_profile(role)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Iqra", "Noor", "اقرا نور")
        assert (workspace.refer_button is not None) is sees
