"""Consent in the case window, through its widgets: withdrawing a consent, and a child's
consent — the child's assent with a guardian's consent, or with a best-interests decision
(caseapp.domain.consent; PROTECTION.md §2: a guardian may be the one implicated)."""

from __future__ import annotations

from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, type_text, unlock
from pytestqt.qtbot import QtBot

from ui.case.consent_tab import ConsentTab
from ui.case.workspace import CaseWorkspace


def now_shown(consent: ConsentTab, label: str) -> str:
    """The "Now" column of the purpose whose label is ``label``, as the table shows it."""
    for row in range(consent.state.rowCount()):
        purpose, now = consent.state.item(row, 0), consent.state.item(row, 1)
        if purpose is not None and now is not None and purpose.text() == label:
            return now.text()
    return ""


def choose(consent: ConsentTab, purpose: str) -> str:
    consent.purpose.setCurrentIndex(consent.purpose.findData(purpose))
    return consent.purpose.currentText()


def open_consent(qtbot: QtBot, workspace: CaseWorkspace) -> ConsentTab:
    workspace.tabs.setCurrentWidget(workspace.consent)
    qtbot.waitUntil(lambda: workspace.consent.state.rowCount() > 0, timeout=5000)
    return workspace.consent


def test_a_consent_withdrawn_is_shown_withdrawn(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        consent = open_consent(qtbot, register(qtbot, desktop, workbench, "Shazia", "Parveen",
                                               "شازیہ پروین"))
        assert not consent.assent.isVisibleTo(consent) and not consent.child_note.isVisibleTo(
            consent), "an adult gives consent: no assent, guardian or best-interests rows"
        label = choose(consent, "follow_up_contact")
        # nothing to withdraw yet: said, and nothing changes
        consent.withdraw_button.click()
        settle(qtbot, desktop, lambda: consent.problem.isVisibleTo(consent))
        assert "no consent" in consent.problem.text()
        consent.record_button.click()
        settle(qtbot, desktop, lambda: now_shown(consent, label) == "permitted")
        assert not consent.problem.isVisibleTo(consent)
        consent.withdraw_button.click()
        settle(qtbot, desktop, lambda: now_shown(consent, label) == "withdrawn")
        assert now_shown(consent, choose(consent, "interview")) == "not asked", \
            "only the chosen purpose is withdrawn"
        # and the case's history keeps both decisions
        history = workbench.tabs.currentWidget().history.table
        settle(qtbot, desktop, lambda: any(
            history.item(r, 1) is not None and history.item(r, 1).text() == "consent withdrawn"
            for r in range(history.rowCount())))


def test_a_childs_assent_with_a_guardian_or_a_best_interests_decision(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Zainab", "Noor", "زینب نور",
                             birthdate="2014-05-01")
        consent = open_consent(qtbot, workspace)
        settle(qtbot, desktop, lambda: consent.child_note.isVisibleTo(consent))
        assert "child" in consent.child_note.text()
        for field in ("assent", "guardian_name", "best_interests_by"):
            assert consent.form.title_of(field).isVisibleTo(consent), field
        # given without the child's assent or an adult's backing: refused, next to the fields
        interview = choose(consent, "interview")
        consent.record_button.click()
        settle(qtbot, desktop, lambda: consent.form.errors["assent"].isVisibleTo(consent))
        assert consent.form.errors["assent"].text() == "a child must give assent"
        assert consent.form.errors["guardian_name"].text() == \
            "a child needs a guardian's consent or a best-interests decision"
        assert consent.problem.text() == "Not saved: correct the fields marked above."
        assert now_shown(consent, interview) == "not asked"
        # the child assents and the mother consents
        consent.assent.click()
        type_text(consent.guardian, "نسرین بی بی")
        type_text(consent.relationship, "mother")
        consent.record_button.click()
        settle(qtbot, desktop, lambda: now_shown(consent, interview) == "permitted")
        assert not consent.form.problem_texts()
        assert consent.guardian.text() == "" and not consent.assent.isChecked(), \
            "the form is ready for the next decision"
        # the guardian is the one suspected: a best-interests decision backs the assent instead
        shelter = choose(consent, "assistance_processing")
        consent.assent.click()
        type_text(consent.best_interests_by, "Child Protection Unit, Lahore")
        type_text(consent.best_interests_reason, "the father is suspected of selling her")
        consent.record_button.click()
        settle(qtbot, desktop, lambda: now_shown(consent, shelter) == "permitted")
        assert not consent.form.problem_texts()
        entries = desktop.core.run(lambda s: s.consent.entries(workspace.case_id))
    backed = [(e.purpose, e.child, e.assent, e.guardian_name, e.best_interests_by)
              for e in entries]
    assert backed == [("interview", True, True, "نسرین بی بی", None),
                      ("assistance_processing", True, True, None,
                       "Child Protection Unit, Lahore")]
