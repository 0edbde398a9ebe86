"""What the case workspace's export dialogs share: the button row (the action named for what
it does, and Cancel) and the "Save as" line with its file chooser."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from caseapp.i18n import _
from ui.widgets.form import Form

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
    path = QLineEdit(where)
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
