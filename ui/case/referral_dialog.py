"""Refer a case from the desktop to an organisation outside the system: choose the receiving
organisation from the service directory, the services the person needs and why the package
leaves (the audit keeps it), then the referral is made and its encrypted package written —
the referral form and the referral's HTCDS data, signed by this device and sealed to the
organisation's age key (``caseapp.services.referral_packages``).

Three steps, none on the GUI thread, each shown in the progress bar: the checks (permission,
the referral, every consent sending it needs, the recipient's key) on the database thread;
the layout, signature and sealing on a worker thread (``Bridge.background``); then, on the
database thread, the referral recorded, its package written and the referral marked sent.
Cancel stops before that last step, and then nothing at all has been written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QWidget,
)

from caseapp.errors import CaseAppError
from caseapp.i18n import N_, _
from caseapp.services import forms
from caseapp.services.app import Services
from caseapp.services.consent import ConsentRequired
from ui.bridge import Bridge
from ui.case.dialog_buttons import CANCEL, OK, RecipientDialog
from ui.widgets.label import Label
from ui.widgets.message import MessageDialog

PACKAGE_FILTER = "Hifazat referral package (*.hfz.age)"
# The steps, in order; the progress bar counts the ones done.
CHECKING, SEALING, WRITING, DONE = 1, 2, 3, 4
STEP_TEXTS = {
    CHECKING: N_("Checking the referral, the person's consent and the recipient's key…"),
    SEALING: N_("Laying out the referral form, signing and sealing the package…"),
    WRITING: N_("Writing the package and recording the referral as sent…"),
}


class ReferralPackageDialog(RecipientDialog):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(bridge, case_id, _("Refer the case"), _("&Receiving organisation"),
                         parent)
        self.services = self.form.add("services", _("Ser&vices the person needs"),
                                      QListWidget(self))
        for code, label in forms.service_choices():
            item = QListWidgetItem(label, self.services)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        # Each service's name in full and at least eight rows, however tall the script's rows
        # are (Nastaliq's are nearly twice Latin's): no sideways scrolling.
        frame = 2 * self.services.frameWidth()
        self.services.setMinimumSize(
            self.services.sizeHintForColumn(0) + frame
            + self.services.verticalScrollBar().sizeHint().width(),
            min(self.services.count(), 8) * self.services.sizeHintForRow(0) + frame)
        self.urgency = self.form.add("urgency", _("&Urgency"), QComboBox(self))
        for code, label in forms.urgency_choices():
            self.urgency.addItem(label, code)
        self.purpose = self.purpose_row()
        self.progress = QProgressBar(self)
        self.progress.setRange(0, DONE - 1)
        self.progress.setAccessibleName(_("Progress"))
        self.progress.hide()
        self.status = Label(self)
        self.status.setWordWrap(True)
        self.status.hide()  # shown with the step under way
        self.step = 0  # 0: nothing running; else the step under way
        self.cancelled = False
        self.referral_id = ""  # for tests and the message shown when done
        self.finish(PACKAGE_FILTER, _("&Refer and export"), self.refer, self.progress,
                    self.status)

    # -- the form ---------------------------------------------------------------------------
    def recipient_changed(self) -> None:
        org = self.org()
        offered = set(org.get("hfz_Services") or []) if org else set()
        for row in range(self.services.count()):
            item = self.services.item(row)
            code = item.data(Qt.ItemDataRole.UserRole)
            item.setCheckState(Qt.CheckState.Checked if code in offered
                               else Qt.CheckState.Unchecked)
        # Said at once: without the recipient's key there is nothing to seal the package to.
        self.form.show_problems({"recipient": _(
            "%(org)s has no age key in the service directory: a manager must store the key "
            "the organisation gave before a package can be sealed to it.",
            org=str(org.get("org_Name") or ""))} if org and not org.get("hfz_AgeRecipient")
            else {})

    def chosen_services(self) -> list[str]:
        return [str(self.services.item(row).data(Qt.ItemDataRole.UserRole))
                for row in range(self.services.count())
                if self.services.item(row).checkState() == Qt.CheckState.Checked]

    def choose_services(self, codes: list[str]) -> None:
        for row in range(self.services.count()):
            item = self.services.item(row)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole)
                               in codes else Qt.CheckState.Unchecked)

    # -- the work ---------------------------------------------------------------------------
    def refer(self) -> None:
        if self.step:
            return
        found: dict[str, str] = {}
        if self.org() is None:
            found["recipient"] = _("Choose the organisation that receives the referral.")
        if not self.chosen_services():
            found["services"] = _("Choose at least one service the person needs.")
        if not self.purpose.text().strip():
            found["purpose"] = _("Say why the package leaves: it is kept in the audit.")
        if not self.path.text().strip():
            found["path"] = _("Choose where to save the file.")
        self.form.show_problems(found)
        self.problem.show_problem(None)
        if found:
            return
        from caseapp.services.referral_packages import NewReferral

        org = self.org()
        assert org is not None
        new = NewReferral(self.case_id, str(org["id"]), tuple(self.chosen_services()),
                          str(self.urgency.currentData()))
        purpose, path = self.purpose.text().strip(), Path(self.path.text().strip())
        self.cancelled = False
        self.form.setEnabled(False)
        self.buttons.button(OK).setEnabled(False)
        self.progress.show()
        self._at(CHECKING)

        def check(s: Services) -> Any:
            from caseapp.services import referral_packages

            return referral_packages.prepare_referral(s.session, new, path, purpose)

        self.bridge.call(check, lambda prepared: self._prepared(new, prepared), self.failed)

    def _at(self, step: int) -> None:
        self.step = step
        self.progress.setValue(step - 1)
        self._say(_(STEP_TEXTS[step]) if step in STEP_TEXTS else "")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _prepared(self, new: Any, prepared: Any) -> None:
        if self.cancelled:
            return self._stopped()
        self._at(SEALING)
        from caseapp.services import referral_packages

        self.bridge.background(lambda: referral_packages.seal_package(prepared),
                               lambda data: self._sealed(new, prepared, data), self.failed)
        return None

    def _sealed(self, new: Any, prepared: Any, data: bytes) -> None:
        if self.cancelled:
            return self._stopped()
        # From here the referral is written: it can no longer be cancelled half-way.
        self._at(WRITING)
        self.buttons.button(CANCEL).setEnabled(False)

        def send(s: Services) -> Any:
            from caseapp.services import referral_packages

            return referral_packages.send_referral(s.session, new, prepared, data)

        self.bridge.call(send, self._sent, self.failed)
        return None

    def _sent(self, result: tuple[str, Any]) -> None:
        self.referral_id, exported = result
        self.step = 0
        self.progress.setValue(DONE - 1)
        org = self.org()
        box = MessageDialog(self.parentWidget() or self, _("Referral sent"), _(
            "The referral to %(org)s is recorded as sent. Its package, sealed to the "
            "organisation's key, is in %(path)s: give it to them by e-mail or on a USB stick.",
            org=str(org.get("org_Name") if org else ""), path=str(exported.path)),
            _("&Close"), default_accept=True)
        box.open()  # not exec(): a lock must be able to close it
        self._done_box = box
        self.accept()

    def reject(self) -> None:
        """Cancel: before the last step the work stops and nothing is written; during it,
        Cancel waits (the referral and its package are written together)."""
        if self.step == WRITING:
            return
        if self.step:
            self.cancelled = True
            self._say(_("Cancelled: nothing was written."))
        super().reject()

    def _stopped(self) -> None:
        self.step = 0
        self.form.setEnabled(True)
        self.buttons.button(OK).setEnabled(True)
        self.progress.hide()

    def failed(self, exc: BaseException) -> None:
        self._stopped()
        self.buttons.button(CANCEL).setEnabled(True)
        self._say("")
        self.show_field_problems(exc)
        if isinstance(exc, ConsentRequired):
            text = _("%(reason)s Record the person's consent on the Consent tab, naming this "
                     "organisation, then refer again.", reason=exc.user_message())
        elif isinstance(exc, CaseAppError):
            text = exc.user_message()
        else:
            text = _("The referral could not be made. Nothing was sent.")
        self.problem.show_problem(text)
