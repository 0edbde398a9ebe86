"""Consent per purpose: what is in force now, and recording or withdrawing a decision. For a
child (or a person presumed one) the form asks for the child's assent and for a guardian or a
best-interests decision, as the service requires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError, FieldErrors
from caseapp.i18n import _
from caseapp.services import forms
from caseapp.services.app import Services
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.label import Label
from ui.widgets.line_edit import LineEdit

# ISO 639-2/3 codes of the languages consent is explained in
SHEET_LANGUAGES = (("ur", "اردو"), ("ps", "پښتو"), ("fa_AF", "دری"), ("en", "English"))
LANGUAGES = (("urd", "اردو"), ("eng", "English"), ("pus", "پښتو"), ("prs", "دری"),
             ("pnb", "پنجابی"), ("snd", "سنڌي"), ("bal", "بلوچی"))

# The rows a child's consent needs (caseapp.domain.consent.validate)
CHILD_FIELDS = ("assent", "guardian_name", "guardian_relationship", "best_interests_by",
                "best_interests_reason")


class ConsentTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.state = QTableWidget(0, 2, self)
        self.state.setAccessibleName(_("Consent in force"))
        self.state.setHorizontalHeaderLabels([_("Purpose"), _("Now")])
        self.state.horizontalHeader().setStretchLastSection(True)
        self.state.verticalHeader().hide()
        self.form = Form(self)
        self.purpose = self.form.add("purpose", _("&Purpose"), QComboBox(self))
        for purpose in forms.PURPOSES:
            self.purpose.addItem(forms.purpose_label(purpose), purpose)
        decision = QWidget(self)
        row = QHBoxLayout(decision)
        row.setContentsMargins(0, 0, 0, 0)
        self.granted = QRadioButton(_("&Given"), decision)
        self.refused = QRadioButton(_("Re&fused"), decision)
        self.granted.setChecked(True)
        row.addWidget(self.granted)
        row.addWidget(self.refused)
        self.form.add("granted", _("Decision"), decision)
        self.language = self.form.add("language", _("&Explained in"), QComboBox(self))
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.version = self.form.add("explanation_version", _("Explanation &version"),
                                     LineEdit("v1", self))
        self.interpreter = self.form.add("interpreter", _("&Interpreter (if any)"),
                                         LineEdit(self))
        self.providers = self.form.add("providers", _("Referral to (organisation ids, commas)"),
                                       LineEdit(self))
        self.assent = self.form.add("assent", _("The child assents"), QCheckBox(self))
        self.guardian = self.form.add("guardian_name", _("&Guardian's name"), LineEdit(self))
        self.relationship = self.form.add("guardian_relationship", _("Guardian's &relationship"),
                                          LineEdit(self))
        self.best_interests_by = self.form.add("best_interests_by",
                                               _("Best-interests decision &by"), LineEdit(self))
        self.best_interests_reason = self.form.add("best_interests_reason",
                                                   _("Best-interests &reason"), LineEdit(self))
        # Shown only for a child (or a person presumed one): for an adult, assent is refused.
        self.child_note = Label(_("This person counts as a child, or is presumed to be one: "
                                  "a consent needs the child's own assent and either a "
                                  "guardian's consent or a best-interests decision."), self)
        self.child_note.setWordWrap(True)
        self.child = False
        self._show_child_rows(False)
        self.problem = ErrorLabel(self)
        self.record_button = QPushButton(_("&Record the decision"), self)
        self.record_button.clicked.connect(self.record)
        self.withdraw_button = QPushButton(_("&Withdraw consent for this purpose"), self)
        self.withdraw_button.clicked.connect(self.withdraw)
        # The sheet a person is given before consenting: no personal data, so a plain PDF.
        self.sheet_language = QComboBox(self)
        self.sheet_language.setAccessibleName(_("Language of the rights sheet"))
        for code, name in SHEET_LANGUAGES:
            self.sheet_language.addItem(name, code)
        self.sheet_button = QPushButton(_("Save the rights &sheet…"), self)
        self.sheet_button.clicked.connect(self.save_rights_sheet)
        self.sheet_saved = Label(self)
        # The form scrolls: in Urdu its eleven rows of Nastaliq (tall lines) would make the
        # case window taller than a 768-pixel laptop screen.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setAccessibleName(_("Record a consent decision"))
        scroll.setWidget(self.form)
        box = QVBoxLayout(self)
        box.addWidget(self.state, 1)
        box.addWidget(self.child_note)
        box.addWidget(scroll, 2)
        box.addWidget(self.problem)
        # Two rows: on one, in Nastaliq, the four would hold the case window wider than a
        # narrow screen (584 px at least).
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        sheet = QHBoxLayout()
        sheet.addWidget(self.sheet_language)
        sheet.addWidget(self.sheet_button)
        sheet.addStretch(1)
        box.addLayout(sheet)
        box.addWidget(self.sheet_saved)

    def refresh(self) -> None:
        self.bridge.call(lambda s: (s.consent.current(self.case_id),
                                    s.consent.is_child(self.case_id)),
                         lambda found: self._show(*found), lambda e: None)

    def _show_child_rows(self, child: bool) -> None:
        self.child = child
        self.child_note.setVisible(child)
        for field in CHILD_FIELDS:
            self.form.set_row_visible(field, child)

    def _show(self, state: dict[str, dict[str, Any]], child: bool) -> None:
        self._show_child_rows(child)
        self.state.setRowCount(len(state))
        for row, (purpose, now) in enumerate(state.items()):
            self.state.setItem(row, 0, QTableWidgetItem(forms.purpose_label(purpose)))
            text = _("permitted") if now["permitted"] else {
                "refused": _("refused"), "withdrawn": _("withdrawn"),
            }.get(str(now["reason"]), _("not asked"))
            if now.get("providers"):
                text += " — " + ", ".join(now["providers"])
            self.state.setItem(row, 1, QTableWidgetItem(text))

    def save_rights_sheet(self, path: Path | None = None) -> None:
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(self, _("Save the rights sheet"), "",
                                                          "PDF (*.pdf)")
            if not chosen:
                return
            path = Path(chosen)
        lang = str(self.sheet_language.currentData())
        purpose = _("Rights sheet handed to the person before consent")

        def work(s: Services) -> object:
            from caseapp.services import documents

            return documents.export_rights_sheet(s.session, lang, path, purpose, force=True)
        self.bridge.call(work, lambda _e: self.sheet_saved.setText(
            _("The rights sheet is saved: %(path)s", path=str(path))), self._failed)

    def _text(self, line: QLineEdit) -> str | None:
        return line.text().strip() or None

    def record(self) -> None:
        purpose = self.purpose.currentData()
        providers = [p.strip() for p in self.providers.text().split(",") if p.strip()]
        kwargs: dict[str, Any] = {
            "language": self.language.currentData(),
            "explanation_version": self.version.text().strip(),
            "interpreter": self._text(self.interpreter), "providers": providers,
            "assent": True if self.child and self.assent.isChecked() else None}
        if self.child:
            kwargs.update({
                "guardian_name": self._text(self.guardian),
                "guardian_relationship": self._text(self.relationship),
                "best_interests_by": self._text(self.best_interests_by),
                "best_interests_reason": self._text(self.best_interests_reason)})
        granted = self.granted.isChecked()
        self.record_button.setEnabled(False)
        self.bridge.call(lambda s: s.consent.record(self.case_id, purpose, granted, **kwargs),
                         self._recorded, self._failed)

    def withdraw(self) -> None:
        purpose = self.purpose.currentData()
        self.bridge.call(lambda s: s.consent.withdraw(self.case_id, purpose=purpose),
                         self._recorded, self._failed)

    def _recorded(self, _changes: object) -> None:
        self.record_button.setEnabled(True)
        self.form.show_problems({})
        self.problem.show_problem(None)
        for line in (self.interpreter, self.providers, self.guardian, self.relationship,
                     self.best_interests_by, self.best_interests_reason):
            line.clear()
        self.assent.setChecked(False)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.record_button.setEnabled(True)
        if isinstance(exc, FieldErrors):
            problems = {name: _(problem, **params) for name, problem, params in exc.problems}
            self.form.show_problems(problems)
            if set(problems) <= set(self.form.errors):  # each is shown next to its field
                self.problem.show_problem(_("Not saved: correct the fields marked above."))
                return
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("Not saved."))
