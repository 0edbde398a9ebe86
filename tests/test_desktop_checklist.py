"""Bullets of issue 9 that no other test proved, each through what the user sees: a copied
identity number leaves the clipboard after 30 seconds, ``--smoke`` fails loudly, the list's
exploitation and date filters, its columns and sort order remembered per user, the status bar,
dropping a file on the attachments, refusing one that is too large, re-opening a closed case,
the navigation's counts, the window answering while the key is derived."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, type_text, unlock
from PySide6.QtCore import QDate, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from caseapp.services import demo, profiles
from ui.app import Desktop
from ui.shell.workbench import Workbench
from ui.unlock.unlock_view import UnlockView

REPO = Path(__file__).resolve().parents[1]


def _fill(profile: str, count: int) -> list[dict[str, object]]:
    with profiles.unlock(profile, PASSPHRASE) as session:
        demo.fill(session, count, seed=11)
        return [json.loads(body) for (body,) in session.store.conn.execute(
            "SELECT body FROM records WHERE type = 'case' AND deleted = 0")]


def unlock_profile(qtbot: QtBot, desktop: Desktop, name: str) -> Workbench:
    view = desktop.window.lock_view
    assert isinstance(view, UnlockView)
    view.profile.setCurrentText(name)
    return unlock(qtbot, desktop, PASSPHRASE)


# -- the clipboard ------------------------------------------------------------------------

def test_a_copied_identity_number_leaves_the_clipboard_after_30_seconds(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.case.person_form import PersonForm
    from ui.widgets import clipboard

    later: list[tuple[int, Callable[[], None]]] = []

    class Clock:  # the 30 seconds pass when the test says so
        @staticmethod
        def singleShot(ms: int, fn: Callable[[], None]) -> None:  # noqa: N802
            later.append((ms, fn))

    monkeypatch.setattr(clipboard, "QTimer", Clock)
    form = PersonForm()
    qtbot.addWidget(form)
    form.doc_type.setCurrentIndex(form.doc_type.findData("CNIC"))
    form.doc_number.setText("35202-1234567-1")
    form.copy_number.click()
    assert QGuiApplication.clipboard().text() == "35202-1234567-1"
    assert [ms for ms, _fn in later] == [30_000]
    later[0][1]()
    assert QGuiApplication.clipboard().text() == ""


# -- the smoke run ------------------------------------------------------------------------

def test_the_smoke_run_exits_non_zero_when_something_fails(
        tmp_path: Path, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    wrong = tmp_path / "passphrase.txt"
    wrong.write_text("not the passphrase of this profile\n")
    out = tmp_path / "smoke.png"
    result = subprocess.run(
        [sys.executable, "-m", "ui.launcher", "--smoke", str(out), "--profile", "caseworker",
         "--passphrase-file", str(wrong)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True,
        timeout=240, cwd=REPO)
    assert result.returncode != 0
    assert not out.exists(), "no screenshot of a run that failed"
    assert "WrongPassphrase" in result.stderr or "passphrase" in result.stderr.lower()


# -- the case list ------------------------------------------------------------------------

def test_the_list_filters_by_exploitation_and_by_date_range_with_the_count(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    bodies = _fill("caseworker", 60)
    kinds = [kind for body in bodies for kind in body.get("vic_TypeOfExploitation") or []]
    kind = max(set(kinds), key=kinds.count)
    having = sum(1 for body in bodies if kind in (body.get("vic_TypeOfExploitation") or []))
    assert 0 < having < len(bodies)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        view = workbench.cases
        settle(qtbot, desktop, lambda: view.model.total == len(bodies))
        view.exploitation.setCurrentIndex(view.exploitation.findData(kind))
        settle(qtbot, desktop, lambda: view.model.total == having)
        assert view.count.text() == f"{having} cases"
        view.exploitation.setCurrentIndex(0)
        settle(qtbot, desktop, lambda: view.model.total == len(bodies))
        # every case was changed today: from tomorrow on there is none, up to today all
        today = QDate.currentDate()
        view.changed_from.setDate(today.addDays(1))
        settle(qtbot, desktop, lambda: view.model.total == 0)
        assert view.count.text() == "0 cases"
        view.changed_from.setDate(today)
        view.changed_to.setDate(today)
        settle(qtbot, desktop, lambda: view.model.total == len(bodies))
        view.changed_to.setDate(today.addDays(-1))
        settle(qtbot, desktop, lambda: view.model.total == 0)


def test_columns_and_sort_order_are_remembered_per_user(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    new_profile("manager")
    _fill("caseworker", 12)
    _fill("manager", 12)
    name_column, width = 1, 333
    with running() as desktop:
        workbench = unlock_profile(qtbot, desktop, "caseworker")
        view = workbench.cases
        settle(qtbot, desktop, lambda: view.model.rowCount() == 12 and not view.model.loading)
        default_column = view.table.horizontalHeader().sortIndicatorSection()
        assert default_column != name_column
        view.table.sortByColumn(name_column, Qt.SortOrder.AscendingOrder)
        view.table.horizontalHeader().resizeSection(name_column, width)
        qtbot.waitUntil(lambda: not view._save_timer.isActive())  # saved once, at the end
        settle(qtbot, desktop)
        desktop.window.lock()
        settle(qtbot, desktop, lambda: desktop.core.locked)

        workbench = unlock_profile(qtbot, desktop, "caseworker")
        view = workbench.cases
        settle(qtbot, desktop, lambda: view.model.rowCount() == 12 and not view.model.loading)
        header = view.table.horizontalHeader()
        assert header.sortIndicatorSection() == name_column
        assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
        assert header.sectionSize(name_column) == width
        names = [view.model.summary(row).name for row in range(12)]  # type: ignore[union-attr]
        assert names == sorted(names), "the rows come in the remembered order"
        desktop.window.lock()
        settle(qtbot, desktop, lambda: desktop.core.locked)

        # another user (their own profile on this computer) keeps their own
        workbench = unlock_profile(qtbot, desktop, "manager")
        header = workbench.cases.table.horizontalHeader()
        settle(qtbot, desktop, lambda: not workbench.cases.model.loading)
        assert header.sortIndicatorSection() == default_column
        assert header.sectionSize(name_column) != width


# -- the status bar -----------------------------------------------------------------------

def test_the_status_bar_shows_the_profile_the_lock_state_and_unsynced_changes(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        window = desktop.window
        assert window.status_profile.text() == "Locked"
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        assert window.status_profile.text() == "Profile caseworker — unlocked"
        settle(qtbot, desktop, lambda: window.status_sync.text().endswith("not yet synced"))
        before = int(window.status_sync.text().split()[0])
        register(qtbot, desktop, workbench, "Kiran", "Masih", "کرن مسیح")
        settle(qtbot, desktop, lambda: window.status_sync.text() != "" and
               int(window.status_sync.text().split()[0]) > before)
        window.lock()
        settle(qtbot, desktop, lambda: desktop.core.locked)
        assert window.status_profile.text() == "Locked"
        assert window.status_sync.text() == ""


# -- attachments --------------------------------------------------------------------------

def _drop(widget: object, path: Path) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    assert isinstance(widget, QWidget)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    where = QPointF(widget.rect().center())
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the drag is welcome"
    drop = QDropEvent(where, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_a_file_dropped_on_the_attachments_is_added_and_one_too_large_is_refused(
        qtbot: QtBot, new_profile: NewProfile, tmp_path: Path) -> None:
    new_profile("caseworker")
    scan = tmp_path / "passport-scan.png"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkBlue)
    image.save(str(scan))
    big = tmp_path / "video.mp4"
    with big.open("wb") as out:
        out.truncate(26 * 1024 * 1024)  # a sparse file: 26 MB without writing them
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Shabnam", "Gul", "شبنم گل")
        tab = workspace.attachments
        workspace.tabs.setCurrentWidget(tab)
        assert tab.acceptDrops()
        _drop(tab, scan)
        settle(qtbot, desktop, lambda: tab.files.count() == 1)
        assert "passport-scan.png" in tab.files.item(0).text()
        _drop(tab, big)
        settle(qtbot, desktop)
        assert tab.problem.text() == "The file is larger than 25 MB."
        assert tab.files.count() == 1


# -- the case's stage ---------------------------------------------------------------------

def test_a_manager_reopens_a_closed_case(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("manager")
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Zainab", "Khatoon", "زینب خاتون")
        stage = workspace.stage
        settle(qtbot, desktop, lambda: stage.target.count() > 0)
        stage.target.setCurrentIndex(stage.target.findData("closed"))
        type_text(stage.reason, "Moved abroad")
        stage.move_case()
        settle(qtbot, desktop, lambda: "Closed" in workspace.overview.stage.text())
        settle(qtbot, desktop, lambda: stage.target.findData("intake") >= 0)
        assert [stage.target.itemData(i) for i in range(stage.target.count())] == ["intake"]
        assert not stage.reason.isEnabled()
        stage.move_case()
        settle(qtbot, desktop, lambda: "Intake" in workspace.overview.stage.text())
        assert stage.target.findData("closed") >= 0, "open again: it can be closed again"



# -- the navigation -----------------------------------------------------------------------

def test_each_navigation_entry_lists_as_many_cases_as_its_count_says(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    import re

    new_profile("caseworker")
    bodies = _fill("caseworker", 80)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        navigation, view = workbench.navigation, workbench.cases
        settle(qtbot, desktop, lambda: "(" in navigation.item(0).text())
        shown = {}
        for row in range(navigation.count()):
            match = re.fullmatch(r"(.+) \((\d+)\)", navigation.item(row).text())
            assert match, navigation.item(row).text()
            navigation.setCurrentRow(row)
            settle(qtbot, desktop, lambda: not view.model.loading)
            count = int(match.group(2))
            settle(qtbot, desktop, lambda count=count: view.model.total == count)
            assert view.count.text() == f"{count} case" + ("" if count == 1 else "s")
            shown[match.group(1)] = count
        assert list(shown) == ["My cases", "All cases", "Screening queue", "Referrals",
                               "Follow-ups due"]
        assert shown["All cases"] == len(bodies)
        assert 0 < shown["Screening queue"] < len(bodies)


# -- the unlock ---------------------------------------------------------------------------

def test_the_window_answers_while_the_key_is_derived(
        qtbot: QtBot, new_profile: NewProfile, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from PySide6.QtCore import QTimer

    new_profile("caseworker")
    release, derived = threading.Event(), threading.Event()
    with running() as desktop:
        real = desktop.core.unlock

        def slow(*args: object, **kwargs: object) -> object:
            release.wait(10)  # the key derivation, as long as the test needs
            try:
                return real(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                derived.set()
        monkeypatch.setattr(desktop.core, "unlock", slow)
        view = desktop.window.lock_view
        assert isinstance(view, UnlockView)
        qtbot.keyClicks(view.passphrase, PASSPHRASE)
        qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
        answered: list[bool] = []
        QTimer.singleShot(0, lambda: answered.append(derived.is_set()))
        qtbot.waitUntil(lambda: bool(answered), timeout=5000)
        assert answered == [False], "the window ran its events before the key was derived"
        assert view.progress.isVisible() and desktop.window.workbench is None
        release.set()
        settle(qtbot, desktop, lambda: desktop.window.workbench is not None)
