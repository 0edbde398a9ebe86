"""Starting the desktop: the Qt application, the bundled fonts and the language, the
application object on its database thread, the bridge and the main window. ``smoke`` starts
offscreen, unlocks, opens one case, saves a screenshot and ends — for CI and release checks."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from caseapp.services.app import CaseApp
from ui.bridge import Bridge
from ui.language import apply_language
from ui.shell import capture
from ui.shell.main_window import MainWindow
from ui.widgets import edit_menu, tooltip

DEMO_PASSPHRASE = "demo mango river lantern"  # noqa: S105 (the demo holds no real person)


def make_application(lang: str) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Hifazat")
    app.setOrganizationName("Hifazat")
    apply_language(lang)
    edit_menu.install(app)
    tooltip.install(app)
    capture.install(app)
    return app


class Desktop:
    """The running desktop: what tests and the launcher hold."""

    def __init__(self, lang: str = "en") -> None:
        self.qt = make_application(lang)
        self.core = CaseApp(threaded=True)
        self.bridge = Bridge(self.core)
        self.window = MainWindow(self.bridge)

    def close(self) -> None:
        self.window.close()
        self.bridge.close()
        self.core.close()


def run(lang: str = "en") -> int:
    desktop = Desktop(lang)
    desktop.window.show()
    code = desktop.qt.exec()
    desktop.close()
    return code


def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Run Qt's event loop until ``condition()`` holds (the smoke run has no test harness)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the desktop did not get there in time")
        QCoreApplication.processEvents()
        # widgets given up with deleteLater go now, as they would in the event loop
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        time.sleep(0.01)


def smoke(out: Path, lang: str, profile: str | None, passphrase: str | None) -> int:
    """Offscreen: unlock (a demo profile in a temporary folder when none is given), open the
    first case, save a screenshot of the window to ``out``."""
    import tempfile  # only here: not on the way to the unlock window

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="hifazat-smoke-") as home:
        if profile is None:
            os.environ["CASEAPP_HOME"] = home
            from caseapp.services import demo, profiles

            profiles.create_profile("demo", DEMO_PASSPHRASE, user_name="Demo Manager")
            with profiles.unlock("demo", DEMO_PASSPHRASE) as session:
                demo.fill(session, 40)
            profile, passphrase = "demo", DEMO_PASSPHRASE
        desktop = Desktop(lang)
        window = desktop.window
        window.resize(1280, 800)
        window.show()
        failures: list[BaseException] = []
        desktop.bridge.on_unexpected = failures.append
        desktop.core.unlock(profile, passphrase or "")
        window.after_unlock()
        wait_until(lambda: window.workbench is not None and
                   window.workbench.cases.model.rowCount() > 0 or bool(failures))
        workbench = window.workbench
        assert workbench is not None
        workspace = workbench.open_case(workbench.cases.model.case_id(0))
        wait_until(lambda: bool(workspace.title) and desktop.bridge.busy == 0 or bool(failures))
        if failures:
            raise failures[0]
        QTimer.singleShot(0, lambda: None)
        QCoreApplication.processEvents()
        window.grab().save(str(out))
        desktop.close()
    return 0
