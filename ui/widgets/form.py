"""A form layout whose every field has its problem shown right under it, in the user's
language, as the user types."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ui.widgets.label import Label

W = TypeVar("W", bound=QWidget)


class ErrorLabel(Label):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("color: #b00020;")
        self.hide()

    def show_problem(self, text: str | None) -> None:
        self.setText(text or "")
        self.setVisible(bool(text))


class Form(QWidget):
    """Rows of label, editor and error label, keyed by field name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors: dict[str, ErrorLabel] = {}
        self.titles: dict[str, QLabel] = {}

    def add(self, field: str, label: str, editor: W) -> W:
        holder = QWidget(self)
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(editor)
        error = ErrorLabel(holder)
        error.setAccessibleName(label)
        column.addWidget(error)
        title = Label(label, self)
        title.setBuddy(editor)
        editor.setAccessibleName(label.replace("&", ""))
        self.layout_.addRow(title, holder)
        self.errors[field] = error
        self.titles[field] = title
        return editor

    def set_row_visible(self, field: str, visible: bool) -> None:
        """Show or hide a field's whole row: its title, editor and problem."""
        self.layout_.setRowVisible(self.titles[field], visible)

    def title_of(self, field: str) -> QLabel:
        return self.titles[field]

    def show_problems(self, problems: dict[str, str]) -> None:
        for field, label in self.errors.items():
            label.show_problem(problems.get(field))

    def problem_texts(self) -> list[str]:
        return [label.text() for label in self.errors.values() if label.isVisible()]
