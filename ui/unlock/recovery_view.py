"""Unlock with the recovery code and set a new passphrase, which replaces the forgotten one."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QProgressBar, QPushButton, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError, WrongPassphrase
from caseapp.i18n import _
from caseapp.services import forms, profiles
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.label import Label
from ui.widgets.line_edit import LineEdit
from ui.widgets.passphrase import PassphraseField


class RecoveryView(QWidget):
    finished = Signal()
    cancelled = Signal()

    def __init__(self, bridge: Bridge, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.profile = profile
        box = QVBoxLayout(self)
        heading = Label(_("Open the profile with its recovery code"), self)
        heading.setStyleSheet("font-size: 16pt;")
        box.addWidget(heading)
        self.form = Form(self)
        self.code = self.form.add("code", _("&Recovery code"), LineEdit(self))
        self.code.setPlaceholderText("12345-67890-…")
        self.new_passphrase = self.form.add("passphrase", _("&New passphrase"),
                                            PassphraseField(self))
        self.repeat = self.form.add("repeat", _("R&epeat the new passphrase"),
                                    PassphraseField(self))
        for field in (self.new_passphrase, self.repeat):
            field.textChanged.connect(lambda _t: self.form.show_problems(self._problems()))
        box.addWidget(self.form)
        self.problem = ErrorLabel(self)
        box.addWidget(self.problem)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        box.addWidget(self.progress)
        self.go = QPushButton(_("&Open and set the new passphrase"), self)
        self.go.setDefault(True)
        self.go.clicked.connect(self.submit)
        box.addWidget(self.go)
        back = QPushButton(_("&Back"), self)
        back.clicked.connect(self.cancelled)
        box.addWidget(back)
        box.addStretch(1)
        self.code.setFocus()

    def _problems(self, final: bool = False) -> dict[str, str]:
        found: dict[str, str] = {}
        new, repeat = self.new_passphrase.text(), self.repeat.text()
        weak = forms.passphrase_problem(new)
        if (new or final) and weak:
            found["passphrase"] = weak
        if (repeat or final) and repeat != new:
            found["repeat"] = _("The two passphrases differ.")
        if final and not self.code.text().strip():
            found["code"] = _("Type the recovery code.")
        return found

    def submit(self) -> None:
        found = self._problems(final=True)
        self.form.show_problems(found)
        if found:
            return
        code, new = self.code.text(), self.new_passphrase.text()
        app = self.bridge.app

        def work() -> None:
            app.unlock(self.profile, code)
            app.run(lambda s: profiles.replace_passphrase(s.session, new))
        self.progress.show()
        self.go.setEnabled(False)
        self.bridge.background(work, lambda _v: self._done(), self._failed)

    def _done(self) -> None:
        for field in (self.code, self.new_passphrase, self.repeat):
            field.clear()
        self.finished.emit()

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.go.setEnabled(True)
        if isinstance(exc, WrongPassphrase):
            self.form.show_problems({"code": _("This recovery code does not open the profile.")})
        else:
            self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                      else _("The profile could not be opened."))
