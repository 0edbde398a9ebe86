"""The case overview's timeline: what happened to the case, newest first, each with its time
as the interface language writes it (Babel), in English and in Urdu."""

from __future__ import annotations

import datetime

import pytest
from babel.dates import format_datetime
from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, type_text, unlock
from pytestqt.qtbot import QtBot

# What the timeline says of each event, per language: (registration of the person, of the
# case, the note, the stage move) — the catalogs' words, written out here.
WORDS = {
    "en": ("person added", "case added", "note added", "case changed: Stage"),
    "ur": ("فرد کو شامل کیا گیا", "کیس کو شامل کیا گیا", "نوٹ کو شامل کیا گیا",
           "کیس میں تبدیلی: مرحلہ"),
}


def babel_time(ms: int, lang: str) -> str:
    """What Babel writes for a moment in ``lang``, medium date and time, local time."""
    moment = datetime.datetime.fromtimestamp(ms / 1000).astimezone()
    return format_datetime(moment, "medium", locale=lang)


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_timeline_lists_registration_note_and_stage_newest_first(
        qtbot: QtBot, new_profile: NewProfile, lang: str) -> None:
    new_profile("manager")
    with running(lang) as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Nasreen", "Bibi", "نسرین بی بی")
        workspace.tabs.setCurrentWidget(workspace.notes)
        type_text(workspace.notes.editor, "Met at the shelter in Multan.")
        workspace.notes.add_button.click()
        settle(qtbot, desktop, lambda: workspace.notes.notes.count() == 1)
        stage = workspace.stage
        settle(qtbot, desktop, lambda: stage.target.count() > 0)
        stage.move_case()
        timeline = workspace.overview.timeline
        settle(qtbot, desktop, lambda: timeline.count() == 4)
        workspace.tabs.setCurrentWidget(workspace.overview)
        shown = [timeline.item(row).text() for row in range(timeline.count())]
        # the times of the four writes, as the vault recorded them, oldest first
        times = [int(e["at"]) for e in
                 desktop.core.run(lambda s: s.cases.history(workspace.case_id))]
    assert len(times) == 4
    person, case, note, moved = WORDS[lang]
    expected = [(times[3], moved), (times[2], note), (times[1], case), (times[0], person)]
    assert shown == [f"{babel_time(at, lang)}: {what}" for at, what in expected]
