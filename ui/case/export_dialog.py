"""Export a case summary from the desktop: to which organisation, why (the audit keeps the
purpose), and how it leaves — encrypted with a one-time passphrase to read out by phone, or
sealed to the organisation's age key from the directory. The passphrase is shown once, with a
copy that leaves the clipboard after 30 seconds; nothing is written in the clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QRadioButton, QVBoxLayout, QWidget

from caseapp.errors import CaseAppError
from caseapp.i18n import _
from caseapp.services.app import Services
from ui.bridge import Bridge
from ui.case.dialog_buttons import RecipientDialog
from ui.widgets.clipboard import copy_sensitive
from ui.widgets.label import Label
from ui.widgets.message import MessageDialog


class ExportSummaryDialog(RecipientDialog):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(bridge, case_id, _("Export the case summary"),
                         _("&Recipient organisation"), parent)
        self.purpose = self.purpose_row()
        how = QWidget(self)
        column = QVBoxLayout(how)
        column.setContentsMargins(0, 0, 0, 0)
        self.by_passphrase = QRadioButton(_("Encrypted PDF with a one-time &passphrase"), how)
        self.by_key = QRadioButton(_("Sealed to the organisation's &key (age)"), how)
        self.by_passphrase.setChecked(True)
        column.addWidget(self.by_passphrase)
        column.addWidget(self.by_key)
        self.form.add("protection", _("How it leaves"), how)
        self.passphrase_shown = ""  # for tests; the dialog showing it is modal and gone after
        self.finish("PDF (*.pdf)", _("&Export"), self.export)

    def recipient_changed(self) -> None:
        org = self.org()
        has_key = bool(org and org.get("hfz_AgeRecipient"))
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
        recipient_key = str((self.org() or {}).get("hfz_AgeRecipient") or "")

        def work(s: Services) -> Any:
            from caseapp.services import documents
            from caseapp.services.protection import Protection

            protection = Protection.age(recipient_key) if sealed else Protection.passphrase()
            return documents.export_summary(s.session, self.case_id, org, path, purpose,
                                            protection)
        self.buttons.setEnabled(False)
        self.bridge.call(work, self._exported, self.failed)

    def _exported(self, exported: Any) -> None:
        self.buttons.setEnabled(True)
        if exported.passphrase:
            self.passphrase_shown = str(exported.passphrase)
            self._show_passphrase(str(exported.passphrase))
        self.accept()

    def _show_passphrase(self, passphrase: str) -> None:
        # beside the workspace, not this dialog, which closes now
        box = MessageDialog(self.parentWidget() or self, _("The one-time passphrase"),
                            _("Give this passphrase to the recipient by phone, not with the "
                              "file. It is shown only now."), _("&Close"),
                            default_accept=True)
        words = Label(passphrase, box)
        words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words.setAccessibleName(_("The one-time passphrase"))
        box.body.addWidget(words)
        copy = QPushButton(_("Copy"), box)
        box.buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: copy_sensitive(passphrase))
        box.open()  # not exec(): a lock must be able to close it
        self._passphrase_box = box

    def failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.show_field_problems(exc)
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("The summary could not be exported."))
