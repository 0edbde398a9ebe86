"""Run by test_desktop_nastaliq in a process of its own, at the QT_SCALE_FACTOR it is given:
Urdu in labels (one line and wrapped), buttons, tabs, list rows, case-list rows, one-line
fields and multi-line editors (one line and wrapped), each checked for a clipped letter — a
label's glyph outlines outside it, or ink on the outermost device pixels of any widget or
row (where the widget cuts it off). Writes a JSON report to the path given as the only
argument."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from ink_tools import gray_pixels, ink_on_border  # noqa: E402
from PySide6.QtCore import QMarginsF, QRect  # noqa: E402
from PySide6.QtGui import QPixmap, QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractItemView,
    QApplication,
    QListWidget,
    QPushButton,
    QTableView,
    QTabWidget,
    QWidget,
)

from ui.cases.urdu_delegate import UrduNameDelegate, row_height  # noqa: E402
from ui.language import apply_language, urdu_font  # noqa: E402
from ui.widgets.label import Label  # noqa: E402
from ui.widgets.line_edit import LineEdit  # noqa: E402
from ui.widgets.nastaliq_text import ShapedText  # noqa: E402
from ui.widgets.text_edit import TextEdit  # noqa: E402

# Interface strings whose Nastaliq reaches furthest above the line, below it, and past its
# left and right ends (measured over the whole Urdu catalogue), and two everyday words.
TEXTS = ["اس جائزے کی پہلے ہی تصحیح ہو چکی ہے", "کبھی نہیں", "سالِ پیدائش اندازاً",
         "انسدادِ تارکینِ وطن کی اسمگلنگ ایکٹ، 2018", "دستاویز کا نمبر", "آزاد جموں و کشمیر",
         "کیا ہوا", "کسی دوسرے اندراج میں پہلے سے استعمال ہو رہا ہے", "پاکستان",
         "شناختی کارڈ"]


def _cut(picture: QPixmap, rect: QRect | None = None) -> bool:
    image = picture.toImage()
    if rect is not None:
        ratio = picture.devicePixelRatio()
        image = image.copy(QRect(round(rect.x() * ratio), round(rect.y() * ratio),
                                 round(rect.width() * ratio), round(rect.height() * ratio)))
    return ink_on_border(*gray_pixels(image))


def _shown(widget: QWidget, app: QApplication) -> None:
    widget.show()
    app.processEvents()


class _NoRoom(Label):
    """The control: a label that makes no room for the ink beyond its text's box."""

    def _fit(self, inner: float | None) -> tuple[ShapedText, QMarginsF]:
        return super()._fit(inner)[0], QMarginsF()


class _Short(LineEdit):
    """The control: a field as tall as Qt makes it for its font, less a line's top."""

    def _extra_height(self) -> int:
        return -10


def _field_clipped(edit: LineEdit, app: QApplication) -> bool:
    """A field's glyph outlines outside its text area, or its ink on the area's edge."""
    edit.resize(round(edit.shaped().width) + 60, edit.sizeHint().height())
    _shown(edit, app)
    area = edit.text_area()
    outside = not area.contains(edit.ink_rect())
    return outside or _cut(edit.grab(), area.toAlignedRect())


def _editor_clipped(edit: TextEdit, width: int, app: QApplication) -> bool:
    """An editor's glyph outlines outside its viewport, or its ink on the viewport's edge."""
    edit.resize(width, 400)
    _shown(edit, app)
    outside = not QRect(edit.viewport().rect()).toRectF().contains(edit.ink_rect())
    return outside or not edit.draws_nastaliq() or _cut(edit.viewport().grab())


def _label_clipped(label: Label) -> bool:
    outside = not QRect(label.rect()).toRectF().contains(label.ink_rect())
    return outside or _cut(label.grab())


def main(out: Path) -> None:
    app = QApplication([])
    apply_language("ur")
    clipped: list[str] = []
    checked = 0
    keep: list[QWidget] = []

    def record(kind: str, text: str, cut: bool) -> None:
        nonlocal checked
        checked += 1
        if cut:
            clipped.append(f"{kind}: {text}")

    for text in TEXTS:
        label = Label(text)
        _shown(label, app)
        record("label", text, _label_clipped(label))
        wrapped = Label(text)
        wrapped.setWordWrap(True)
        wrapped.resize(140, wrapped.heightForWidth(140))
        _shown(wrapped, app)
        record("wrapped label", text, _label_clipped(wrapped))
        button = QPushButton(text)
        _shown(button, app)
        record("button", text, _cut(button.grab()))
        tabs = QTabWidget()
        tabs.addTab(QWidget(), text)
        tabs.resize(tabs.tabBar().sizeHint().width() + 40, 120)
        _shown(tabs, app)
        record("tab", text, _cut(tabs.tabBar().grab(), tabs.tabBar().tabRect(0)))
        listing = QListWidget()
        listing.addItem(text)
        listing.resize(520, 120)
        _shown(listing, app)
        record("list row", text, _cut(listing.viewport().grab(),
                                      listing.visualItemRect(listing.item(0))))
        edit = LineEdit()
        edit.setText(text)
        record("line edit", text, _field_clipped(edit, app))
        editor = TextEdit(text)
        record("text edit", text, _editor_clipped(editor, 620, app))
        narrow = TextEdit(text)
        record("wrapped text edit", text, _editor_clipped(narrow, 170, app))
        keep += [label, wrapped, button, tabs, listing, edit, editor, narrow]

    model = QStandardItemModel(len(TEXTS), 1)
    for row, text in enumerate(TEXTS):
        item = QStandardItem(text)
        item.setFont(urdu_font())
        model.setItem(row, 0, item)
    table = QTableView()
    table.setModel(model)
    table.setItemDelegateForColumn(0, UrduNameDelegate(table))
    table.verticalHeader().setDefaultSectionSize(row_height(urdu_font()))
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setColumnWidth(0, 220)  # the longest strings are elided
    table.setShowGrid(False)
    table.resize(300, 900)
    _shown(table, app)
    picture = table.viewport().grab()
    for row, text in enumerate(TEXTS):
        record("case-list row", text, _cut(picture, table.visualRect(model.index(row, 0))))

    control = _NoRoom("کیا ہوا")
    _shown(control, app)
    short = _Short()
    short.setText("کبھی نہیں")
    report = {"ratio": round(table.devicePixelRatioF(), 2), "checked": checked,
              "clipped": clipped, "control_clipped": _label_clipped(control),
              "control_field_clipped": _field_clipped(short, app)}
    out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
