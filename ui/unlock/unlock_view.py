"""The unlock screen: which profile, the passphrase (focused; Enter unlocks), a Caps Lock
warning, the language, and the way to the recovery code. The key derivation runs off the GUI
thread, and after a wrong passphrase the back-off wait is counted down."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError, FirstPassphraseRequired, UnlockBackoff, WrongPassphrase
from caseapp.i18n import LANGUAGES, _, current_language, ngettext
from ui.bridge import Bridge
from ui.widgets.label import Label
from ui.widgets.passphrase import PassphraseField


def _unlock_wait(name: str) -> int:
    from caseapp.services import profiles  # on a worker thread, after the window is up

    return profiles.unlock_wait(name)


class LanguagePicker(QComboBox):
    """English, اردو, پښتو, دری — each in its own script; switching applies at once."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for code, name in LANGUAGES.items():
            self.addItem(name, code)
        self.setCurrentIndex(list(LANGUAGES).index(current_language()))
        self.currentIndexChanged.connect(lambda i: self.picked.emit(self.itemData(i)))


class UnlockView(QWidget):
    unlocked = Signal()
    unlocking = Signal()  # the key derivation has started (on a worker thread)
    wants_recovery = Signal(str)  # profile
    wants_new_office = Signal()
    wants_own_passphrase = Signal(str)  # profile: its first passphrase must be replaced
    language_picked = Signal(str)

    def __init__(self, bridge: Bridge, profile_names: list[str],
                 wait_for: Callable[[str], int] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._wait_for = wait_for or _unlock_wait
        self._remaining = 0
        self._wrong_first = False
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)

        self.language = LanguagePicker(self)
        self.language.picked.connect(self.language_picked)
        self.title = Label(self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 20pt;")
        self.profile_label = Label(self)
        self.profile = QComboBox(self)
        self.profile.addItems(profile_names)
        self.profile_label.setBuddy(self.profile)
        self.passphrase_label = Label(self)
        self.passphrase = PassphraseField(self)
        self.passphrase_label.setBuddy(self.passphrase)
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.caps = Label(self)
        self.caps.setStyleSheet("color: #8a5a00;")
        self.caps.hide()
        self.passphrase.caps_lock.connect(self.caps.setVisible)
        self.message = Label(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.setAccessibleName("message")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the key derivation reports no steps
        self.progress.hide()
        self.upgrade_note = Label(self)
        self.upgrade_note.setWordWrap(True)
        self.upgrade_note.hide()
        self.unlock_button = QPushButton(self)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.recovery_button = QPushButton(self)
        self.recovery_button.setFlat(True)
        self.recovery_button.clicked.connect(
            lambda: self.wants_recovery.emit(self.profile.currentText()))
        self.new_office_button = QPushButton(self)
        self.new_office_button.setFlat(True)
        self.new_office_button.clicked.connect(self.wants_new_office)

        box = QVBoxLayout()
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.language)
        box.addLayout(top)
        box.addStretch(1)
        box.addWidget(self.title)
        for widget in (self.profile_label, self.profile, self.passphrase_label,
                       self.passphrase, self.caps, self.message, self.progress,
                       self.upgrade_note, self.unlock_button, self.recovery_button,
                       self.new_office_button):
            box.addWidget(widget)
        box.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(box, 2)
        outer.addStretch(1)
        self.retranslate()
        self.passphrase.setFocus()
        # After the first paint: asking loads the vault code, which the window need not wait for.
        QTimer.singleShot(250, self._refresh_wait)

    def retranslate(self) -> None:
        self.title.setText(_("Hifazat"))
        self.profile_label.setText(_("&Profile"))
        self.profile.setAccessibleName(_("Profile"))
        self.passphrase_label.setText(_("P&assphrase"))
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.caps.setText(_("Caps Lock is on."))
        self.unlock_button.setText(_("&Unlock"))
        self.recovery_button.setText(_("Forgot the passphrase? Use the &recovery code"))
        self.new_office_button.setText(_("Start a &new standalone office"))
        self.language.setAccessibleName(_("Language"))
        if self._remaining:
            self._show_wait()

    # -- unlocking --------------------------------------------------------------------
    def try_unlock(self) -> None:
        secret = self.passphrase.text()
        name = self.profile.currentText()
        if not name or self._remaining or self.progress.isVisible():
            return
        if not secret:
            self.message.setText(_("Type the passphrase of this profile."))
            return
        self._busy(True)
        self.message.clear()
        upgrading = self.bridge.relay(self._upgrading)
        self.bridge.background(lambda: self.bridge.app.unlock(name, secret, upgrading),
                               self._done, self._failed)
        self.unlocking.emit()

    def _upgrading(self, share: float) -> None:
        """A vault written by an earlier version is being upgraded: at a national caseload
        that takes minutes, so the bar counts and the note says why the wait."""
        from caseapp.i18n import formatting  # Babel: not on the way to the unlock window

        self.progress.setRange(0, 100)
        self.progress.setValue(round(share * 100))
        self.upgrade_note.setText(_(
            "Upgrading this profile's case file for the new version of Hifazat: %(done)s "
            "done. Keep Hifazat open; it opens the profile when the upgrade is finished.",
            done=formatting.percent(share)))
        self.upgrade_note.show()

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        if not busy:
            self.progress.setRange(0, 0)
            self.upgrade_note.hide()
        for widget in (self.passphrase, self.profile, self.unlock_button):
            widget.setEnabled(not busy)

    def _done(self, _value: object) -> None:
        self._busy(False)
        self.passphrase.clear()
        self.unlocked.emit()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.passphrase.clear()
        self.passphrase.setFocus()
        if isinstance(exc, UnlockBackoff):
            self._refresh_wait()
            return
        if isinstance(exc, WrongPassphrase):
            self.message.setText(_("The passphrase is wrong."))
            self._refresh_wait(keep_message=True)
            return
        if isinstance(exc, FirstPassphraseRequired):
            self.wants_own_passphrase.emit(self.profile.currentText())
            return
        self.message.setText(exc.user_message() if isinstance(exc, CaseAppError)
                             else _("The profile could not be opened."))

    # -- the back-off countdown ---------------------------------------------------------
    def _refresh_wait(self, keep_message: bool = False) -> None:
        """Ask (off this thread: it reads the profile's files) how long to wait."""
        name = self.profile.currentText()
        if not name:
            return
        wait_for = self._wait_for
        self.bridge.background(lambda: wait_for(name),
                               lambda seconds: self._start_wait(int(seconds), keep_message),
                               lambda exc: None)

    def _start_wait(self, seconds: int, keep_message: bool) -> None:
        self._remaining = seconds
        self._wrong_first = keep_message
        if self._remaining:
            self._show_wait()
            self.unlock_button.setEnabled(False)
            self._countdown.start()

    def _show_wait(self) -> None:
        if self._wrong_first:
            text = ngettext("The passphrase is wrong. Wait %(n)s second before the next try.",
                            "The passphrase is wrong. Wait %(n)s seconds before the next try.",
                            self._remaining)
        else:
            text = ngettext("Wait %(n)s second before the next try.",
                            "Wait %(n)s seconds before the next try.", self._remaining)
        self.message.setText(text)

    def _tick(self) -> None:
        self._remaining = max(0, self._remaining - 1)
        if self._remaining:
            self._show_wait()
        else:
            self._countdown.stop()
            self.message.clear()
            self.unlock_button.setEnabled(True)
