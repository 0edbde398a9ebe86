"""Dates and numbers on the desktop as Babel writes them in the interface language: in Urdu,
the case list's "changed" column and the navigation's counts. The expected text is Babel's
own for 'ur', with the desktop's patterns (a medium date and time; a decimal with grouping),
computed here, not taken from the code under test."""

from __future__ import annotations

import datetime

from babel.dates import format_datetime
from babel.numbers import format_decimal
from conftest import PASSPHRASE, NewProfile
from desktop_driver import running, settle, unlock
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from caseapp.services import demo, profiles

COUNT = 1_003  # above a thousand: grouped as the language groups digits


def test_in_urdu_the_lists_dates_and_the_navigation_counts_are_babels(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, COUNT, seed=11, records=False)
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        model = workbench.cases.model
        settle(qtbot, desktop, lambda: model.total == COUNT and model.summary(0) is not None)
        navigation = workbench.navigation
        all_cases = navigation.item(1)
        settle(qtbot, desktop, lambda: "(" in all_cases.text())
        # the "changed" column, row by row as the table shows it
        column = model.columnCount() - 1
        for row in range(5):
            case = model.summary(row)
            assert case is not None
            moment = datetime.datetime.fromtimestamp(case.updated_at / 1000).astimezone()
            shown = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
            assert shown == format_datetime(moment, "medium", locale="ur")
            assert any("\u0600" <= ch <= "\u06ff" for ch in shown), "an Urdu month name"
        title = model.headerData(column, Qt.Orientation.Horizontal)
        assert title and not title.isascii(), "the column's title is Urdu too"
        # the counts: "تمام کیس (1,003)" as Babel groups 1003 in Urdu
        counted = format_decimal(COUNT, locale="ur")
        assert all_cases.text().endswith(f"({counted})"), all_cases.text()
        assert counted != str(COUNT)
