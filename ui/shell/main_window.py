"""The main window. Locked, it shows the unlock screen (or the first run) under a neutral
title; unlocked, the workbench. Ctrl+L locks at once, Ctrl+Shift+L locks and minimises, and
idle time locks too: before the keys go, every open form's unsaved text is stored in the vault
as a draft, and the workbench with every case in it is destroyed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from caseapp.i18n import _, ngettext
from caseapp.services import machine_settings
from caseapp.services.profile_paths import list_profiles
from ui.bridge import Bridge
from ui.language import apply_language
from ui.shell.idle import DEFAULT_MINUTES, IdleWatcher
from ui.unlock.unlock_view import UnlockView
from ui.widgets.label import Label
from ui.widgets.message import ask_number, inform

if TYPE_CHECKING:
    from ui.shell.workbench import Workbench

IDLE_PREFERENCE = "auto-lock-minutes"


class MainWindow(QMainWindow):
    locked = Signal()
    unlocked = Signal()

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.workbench: Workbench | None = None
        self.lock_view: QWidget | None = None
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self.resize(1200, 760)
        self.idle = IdleWatcher(DEFAULT_MINUTES, self)
        self.idle.idle.connect(self.lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.toolbar = QToolBar(self)
        self.toolbar.setMovable(False)
        self.addToolBar(self.toolbar)
        self.status_profile = Label(self)
        self.status_sync = Label(self)
        self.statusBar().addWidget(self.status_profile)
        self.statusBar().addPermanentWidget(self.status_sync)
        self._actions()
        bridge.changed.connect(lambda _c: self._refresh_status())
        self.show_lock_screen()

    def _actions(self) -> None:
        self.new_case_action = QAction(self)
        self.new_case_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_case_action.triggered.connect(self.new_case)
        self.lock_action = QAction(self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock)
        self.hide_action = QAction(self)
        self.hide_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.hide_action.triggered.connect(self.lock_and_hide)
        self.search_action = QAction(self)
        self.search_action.setShortcut(QKeySequence("Ctrl+F"))
        self.search_action.triggered.connect(self.focus_search)
        self.idle_action = QAction(self)
        self.idle_action.triggered.connect(self.choose_idle_minutes)
        for action in (self.new_case_action, self.lock_action, self.hide_action,
                       self.idle_action):
            self.toolbar.addAction(action)
        self.addAction(self.search_action)
        # Locking works from anywhere in the application, a dialog included.
        for action in (self.lock_action, self.hide_action):
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self._retranslate_actions()

    def _retranslate_actions(self) -> None:
        self.new_case_action.setText(_("New case"))
        self.lock_action.setText(_("Lock"))
        self.hide_action.setText(_("Lock and hide"))
        self.search_action.setText(_("Search"))
        self.idle_action.setText(_("Auto-lock…"))

    # -- locked --------------------------------------------------------------------------
    def _set_unlocked_ui(self, unlocked: bool) -> None:
        for action in (self.new_case_action, self.lock_action, self.hide_action,
                       self.search_action, self.idle_action):
            action.setEnabled(unlocked)
        self.toolbar.setVisible(unlocked)

    def _show(self, view: QWidget) -> None:
        if self.lock_view is not None:
            self.stack.removeWidget(self.lock_view)
            self.lock_view.deleteLater()
        self.lock_view = view
        self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)

    def show_lock_screen(self) -> None:
        self.setWindowTitle(_("Hifazat"))
        self._set_unlocked_ui(False)
        self.status_profile.setText(_("Locked"))
        self.status_sync.clear()
        names = list_profiles()
        if not names:
            self.show_first_run(can_cancel=False)
            return
        view = UnlockView(self.bridge, names, parent=self)
        view.unlocked.connect(self.after_unlock)
        view.unlocking.connect(self._prepare_casework)
        view.wants_recovery.connect(self.show_recovery)
        view.wants_new_office.connect(lambda: self.show_first_run(can_cancel=True))
        view.wants_own_passphrase.connect(self.show_first_passphrase)
        view.language_picked.connect(self.switch_language)
        self._show(view)
        view.passphrase.setFocus()

    def show_first_run(self, can_cancel: bool) -> None:
        from ui.unlock.first_run import FirstRunView

        view = FirstRunView(self.bridge, can_cancel, self)
        view.finished.connect(self.after_unlock)
        view.cancelled.connect(self.show_lock_screen)
        self._show(view)

    def show_first_passphrase(self, profile: str) -> None:
        from ui.unlock.first_passphrase_view import FirstPassphraseView

        view = FirstPassphraseView(self.bridge, profile, self)
        view.finished.connect(self.after_unlock)
        view.cancelled.connect(self.show_lock_screen)
        self._show(view)

    def show_recovery(self, profile: str) -> None:
        from ui.unlock.recovery_view import RecoveryView

        view = RecoveryView(self.bridge, profile, self)
        view.finished.connect(self.after_unlock)
        view.cancelled.connect(self.show_lock_screen)
        self._show(view)

    def switch_language(self, lang: str) -> None:
        """Applies at once: the lock screen is built again in the new language and
        direction (keeping the chosen profile; a half-typed passphrase is cleared)."""
        profile = self.lock_view.profile.currentText() \
            if isinstance(self.lock_view, UnlockView) else None
        apply_language(lang)
        machine_settings.remember_language(lang)
        self._retranslate_actions()
        self.show_lock_screen()
        if profile and isinstance(self.lock_view, UnlockView):
            self.lock_view.profile.setCurrentText(profile)

    # -- unlocked ------------------------------------------------------------------------
    def _prepare_casework(self) -> None:
        """While the key derivation runs, load on a worker thread what building the casework
        screens after it would otherwise load on the GUI thread (about 150 ms)."""
        self.bridge.background(_load_casework, failed=lambda exc: None)

    def after_unlock(self) -> None:
        if self.lock_view is not None:
            self.stack.removeWidget(self.lock_view)
            self.lock_view.deleteLater()
            self.lock_view = None
        self.bridge.call(lambda s: (s.user_id, s.role, s.drafts.load_all(),
                                    s.drafts.preference(IDLE_PREFERENCE)),
                         self._build_workbench, lambda exc: self.show_lock_screen())

    def _build_workbench(self, found: tuple[str, str, dict[str, dict[str, Any]],
                                            str | None]) -> None:
        from ui.shell.workbench import Workbench  # the casework screens load after unlocking

        user_id, role, drafts, minutes = found
        self.workbench = Workbench(self.bridge, user_id, role, self)
        self.stack.addWidget(self.workbench)
        self.stack.setCurrentWidget(self.workbench)
        self.workbench.start()
        self.workbench.restore(drafts)
        if drafts:
            keys = list(drafts)
            self.bridge.call(lambda s: s.drafts.save_all(dict.fromkeys(keys)),
                             failed=lambda e: None)
        self.setWindowTitle(_("Hifazat — %(profile)s", profile=self.bridge.app.profile or ""))
        self._set_unlocked_ui(True)
        self.idle.set_minutes(int(minutes) if minutes else DEFAULT_MINUTES)
        self.idle.start()
        self._refresh_status()
        for notice in self.bridge.app.notices:
            inform(self, _("Hifazat"), notice.user_message())
        self.unlocked.emit()

    def _refresh_status(self) -> None:
        if self.workbench is None:
            return
        self.status_profile.setText(_("Profile %(profile)s — unlocked",
                                      profile=self.bridge.app.profile or ""))
        self.bridge.call(lambda s: s.unsynced(), lambda n: self.status_sync.setText(
            ngettext("%(n)s change not yet synced", "%(n)s changes not yet synced", n)),
            lambda e: None)

    def new_case(self) -> None:
        if self.workbench is not None:
            self.workbench.show_new_case()

    def focus_search(self) -> None:
        if self.workbench is not None:
            self.workbench.search.setFocus()
            self.workbench.search.selectAll()

    def choose_idle_minutes(self) -> None:
        minutes = ask_number(self, _("Auto-lock"),
                             _("Lock after this many minutes without use:"),
                             self.idle.minutes, 1, 120)
        if minutes is not None:
            self.idle.set_minutes(minutes)
            self.idle.start()
            self.bridge.call(lambda s: s.drafts.set_preference(IDLE_PREFERENCE, str(minutes)),
                             failed=lambda e: None)

    # -- locking --------------------------------------------------------------------------
    def lock(self) -> None:
        """Lock at once: the screen first, then (on the database thread, in this order) the
        drafts into the vault and the keys out of memory."""
        self.idle.stop()
        drafts: dict[str, Any] = {}
        if self.workbench is not None:
            drafts = self.workbench.drafts()
            self.workbench.close_down()
            self.stack.removeWidget(self.workbench)
            self.workbench.deleteLater()
            self.workbench = None
        if drafts:
            self.bridge.call(lambda s: s.drafts.save_all(drafts), failed=lambda e: None)
        self.show_lock_screen()
        self.bridge.settle(self.bridge.app.lock_soon(), lambda _v: self.locked.emit())

    def lock_and_hide(self) -> None:
        self.lock()
        self.showMinimized()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.workbench is not None:
            self.lock()
        event.accept()


def _load_casework() -> None:
    """The casework screens' modules, Babel's locale data for the counts (its first number
    reads them from disk) and the HarfBuzz Nastaliq font the list's row height is shaped in.
    No widget is made here: only the GUI thread makes widgets."""
    from caseapp.i18n import formatting, nastaliq
    from ui.shell import workbench  # noqa: F401
    from ui.widgets import nastaliq_text  # noqa: F401

    formatting.number(0)
    nastaliq.shape("\u0627", True)
