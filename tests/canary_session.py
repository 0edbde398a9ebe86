"""The scripted session of test_no_plaintext_anywhere.py, run in a process of its own so that
every library (SQLite, Qt, fontconfig, tempfile) reads the test's private HOME, XDG folders and
TMPDIR from its very start, as on a real laptop:

    python tests/canary_session.py CANARIES.json RESULT.json

Through the services it creates a profile, a person and their case, edits, a note, an
attachment and searches; then it starts the real desktop (offscreen), unlocks, registers a
second person, types and saves a note, adds and previews a picture, and locks. Python's logging
(DEBUG) and Qt's messages go to a log file in the private folders. It writes control markers
where the scan must look (tempfile, Qt's cache and config locations) and reports where Qt
would keep its files, so the test can prove the scan covered them. Not a test module
(pytest collects ``test_*.py`` only)."""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

PASSPHRASE = "river lamp seven orchard"


def png_with_text(text: str) -> bytes:
    """A small red picture carrying ``text`` in a tEXt chunk (what a camera's metadata is)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + b"\xff\0\0" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\0" + text.encode("latin-1", "replace"))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def services_session(c: dict[str, str]) -> dict[str, Any]:
    from caseapp.crypto import kdf
    from caseapp.services import profiles
    from caseapp.services.cases import CaseService

    profiles.create_profile("field", PASSPHRASE, params=kdf.FLOOR)
    first, last = c["latin name"].split()
    with profiles.unlock("field", PASSPHRASE) as session:
        service = CaseService(session)
        case_id = service.create({
            "prs_FirstName": first, "prs_SecondName": last, "hfz_NameUrdu": c["urdu name"],
            "prs_IdentityNumber": c["cnic"], "prs_Gender": "Masculine",
            "prs_Birthdate": "1988-07-09",
            "hte_Events": [{"hte_Type": "Exploitation", "hte_City": "Kasur",
                            "hte_Description": c["testimony"]}]}).id
        assert case_id is not None
        service.update(case_id, {"hfz_Summary": c["testimony"]})
        service.add_note(case_id, f"{c['testimony']} ({c['latin name']})")
        service.add_attachment(case_id, "statement.png", png_with_text(c["attachment"]),
                               "image/png")
        found = [hit.id for hit in service.search(first)]
        shown = service.show(case_id)
        return {"services_found": case_id in found,
                "services_shown": shown.get("hfz_NameUrdu") == c["urdu name"]}


class Bot:
    """What the desktop driver asks of pytest-qt's qtbot, without pytest."""

    def keyClicks(self, widget: Any, text: str) -> None:  # noqa: N802 (qtbot's name)
        from PySide6.QtTest import QTest
        QTest.keyClicks(widget, text)

    def keyClick(self, widget: Any, key: Any, modifiers: Any = None) -> None:  # noqa: N802
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        QTest.keyClick(widget, key, modifiers or Qt.KeyboardModifier.NoModifier)

    def waitUntil(self, until: Callable[[], Any], timeout: int = 5000) -> None:  # noqa: N802
        from PySide6.QtWidgets import QApplication
        deadline = time.monotonic() + timeout / 1000
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError("the desktop did not get there in time")
            QApplication.processEvents()
            time.sleep(0.01)

    def wait(self, ms: int) -> None:
        from PySide6.QtWidgets import QApplication
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.01)


def desktop_session(c: dict[str, str], scratch: Path) -> dict[str, Any]:
    from desktop_driver import press, running, settle, type_text, unlock
    from PySide6.QtCore import QStandardPaths, Qt, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication
    from test_desktop_case import register

    qt_log = logging.getLogger("qt")
    qInstallMessageHandler(lambda _kind, _context, message: qt_log.warning(message))
    app = QApplication.instance() or QApplication(["hifazat"])
    bot = Bot()
    first, last = c["desktop name"].split()
    with running() as desktop:
        workbench = unlock(bot, desktop, PASSPHRASE)  # type: ignore[arg-type]
        workspace = register(bot, desktop, workbench, first, last,  # type: ignore[arg-type]
                             c["desktop urdu"], cnic=c["desktop cnic"])
        workspace.tabs.setCurrentWidget(workspace.notes)
        type_text(workspace.notes.editor, c["desktop note"])
        workspace.notes.add_button.click()
        settle(bot, desktop, lambda: workspace.notes.notes.count() == 1)  # type: ignore[arg-type]
        picture = scratch / "scan.png"  # handed in by the user, then deleted by them
        picture.write_bytes(png_with_text(c["desktop attachment"]))
        workspace.attachments.add_file(picture)
        settle(bot, desktop,  # type: ignore[arg-type]
               lambda: workspace.attachments.files.count() == 1)
        picture.unlink()
        workspace.attachments.files.setCurrentRow(0)
        settle(bot, desktop,  # type: ignore[arg-type]
               lambda: not workspace.attachments.preview.pixmap().isNull())
        settle(bot, desktop,  # type: ignore[arg-type]
               lambda: workbench.cases.model.total == 2)
        cases_shown = workbench.cases.model.total
        # the global search, typed as a user types it: the search text is never logged
        for query in (c["desktop cnic"], c["desktop urdu"]):
            workbench.search.clear()
            type_text(workbench.search, query)
            settle(bot, desktop,  # type: ignore[arg-type]
                   lambda: workbench.search.results.count() == 1)
        press(bot, desktop.window, Qt.Key.Key_L,  # type: ignore[arg-type]
              Qt.KeyboardModifier.ControlModifier)
        settle(bot, desktop, lambda: desktop.core.locked)  # type: ignore[arg-type]
        bot.wait(100)
    locations = {name: QStandardPaths.writableLocation(getattr(
        QStandardPaths.StandardLocation, name)) for name in (
        "CacheLocation", "GenericCacheLocation", "ConfigLocation", "GenericConfigLocation",
        "AppDataLocation", "AppLocalDataLocation", "GenericDataLocation", "TempLocation",
        "RuntimeLocation", "HomeLocation")}
    # Control markers where Qt keeps its files: the scan must find these.
    for name in ("CacheLocation", "ConfigLocation"):
        folder = Path(locations[name])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "control.txt").write_text(c["control"], encoding="utf-8")
    del app
    return {"qt_locations": locations, "desktop_cases": cases_shown,
            "locked": True}


def main() -> None:
    canaries = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    logs = Path(os.environ["HOME"]) / "logs"
    logs.mkdir(exist_ok=True)
    logging.basicConfig(filename=logs / "session.log", level=logging.DEBUG)
    logging.getLogger("canary-session").info("session starts")
    result: dict[str, Any] = {"tempdir": tempfile.gettempdir()}
    with tempfile.NamedTemporaryFile("w", prefix="control-", delete=False,
                                     encoding="utf-8") as control:
        control.write(canaries["control"])
    result["control_file"] = control.name
    result.update(services_session(canaries))
    result.update(desktop_session(canaries, Path(tempfile.mkdtemp(prefix="user-"))))
    logging.getLogger("canary-session").info("session ends")
    Path(sys.argv[2]).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
