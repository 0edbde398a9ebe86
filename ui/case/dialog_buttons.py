"""What the case workspace's export dialogs share: the button row (the action named for what
it does, and Cancel), the "Save as" line with its file chooser, and ``RecipientDialog``, the
frame of a dialog that sends a case's document to an organisation of the service directory:
the recipient, the purpose the audit keeps, where to save, the problem line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import FieldErrors
from caseapp.i18n import _
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel, Form
from ui.widgets.line_edit import LineEdit

OK = QDialogButtonBox.StandardButton.Ok
CANCEL = QDialogButtonBox.StandardButton.Cancel


def action_buttons(dialog: QDialog, action: str, on_action: Callable[[], None]
                   ) -> QDialogButtonBox:
    """The dialog's button row: ``action`` (such as "&Export") runs ``on_action``; Cancel,
    like Esc, calls the dialog's ``reject``."""
    buttons = QDialogButtonBox(OK | CANCEL, dialog)
    buttons.button(OK).setText(action)
    buttons.button(CANCEL).setText(_("Cancel"))
    buttons.accepted.connect(on_action)
    buttons.rejected.connect(dialog.reject)
    return buttons


def save_as_row(form: Form, file_filter: str, field: str = "path") -> QLineEdit:
    """A "Save as" line with a Choose… button, added to ``form`` as ``field``; returns the
    line, which holds the chosen path."""
    where = QWidget(form)
    row = QHBoxLayout(where)
    row.setContentsMargins(0, 0, 0, 0)
    path = LineEdit(where)
    path.setMinimumWidth(path.fontMetrics().horizontalAdvance("x" * 36))  # a path in full
    choose = QPushButton(_("&Choose…"), where)

    def pick() -> None:
        chosen, _filter = QFileDialog.getSaveFileName(form, _("Save as"), "", file_filter)
        if chosen:
            path.setText(chosen)

    choose.clicked.connect(pick)
    row.addWidget(path, 1)
    row.addWidget(choose)
    form.add(field, _("&Save as"), where)
    path.setAccessibleName(_("Save as"))
    return path


class RecipientDialog(QDialog):
    """A dialog that sends one case's document to an organisation of the service directory.

    The constructor makes the form with the recipient chooser on top; the subclass adds its
    own rows (``purpose_row`` among them) and calls ``finish``, which adds the "Save as" row,
    the problem line and the buttons, lays them out and asks the database thread for the
    directory. ``recipient_changed`` runs whenever another organisation is chosen."""

    def __init__(self, bridge: Bridge, case_id: str, title: str, recipient_label: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.setWindowTitle(title)
        self.orgs: list[dict[str, Any]] = []
        self.form = Form(self)
        self.recipient = self.form.add("recipient", recipient_label, QComboBox(self))
        self.recipient.currentIndexChanged.connect(self.recipient_changed)

    def purpose_row(self) -> QLineEdit:
        return self.form.add("purpose", _("&Purpose (kept in the audit)"), LineEdit(self))

    def finish(self, file_filter: str, action: str, on_action: Callable[[], None],
               *below_form: QWidget) -> None:
        """The "Save as" row (``self.path``), then under the form ``below_form``, the problem
        line (``self.problem``) and the buttons (``self.buttons``: ``action`` runs
        ``on_action``); then the directory is read."""
        self.path = save_as_row(self.form, file_filter)
        self.problem = ErrorLabel(self)
        self.buttons = action_buttons(self, action, on_action)
        box = QVBoxLayout(self)
        for widget in (self.form, *below_form, self.problem, self.buttons):
            box.addWidget(widget)
        self.bridge.call(lambda s: s.directory.list(), self._show_orgs, self.failed)

    def _show_orgs(self, orgs: list[dict[str, Any]]) -> None:
        self.orgs = orgs
        self.recipient.clear()
        for org in orgs:
            self.recipient.addItem(str(org.get("org_Name") or org["id"]), org["id"])

    def org(self) -> dict[str, Any] | None:
        """The chosen organisation's directory entry, if one is chosen."""
        index = self.recipient.currentIndex()
        return self.orgs[index] if 0 <= index < len(self.orgs) else None

    def recipient_changed(self) -> None:
        """Another organisation was chosen (or the directory arrived)."""

    def show_field_problems(self, exc: BaseException) -> None:
        """A refusal that names fields shows each problem under its field."""
        if isinstance(exc, FieldErrors):
            self.form.show_problems({name: _(problem, **params)
                                     for name, problem, params in exc.problems})

    def failed(self, exc: BaseException) -> None:
        self.show_field_problems(exc)
