"""A profile an administrator made for this user opens only once its first passphrase (which
the administrator knows) is replaced by one only the user knows."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QProgressBar, QPushButton, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError, WrongPassphrase
from caseapp.i18n import _
from caseapp.services import forms
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.label import Label
from ui.widgets.passphrase import PassphraseField


class FirstPassphraseView(QWidget):
    finished = Signal()
    cancelled = Signal()

    def __init__(self, bridge: Bridge, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.profile = profile
        box = QVBoxLayout(self)
        heading = Label(_("Choose your own passphrase"), self)
        heading.setStyleSheet("font-size: 16pt;")
        box.addWidget(heading)
        intro = Label(_("Your administrator set the first passphrase of this profile. Replace "
                         "it with one only you know before the profile opens."), self)
        intro.setWordWrap(True)
        box.addWidget(intro)
        self.form = Form(self)
        self.old = self.form.add("old", _("&Passphrase from the administrator"),
                                 PassphraseField(self))
        self.new_passphrase = self.form.add("passphrase", _("&New passphrase"),
                                            PassphraseField(self))
        self.repeat = self.form.add("repeat", _("R&epeat the new passphrase"),
                                    PassphraseField(self))
        box.addWidget(self.form)
        self.problem = ErrorLabel(self)
        box.addWidget(self.problem)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        box.addWidget(self.progress)
        self.go = QPushButton(_("&Change the passphrase and open"), self)
        self.go.setDefault(True)
        self.go.clicked.connect(self.submit)
        box.addWidget(self.go)
        back = QPushButton(_("&Back"), self)
        back.clicked.connect(self.cancelled)
        box.addWidget(back)
        box.addStretch(1)
        self.old.setFocus()

    def submit(self) -> None:
        new, repeat = self.new_passphrase.text(), self.repeat.text()
        found: dict[str, str] = {}
        weak = forms.passphrase_problem(new)
        if weak:
            found["passphrase"] = weak
        if repeat != new:
            found["repeat"] = _("The two passphrases differ.")
        if not self.old.text():
            found["old"] = _("Type the passphrase of this profile.")
        self.form.show_problems(found)
        if found:
            return
        old, app = self.old.text(), self.bridge.app

        def work() -> None:
            from caseapp.services import profiles

            profiles.change_passphrase(self.profile, old, new)
            app.unlock(self.profile, new)
        self.progress.show()
        self.go.setEnabled(False)
        self.bridge.background(work, lambda _v: self.finished.emit(), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.go.setEnabled(True)
        if isinstance(exc, WrongPassphrase):
            self.form.show_problems({"old": _("The passphrase is wrong.")})
        else:
            self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                      else _("The profile could not be opened."))
