"""The lazy case list: pages arrive as the view asks for them, in the order and with the
filter chosen, with the right count; a change elsewhere refreshes it; the bridge delivers
results and errors on the GUI thread."""

from __future__ import annotations

import threading

from conftest import PASSPHRASE, NewProfile
from desktop_driver import narrowest, running, settle, unlock
from PySide6.QtCore import QPoint, QRect, Qt
from pytestqt.qtbot import QtBot

from caseapp.errors import NotFound
from caseapp.services import demo, profiles
from caseapp.services.cases import CaseSummary
from ui.app import Desktop
from ui.cases.list_model import PAGE, CaseListModel


def _fill(count: int) -> None:
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, count, seed=7)


def _all_rows(qtbot: QtBot, desktop: Desktop, model: CaseListModel) -> list[CaseSummary]:
    """Every row, page by page, as a view scrolling to the end would ask for them."""
    for row in range(0, model.rowCount(), PAGE):
        model.summary(row)
        settle(qtbot, desktop, lambda: not model.loading)
    return [case for row in range(model.rowCount()) if (case := model.summary(row))]


def test_pages_come_as_the_view_asks_in_the_chosen_order(qtbot: QtBot,
                                                         new_profile: NewProfile) -> None:
    count = PAGE * 2 + 37
    new_profile("caseworker")
    _fill(count)
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        model = workbench.cases.model
        settle(qtbot, desktop, lambda: model.rowCount() == count)
        assert len(model.loaded()) < count, "only what the view shows is fetched"
        rows = _all_rows(qtbot, desktop, model)
        assert len(rows) == count and len({c.id for c in rows}) == count, "each case once"
        changed = [c.updated_at for c in rows]
        assert changed == sorted(changed, reverse=True), "newest change first by default"

        name_column = 1
        workbench.cases.table.sortByColumn(name_column, Qt.SortOrder.AscendingOrder)
        settle(qtbot, desktop, lambda: model.rowCount() == count and not model.loading)
        names = [c.name for c in _all_rows(qtbot, desktop, model)]
        assert names == sorted(names) and len(names) == count


def test_a_jump_deep_into_the_list_fetches_only_that_page(qtbot: QtBot,
                                                          new_profile: NewProfile) -> None:
    count = PAGE * 5 + 11
    new_profile("caseworker")
    _fill(count)
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        expected = [r[0] for r in session.store.conn.execute(
            "SELECT id FROM records WHERE type = 'case' AND deleted = 0 "
            "ORDER BY updated_at DESC, id DESC")]
    with running() as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        model = workbench.cases.model
        settle(qtbot, desktop, lambda: model.rowCount() == count and not model.loading)
        deep = PAGE * 4 + 7
        workbench.cases.table.scrollTo(model.index(deep, 0))
        settle(qtbot, desktop, lambda: model.summary(deep) is not None)
        assert model.case_id(deep) == expected[deep]
        assert {c.id for c in model.loaded()} <= set(expected[:PAGE] + expected[PAGE * 3:]), \
            "pages between were never fetched"


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
        assert all(c.stage == "screening" for c in _all_rows(qtbot, desktop, view.model))
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
        settle(qtbot, desktop, lambda: model.rowCount() == 5 and not model.loading)
        last = model.case_id(4)
        desktop.core.run(lambda s: s.cases.update(last, {"prs_FirstName": "Shahida"}))
        settle(qtbot, desktop, lambda: model.summary(0) is not None and
               model.case_id(0) == last)
        first = model.summary(0)
        assert first is not None and first.name.startswith("Shahida"), "renamed, at the top"


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


def test_the_filters_wrap_in_a_narrow_window_and_mirror_in_urdu(qtbot: QtBot,
                                                                  new_profile: NewProfile) -> None:
    """Before: the five filters stood in one row of 1,030 pixels in Urdu, and the window
    could not be narrower than 1,243 pixels — wider than a 1,024-pixel laptop screen."""
    new_profile("caseworker")
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        view = workbench.cases
        filters = [view.stage, view.track, view.exploitation, view.changed_from, view.changed_to]

        def rows() -> int:
            middles = sorted(f.mapTo(view, f.rect().center()).y() for f in filters)
            return 1 + sum(1 for a, b in zip(middles, middles[1:], strict=False) if b - a > 10)

        desktop.window.resize(1800, 900)  # a wide screen: one row
        qtbot.waitUntil(lambda: rows() == 1)
        narrowest(qtbot, desktop, until=lambda: rows() > 1)
        assert desktop.window.width() <= 700
        boxes = [QRect(f.mapTo(view, QPoint(0, 0)), f.size()) for f in filters]
        for box in boxes:
            assert view.rect().contains(box)  # each filter whole, none cut off at the side
        for one, other in zip(boxes, boxes[1:], strict=False):
            assert not one.intersects(other)
        # right to left: the first filter of each row is the rightmost
        first_row = [b for b in boxes if b.top() == boxes[0].top()]
        assert boxes[0].right() == max(b.right() for b in first_row)
        assert view.table.geometry().top() > max(b.bottom() for b in boxes)
        # The keyboard goes through the filters in reading order, whatever the rows: down
        # the rows, and right to left along each.
        reading = sorted(filters, key=lambda f: (boxes[filters.index(f)].top(),
                                                 -boxes[filters.index(f)].right()))
        chain: list[object] = []
        widget = view.stage.previousInFocusChain()
        for _step in range(200):
            assert widget is not None
            widget = widget.nextInFocusChain()
            if widget in filters and widget not in chain:
                chain.append(widget)
        assert chain == reading == filters
