"""Export a case summary from the desktop: to which organisation, why (the audit keeps the
purpose), and how it leaves — encrypted with a one-time passphrase to read out by phone, or
sealed to the organisation's age key from the directory. The passphrase is shown once, with a
copy that leaves the clipboard after 30 seconds; nothing is written in the clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError, FieldErrors
from caseapp.i18n import _
from caseapp.services.app import Services
from ui.bridge import Bridge
from ui.case.dialog_buttons import action_buttons, save_as_row
from ui.widgets.clipboard import copy_sensitive
from ui.widgets.form import ErrorLabel, Form


class ExportSummaryDialog(QDialog):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.setWindowTitle(_("Export the case summary"))
        self.orgs: list[dict[str, Any]] = []
        self.form = Form(self)
        self.recipient = self.form.add("recipient", _("&Recipient organisation"),
                                       QComboBox(self))
        self.recipient.currentIndexChanged.connect(self._recipient_changed)
        self.purpose = self.form.add("purpose", _("&Purpose (kept in the audit)"),
                                     QLineEdit(self))
        how = QWidget(self)
        column = QVBoxLayout(how)
        column.setContentsMargins(0, 0, 0, 0)
        self.by_passphrase = QRadioButton(_("Encrypted PDF with a one-time &passphrase"), how)
        self.by_key = QRadioButton(_("Sealed to the organisation's &key (age)"), how)
        self.by_passphrase.setChecked(True)
        column.addWidget(self.by_passphrase)
        column.addWidget(self.by_key)
        self.form.add("protection", _("How it leaves"), how)
        self.path = save_as_row(self.form, "PDF (*.pdf)")
        self.problem = ErrorLabel(self)
        self.buttons = action_buttons(self, _("&Export"), self.export)
        box = QVBoxLayout(self)
        box.addWidget(self.form)
        box.addWidget(self.problem)
        box.addWidget(self.buttons)
        self.passphrase_shown = ""  # for tests; the dialog showing it is modal and gone after
        bridge.call(lambda s: s.directory.list(), self._show_orgs, self._failed)

    def _show_orgs(self, orgs: list[dict[str, Any]]) -> None:
        self.orgs = orgs
        self.recipient.clear()
        for org in orgs:
            self.recipient.addItem(str(org.get("org_Name") or org["id"]), org["id"])

    def _recipient_changed(self) -> None:
        index = self.recipient.currentIndex()
        has_key = 0 <= index < len(self.orgs) and bool(self.orgs[index].get("hfz_AgeRecipient"))
        self.by_key.setEnabled(has_key)
        if not has_key:
            self.by_passphrase.setChecked(True)

    def export(self) -> None:
        found: dict[str, str] = {}
        if self.recipient.currentIndex() < 0:
            found["recipient"] = _("Choose the organisation that receives the summary.")
        if not self.purpose.text().strip():
            found["purpose"] = _("Say why the summary leaves: it is kept in the audit.")
        if not self.path.text().strip():
            found["path"] = _("Choose where to save the file.")
        self.form.show_problems(found)
        if found:
            return
        org = str(self.recipient.currentData())
        purpose, path = self.purpose.text().strip(), Path(self.path.text().strip())
        sealed = self.by_key.isChecked()
        recipient_key = str(self.orgs[self.recipient.currentIndex()].get("hfz_AgeRecipient")
                            or "")

        def work(s: Services) -> Any:
            from caseapp.services import documents
            from caseapp.services.protection import Protection

            protection = Protection.age(recipient_key) if sealed else Protection.passphrase()
            return documents.export_summary(s.session, self.case_id, org, path, purpose,
                                            protection)
        self.buttons.setEnabled(False)
        self.bridge.call(work, self._exported, self._failed)

    def _exported(self, exported: Any) -> None:
        self.buttons.setEnabled(True)
        if exported.passphrase:
            self.passphrase_shown = str(exported.passphrase)
            self._show_passphrase(str(exported.passphrase))
        self.accept()

    def _show_passphrase(self, passphrase: str) -> None:
        # beside the workspace, not this dialog, which closes now
        box = QMessageBox(self.parentWidget() or self)
        box.setWindowTitle(_("The one-time passphrase"))
        box.setText(_("Give this passphrase to the recipient by phone, not with the file. It "
                      "is shown only now."))
        box.setInformativeText(passphrase)
        copy = box.addButton(_("Copy"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        copy.clicked.connect(lambda: copy_sensitive(passphrase))
        box.open()  # not exec(): a lock must be able to close it
        self._passphrase_box = box

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, FieldErrors):
            self.form.show_problems({name: _(problem, **params)
                                     for name, problem, params in exc.problems})
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("The summary could not be exported."))
