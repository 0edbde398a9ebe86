"""The lazy case list: pages arrive as the view asks for them, in the order and with the
filter chosen, with the right count; a change elsewhere refreshes it; the bridge delivers
results and errors on the GUI thread."""

from __future__ import annotations

import threading

from conftest import PASSPHRASE, NewProfile
from desktop_driver import running, settle, unlock
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from caseapp.errors import NotFound
from caseapp.services import demo, profiles
from ui.cases.list_model import PAGE


def _fill(count: int) -> None:
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, count, seed=7)


def test_pages_come_as_the_view_scrolls_in_the_chosen_order(qtbot: QtBot,
                                                             new_profile: NewProfile) -> None:
    new_profile("caseworker")
    _fill(PAGE * 2 + 37)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        model = workbench.cases.model
        settle(qtbot, desktop, lambda: model.rowCount() == PAGE)
        assert model.total == PAGE * 2 + 37, "the count covers every case, not the page"
        while model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
            settle(qtbot, desktop)
        assert model.rowCount() == PAGE * 2 + 37
        changed = [c.updated_at for c in model.rows]
        assert changed == sorted(changed, reverse=True), "newest change first by default"
        assert len({c.id for c in model.rows}) == model.rowCount(), "no case twice"

        name_column = 1
        workbench.cases.table.sortByColumn(name_column, Qt.SortOrder.AscendingOrder)
        settle(qtbot, desktop, lambda: model.rowCount() == PAGE)
        while model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
            settle(qtbot, desktop)
        names = [c.name for c in model.rows]
        assert names == sorted(names) and model.rowCount() == PAGE * 2 + 37


def test_filters_narrow_the_list_and_its_count(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    _fill(120)
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        rows = list(session.store.conn.execute(
            "SELECT status, body FROM records WHERE type = 'case' AND deleted = 0"))
    import json
    screening = sum(1 for status, _b in rows if status == "screening")
    smuggling = sum(1 for _s, body in rows if "SOM" in json.loads(body).get("hfz_Tracks", []))
    assert screening and smuggling
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        view = workbench.cases
        view.stage.setCurrentIndex(view.stage.findData("screening"))
        settle(qtbot, desktop, lambda: view.model.total == screening)
        assert all(c.stage == "screening" for c in view.model.rows)
        assert view.count.text() == f"{screening} cases" or view.count.text() == \
            f"{screening} case"
        view.stage.setCurrentIndex(0)
        view.track.setCurrentIndex(view.track.findData("SOM"))
        settle(qtbot, desktop, lambda: view.model.total == smuggling)
        # the navigation's screening queue is the same filter, with its count
        workbench.navigation.refresh_counts()
        settle(qtbot, desktop)
        assert f"({screening})" in workbench.navigation.item(2).text()


def test_the_list_refreshes_when_a_case_changes(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    _fill(5)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        model = workbench.cases.model
        settle(qtbot, desktop, lambda: model.rowCount() == 5)
        last = model.rows[-1].id
        desktop.core.run(lambda s: s.cases.update(last, {"prs_FirstName": "Shahida"}))
        settle(qtbot, desktop, lambda: model.rowCount() == 5 and model.rows[0].id == last)
        assert model.rows[0].name.startswith("Shahida"), "the renamed case, at the top"


def test_the_bridge_answers_on_the_gui_thread(qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with running() as desktop:
        unlock(qtbot, desktop, PASSPHRASE)
        seen: list[tuple[str, bool]] = []
        gui = threading.current_thread()
        desktop.bridge.call(lambda s: s.cases.count(),
                            lambda n: seen.append(("done", threading.current_thread() is gui)))
        desktop.bridge.call(lambda s: s.cases.show("no-such-case"), None,
                            lambda exc: seen.append((type(exc).__name__,
                                                     threading.current_thread() is gui)))
        settle(qtbot, desktop, lambda: len(seen) == 2)
        assert seen == [("done", True), (NotFound.__name__, True)]
