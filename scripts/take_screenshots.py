"""Render the desktop's screenshots for the README (docs/screenshots/): the unlock window, the
case list, a case, its consent tab, its notes tab with a note being written, the dialog that
refers it to an organisation, a text field's context menu and a question (a message dialog),
in English and in Urdu, on a demo profile of synthetic people.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/take_screenshots.py [--scale 1.25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyrage  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402

from caseapp.i18n import _  # noqa: E402
from caseapp.services import demo, profiles  # noqa: E402
from caseapp.services.directory import DirectoryService  # noqa: E402
from ui.app import DEMO_PASSPHRASE, Desktop, wait_until  # noqa: E402
from ui.case.workspace import CaseWorkspace  # noqa: E402
from ui.unlock.unlock_view import UnlockView  # noqa: E402
from ui.widgets import edit_menu  # noqa: E402
from ui.widgets.message import MessageDialog  # noqa: E402

SHELTER = "dar-ul-aman"  # caseapp/reference/service-directory.csv
# What a caseworker would type, in the language of the screen.
PURPOSE = {"en": "Shelter placement in Lahore tonight", "ur": "آج رات لاہور میں پناہ گاہ"}
NOTE = {"en": "Came from Dera Ghazi Khan with her brother; asked for shelter in Lahore. Her "
              "papers are with the agent.\nNext hearing on 12 May.",
        "ur": "بھائی کے ساتھ ڈیرہ غازی خان سے آئیں اور لاہور میں پناہ مانگی؛ ان کے کاغذات "
              "ایجنٹ کے پاس ہیں۔\nاگلی پیشی ۱۲ مئی کو ہے۔"}


def shoot(lang: str, out: Path, suffix: str) -> None:
    desktop = Desktop(lang)
    window = desktop.window
    window.resize(1280, 800)
    window.show()
    wait_until(lambda: isinstance(window.lock_view, UnlockView))
    window.grab().save(str(out / f"unlock-{lang}{suffix}.png"))
    desktop.core.unlock("demo", DEMO_PASSPHRASE)
    window.after_unlock()
    wait_until(lambda: window.workbench is not None and
               window.workbench.cases.model.rowCount() > 0 and desktop.bridge.busy == 0)
    workbench = window.workbench
    assert workbench is not None
    workbench.tabs.setCurrentIndex(0)  # the list, not a case reopened from the last lock
    wait_until(lambda: desktop.bridge.busy == 0)
    window.grab().save(str(out / f"case-list-{lang}{suffix}.png"))
    workspace = workbench.open_case(workbench.cases.model.case_id(2))
    workspace.tabs.setCurrentWidget(workspace.person)
    wait_until(lambda: bool(workspace.title) and desktop.bridge.busy == 0)
    window.grab().save(str(out / f"case-{lang}{suffix}.png"))
    workspace.tabs.setCurrentWidget(workspace.consent)
    wait_until(lambda: desktop.bridge.busy == 0)
    settle()
    window.grab().save(str(out / f"consent-{lang}{suffix}.png"))
    shoot_notes(workspace, lang, out / f"notes-{lang}{suffix}.png")
    shoot_referral(desktop, workspace, lang, out / f"referral-dialog-{lang}{suffix}.png")
    shoot_menu_and_message(workspace, out / f"menu-{lang}{suffix}.png",
                           out / f"message-{lang}{suffix}.png")
    window.lock()
    wait_until(lambda: desktop.core.locked)
    desktop.close()


def settle() -> None:
    """Let Qt lay out what just changed (a hidden problem line, a chosen organisation)."""
    for _round in range(5):
        QCoreApplication.processEvents()
        time.sleep(0.02)


def shoot_referral(desktop: Desktop, workspace: CaseWorkspace, lang: str, png: Path) -> None:
    """The referral dialog filled in for the shelter, as the caseworker is about to send."""
    dialog = workspace.refer()
    wait_until(lambda: dialog.recipient.count() > 0 and desktop.bridge.busy == 0)
    shelter = desktop.core.run(lambda s: s.directory.find(SHELTER))
    dialog.recipient.setCurrentIndex(dialog.recipient.findData(shelter["id"]))
    dialog.purpose.setText(PURPOSE.get(lang, PURPOSE["en"]))
    dialog.path.setText(str(Path.home() / "referral-sumaira.hfz.age"))
    settle()
    dialog.grab().save(str(png))
    dialog.reject()
    dialog.deleteLater()


def shoot_notes(workspace: CaseWorkspace, lang: str, png: Path) -> None:
    """The notes tab with a note of two paragraphs being written, the cursor at its end."""
    workspace.tabs.setCurrentWidget(workspace.notes)
    editor = workspace.notes.editor
    editor.setPlainText(NOTE.get(lang, NOTE["en"]))
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.setFocus()
    settle()
    workspace.window().grab().save(str(png))
    editor.clear()


def shoot_menu_and_message(workspace: CaseWorkspace, menu_png: Path, message_png: Path) -> None:
    """A note field's context menu (Qt's, in the catalogs' words) and the question asked when
    a case with unsaved changes is closed, each grabbed alone."""
    workspace.tabs.setCurrentWidget(workspace.notes)
    editor = workspace.notes.editor
    editor.setPlainText(_("Write a note…"))
    editor.selectAll()  # so that cut and copy are offered
    menu = edit_menu.translate_menu(editor.createStandardContextMenu())
    menu.popup(editor.mapToGlobal(editor.rect().center()))
    wait_until(menu.isVisible)
    menu.grab().save(str(menu_png))
    menu.close()
    menu.deleteLater()
    editor.clear()
    dialog = MessageDialog(workspace, _("Close the case"),
                           _("This case has changes that are not saved. Close it and drop "
                             "them?"), _("&Close and drop the changes"), _("&Keep the case open"))
    dialog.show()
    wait_until(dialog.isVisible)
    dialog.grab().save(str(message_png))
    dialog.close()
    dialog.deleteLater()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--langs", default="en,ur")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = ""
    if os.environ.get("QT_SCALE_FACTOR"):
        suffix = f"-{round(float(os.environ['QT_SCALE_FACTOR']) * 100)}"
    with tempfile.TemporaryDirectory(prefix="hifazat-shots-") as home:
        os.environ["CASEAPP_HOME"] = home
        profiles.create_profile("demo", DEMO_PASSPHRASE, user_name="Demo Manager")
        with profiles.unlock("demo", DEMO_PASSPHRASE) as session:
            demo.fill(session, 60)
            # The shelter's age key, as a manager stores it: the dialog can seal to it.
            directory = DirectoryService(session)
            directory.set_keys(directory.find(SHELTER)["id"], age_recipient=str(
                pyrage.x25519.Identity.generate().to_public()))
        for lang in args.langs.split(","):
            shoot(lang, args.out, suffix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
