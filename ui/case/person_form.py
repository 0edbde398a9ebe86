"""The person's details — names in Latin and Urdu script, aliases, birth date or estimated
age, gender, citizenship and an identity document — checked as they are typed with the rules
the save applies, each problem shown under its field in the user's language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from caseapp.i18n import _
from caseapp.services import forms
from ui.language import urdu_edit_font
from ui.widgets.clipboard import copy_sensitive
from ui.widgets.form import Form
from ui.widgets.line_edit import LineEdit
from ui.widgets.spin_box import SpinBox

TEXT_FIELDS = ("prs_FirstName", "prs_SecondName", "hfz_NameUrdu", "hfz_FatherName",
               "prs_Birthdate")
DOCUMENT_TYPES = ("CNIC", "NICOP", "BForm", "PoR", "ACC", "Tazkira", "Passport", "Other")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("،", ",").split(",") if part.strip()]


class PersonForm(Form):
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[str, QLineEdit] = {}
        labels = {"prs_FirstName": _("&First name (Latin letters)"),
                  "prs_SecondName": _("&Second name (Latin letters)"),
                  "hfz_NameUrdu": _("Full name in &Urdu script"),
                  "hfz_FatherName": _("&Father's name"),
                  "prs_Birthdate": _("&Birth date (YYYY-MM-DD)")}
        for field in TEXT_FIELDS[:4]:
            self.inputs[field] = self.add(field, labels[field], LineEdit(self))
        self.inputs["hfz_NameUrdu"].setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.inputs["hfz_NameUrdu"].setFont(urdu_edit_font())
        self.aliases = self.add("hfz_Aliases", _("&Aliases (separated by commas)"),
                                LineEdit(self))
        self.inputs["prs_Birthdate"] = self.add("prs_Birthdate", labels["prs_Birthdate"],
                                                LineEdit(self))
        self.age = self.add("hfz_EstimatedAge", _("&Estimated age, if no birth date"),
                            SpinBox(self))
        self.age.setRange(0, 120)
        self.age.setSpecialValueText(_("unknown"))
        self.gender = self.add("prs_Gender", _("&Gender"), QComboBox(self))
        self.gender.addItem(_("Not recorded"), None)
        for code, label in forms.choices("prs_Gender"):
            self.gender.addItem(label, code)
        self.citizenship = self.add("prs_Citizenship",
                                    _("&Citizenship (country codes such as PK, AF)"),
                                    LineEdit(self))
        self.doc_type = self.add("doc_type", _("Identity &document"), QComboBox(self))
        self.doc_type.addItem(_("None"), None)
        for code in DOCUMENT_TYPES:
            self.doc_type.addItem(code, code)
        number_row = QWidget(self)
        row = QHBoxLayout(number_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.doc_number = LineEdit(number_row)
        self.doc_number.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.copy_number = QPushButton(_("Cop&y"), number_row)
        self.copy_number.setToolTip(_("Copies the number; it leaves the clipboard after "
                                      "30 seconds."))
        self.copy_number.clicked.connect(lambda: copy_sensitive(self.doc_number.text().strip()))
        row.addWidget(self.doc_number, 1)
        row.addWidget(self.copy_number)
        self.add("hfz_IdentityDocuments", _("Document &number"), number_row)
        self.doc_number.setAccessibleName(_("Document number"))
        self.title_of("hfz_IdentityDocuments").setBuddy(self.doc_number)
        self._loaded: dict[str, Any] = {}
        self._loading = False
        for line in (*self.inputs.values(), self.aliases, self.citizenship, self.doc_number):
            line.textChanged.connect(self._changed)
        self.age.valueChanged.connect(self._changed)
        self.gender.currentIndexChanged.connect(self._changed)
        self.doc_type.currentIndexChanged.connect(self._changed)

    # -- values ---------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The form as a document keyed like ``CaseService.create`` takes it."""
        doc: dict[str, Any] = {}
        for field, line in self.inputs.items():
            if line.text().strip():
                doc[field] = line.text().strip()
        if _split(self.aliases.text()):
            doc["hfz_Aliases"] = _split(self.aliases.text())
        if self.age.value():
            doc["hfz_EstimatedAge"] = self.age.value()
        if self.gender.currentData():
            doc["prs_Gender"] = self.gender.currentData()
        if _split(self.citizenship.text()):
            doc["prs_Citizenship"] = [c.upper() for c in _split(self.citizenship.text())]
        if self.doc_type.currentData() and self.doc_number.text().strip():
            doc["hfz_IdentityDocuments"] = [{"type": self.doc_type.currentData(),
                                             "number": self.doc_number.text().strip()}]
        return doc

    def load(self, doc: dict[str, Any]) -> None:
        """Show a stored person; what is loaded is the baseline for ``edits``. Loading is not
        editing: ``edited`` stays quiet."""
        self._loading = True
        try:
            self._load(doc)
        finally:
            self._loading = False

    def _load(self, doc: dict[str, Any]) -> None:
        for field, line in self.inputs.items():
            line.setText(str(doc.get(field) or ""))
        self.aliases.setText(", ".join(doc.get("hfz_Aliases") or []))
        self.age.setValue(int(doc.get("hfz_EstimatedAge") or 0))
        self.gender.setCurrentIndex(max(0, self.gender.findData(doc.get("prs_Gender"))))
        self.citizenship.setText(", ".join(doc.get("prs_Citizenship") or []))
        documents = doc.get("hfz_IdentityDocuments") or []
        if documents:
            self.doc_type.setCurrentIndex(max(0, self.doc_type.findData(documents[0]["type"])))
            self.doc_number.setText(str(documents[0]["number"]))
        self._loaded = self.values()
        self.show_problems({})

    def edits(self) -> dict[str, Any]:
        """What differs from what was loaded (a cleared field becomes None)."""
        now = self.values()
        changed = {k: v for k, v in now.items() if self._loaded.get(k) != v}
        changed.update({k: None for k in self._loaded if k not in now})
        return changed

    def check(self, *, partial: bool = False) -> dict[str, str]:
        document = self.edits() if partial else self.values()
        found = forms.problems(document, partial=partial)
        if self.doc_type.currentData() and not self.doc_number.text().strip():
            found["hfz_IdentityDocuments"] = _("Type the document's number.")
        if partial and any(k in self._loaded for k in ("prs_FirstName", "hfz_NameUrdu")) and \
                not any(self.values().get(k) for k in ("prs_FirstName", "prs_SecondName",
                                                       "hfz_NameUrdu")):
            found["prs_FirstName"] = _("A person needs a name in Latin or Urdu script.")
        self.show_problems(found)
        return found

    def _changed(self) -> None:
        if self._loading:
            return
        self.check(partial=bool(self._loaded))
        self.edited.emit()
