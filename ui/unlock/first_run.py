"""First run: "start a standalone office" creates the profile, its organisation and the first
user (its administrator), then shows the recovery code once and asks for two of its groups
back, so nobody goes on without having written it down."""

from __future__ import annotations

import secrets

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError
from caseapp.i18n import _
from caseapp.services import forms, profiles
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.label import Label
from ui.widgets.line_edit import LineEdit
from ui.widgets.passphrase import PassphraseField

GROUPS = 8  # a recovery code is 40 digits in 8 groups of 5


class FirstRunView(QWidget):
    finished = Signal()  # the profile exists, is unlocked, and its code was confirmed
    cancelled = Signal()

    def __init__(self, bridge: Bridge, can_cancel: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.code = ""
        self._passphrase = ""
        self._name = ""
        self.pages = QStackedWidget(self)
        QVBoxLayout(self).addWidget(self.pages)
        self.pages.addWidget(self._details_page(can_cancel))
        self.pages.addWidget(self._code_page())

    # -- page 1: the office and the passphrase --------------------------------------------
    def _details_page(self, can_cancel: bool) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        heading = Label(_("Start a standalone office"), page)
        heading.setStyleSheet("font-size: 16pt;")
        box.addWidget(heading)
        intro = Label(_("This laptop keeps the office's case files, encrypted. You will be "
                         "its administrator."), page)
        intro.setWordWrap(True)
        box.addWidget(intro)
        self.form = Form(page)
        self.profile_name = self.form.add("profile", _("&Profile name"), LineEdit(page))
        self.profile_name.setText("office")
        self.user_name = self.form.add("user", _("&Your name"), LineEdit(page))
        self.new_passphrase = self.form.add("passphrase", _("P&assphrase"),
                                            PassphraseField(page))
        self.repeat = self.form.add("repeat", _("&Repeat the passphrase"), PassphraseField(page))
        for field in (self.profile_name, self.user_name, self.new_passphrase, self.repeat):
            field.textChanged.connect(self._check)
        box.addWidget(self.form)
        self.problem = ErrorLabel(page)
        box.addWidget(self.problem)
        self.progress = QProgressBar(page)
        self.progress.setRange(0, 0)
        self.progress.hide()
        box.addWidget(self.progress)
        self.create_button = QPushButton(_("&Create the office"), page)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_office)
        box.addWidget(self.create_button)
        if can_cancel:
            back = QPushButton(_("&Back"), page)
            back.clicked.connect(self.cancelled)
            box.addWidget(back)
        box.addStretch(1)
        return page

    def _problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if not self.profile_name.text().strip():
            found["profile"] = _("Give the profile a name.")
        if not self.user_name.text().strip():
            found["user"] = _("Type your name.")
        weak = forms.passphrase_problem(self.new_passphrase.text())
        if self.new_passphrase.text() and weak:
            found["passphrase"] = weak
        if self.repeat.text() and self.repeat.text() != self.new_passphrase.text():
            found["repeat"] = _("The two passphrases differ.")
        return found

    def _check(self) -> None:
        self.form.show_problems(self._problems())

    def create_office(self) -> None:
        found = self._problems()
        if not self.new_passphrase.text():
            found.setdefault("passphrase", _("Choose a passphrase."))
        if self.repeat.text() != self.new_passphrase.text():
            found.setdefault("repeat", _("The two passphrases differ."))
        self.form.show_problems(found)
        if found:
            return
        self._name = self.profile_name.text().strip()
        self._passphrase = self.new_passphrase.text()
        user = self.user_name.text().strip()
        self.progress.show()
        self.create_button.setEnabled(False)
        self.bridge.background(
            lambda: profiles.create_profile(self._name, self._passphrase, user_name=user),
            self._created, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.create_button.setEnabled(True)
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("The profile could not be created."))

    def _created(self, created: profiles.CreatedProfile) -> None:
        self.progress.hide()
        self.code = created.recovery_code
        self.code_label.setText(self.code)
        self.asked = sorted(secrets.SystemRandom().sample(range(GROUPS), 2))
        for title, index in zip(self.group_titles, self.asked, strict=True):
            title.setText(_("Group %(n)s of the code", n=index + 1))
        self.pages.setCurrentIndex(1)
        self.group_fields[0].setFocus()
        self.new_passphrase.clear()
        self.repeat.clear()

    # -- page 2: the recovery code, shown once ------------------------------------------
    def _code_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        heading = Label(_("Your recovery code"), page)
        heading.setStyleSheet("font-size: 16pt;")
        box.addWidget(heading)
        warning = Label(_("Write this code on paper now and keep it locked away. It opens the "
                           "profile if the passphrase is forgotten, and it is shown only this "
                           "once."), page)
        warning.setWordWrap(True)
        box.addWidget(warning)
        self.code_label = Label(page)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        mono = QFont("monospace")
        mono.setPointSize(14)
        self.code_label.setFont(mono)
        self.code_label.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.code_label.setAccessibleName(_("Recovery code"))
        box.addWidget(self.code_label)
        ask = Label(_("To show that you have written it down, type two of its groups."), page)
        ask.setWordWrap(True)
        box.addWidget(ask)
        self.form_code = Form(page)
        self.group_fields = [LineEdit(page), LineEdit(page)]
        for i, field in enumerate(self.group_fields):
            field.setMaxLength(5)
            self.form_code.add(f"group{i}", _("Group"), field)
            field.textChanged.connect(self._check_groups)
        self.group_titles = [self.form_code.title_of(f"group{i}") for i in range(2)]
        box.addWidget(self.form_code)
        self.continue_button = QPushButton(_("&Continue"), page)
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self._confirm)
        box.addWidget(self.continue_button)
        box.addStretch(1)
        return page

    def _groups_match(self) -> list[bool]:
        groups = self.code.split("-")
        return [field.text().strip() == groups[index]
                for field, index in zip(self.group_fields, self.asked, strict=True)]

    def _check_groups(self) -> None:
        matches = self._groups_match()
        self.continue_button.setEnabled(all(matches))
        self.form_code.show_problems({
            f"group{i}": _("This is not that group of the code.")
            for i, (field, ok) in enumerate(zip(self.group_fields, matches, strict=True))
            if len(field.text().strip()) == 5 and not ok})

    def _confirm(self) -> None:
        if not all(self._groups_match()):
            return
        self.continue_button.setEnabled(False)
        passphrase, self._passphrase = self._passphrase, ""
        self.bridge.background(lambda: self.bridge.app.unlock(self._name, passphrase),
                               self._opened, self._failed_open)

    def _opened(self, _value: object) -> None:
        self.code = ""
        self.code_label.clear()
        self.finished.emit()

    def _failed_open(self, exc: BaseException) -> None:
        self.continue_button.setEnabled(True)
        self.form_code.show_problems({"group0": exc.user_message()
                                      if isinstance(exc, CaseAppError)
                                      else _("The profile could not be opened.")})
