"""Attachments: photos and scans added from a file or dropped on the tab, stored encrypted in
the vault, and shown from memory only (never through a temporary file). Pictures whose size
would take more memory to decode than a scan needs are refused before decoding."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caseapp.errors import CaseAppError
from caseapp.i18n import _, formatting
from caseapp.services.cases import MAX_ATTACHMENT_BYTES
from ui.bridge import Bridge
from ui.widgets.form import ErrorLabel
from ui.widgets.label import Label

MAX_PIXELS = 40_000_000  # a 600 dpi A4 scan is 35 megapixels; more is a decompression bomb


def decode_image(data: bytes) -> tuple[QPixmap | None, str | None]:
    """(picture, None), or (None, why not) for what is not a picture or is too large."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAllocationLimit(256)  # MB: Qt's own guard, in case the header lies
    size = reader.size()
    if not size.isValid():
        return None, None
    if size.width() * size.height() > MAX_PIXELS:
        return None, _("This picture is too large to show safely (%(mp)s megapixels).",
                       mp=size.width() * size.height() // 1_000_000)
    image = reader.read()
    if image.isNull():
        return None, _("This picture could not be read.")
    return QPixmap.fromImage(image), None


class AttachmentsTab(QWidget):
    def __init__(self, bridge: Bridge, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.case_id = case_id
        self.setAcceptDrops(True)
        self.files = QListWidget(self)
        self.files.setAccessibleName(_("Attachments"))
        self.files.currentItemChanged.connect(self._selected)
        self.preview = Label(self)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.preview.setAccessibleName(_("Preview"))
        self.problem = ErrorLabel(self)
        hint = Label(_("Drop photos or scans here, or add them from a file. They are kept "
                        "encrypted inside the profile."), self)
        hint.setWordWrap(True)
        self.add_button = QPushButton(_("Add a &file…"), self)
        self.add_button.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.files, 1)
        row.addWidget(self.preview, 2)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addLayout(row, 1)
        box.addWidget(self.problem)
        box.addWidget(self.add_button)

    def refresh(self) -> None:
        self.bridge.call(lambda s: s.cases.attachments(self.case_id), self._show, lambda e: None)

    def _show(self, items: list[dict[str, Any]]) -> None:
        self.files.clear()
        for item in items:
            entry = QListWidgetItem(f"{item['filename']}  ({formatting.number(item['size'])} B,"
                                    f" {formatting.timestamp(int(item['at']))})")
            entry.setData(Qt.ItemDataRole.UserRole, item["id"])
            self.files.addItem(entry)

    def _selected(self, item: QListWidgetItem | None) -> None:
        self.preview.clear()
        if item is None:
            return
        attachment = str(item.data(Qt.ItemDataRole.UserRole))
        self.bridge.call(lambda s: s.cases.attachment_content(attachment), self._preview,
                         self._failed)

    def _preview(self, data: bytes) -> None:
        picture, problem = decode_image(data)
        self.problem.show_problem(problem)
        if picture is not None:
            self.preview.setPixmap(picture.scaled(self.preview.size(),
                                                  Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))
        elif problem is None:
            self.preview.setText(_("No preview for this kind of file."))

    # -- adding ---------------------------------------------------------------------------
    def choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Add a file"))
        if path:
            self.add_file(Path(path))

    def add_file(self, path: Path) -> None:
        try:
            if path.stat().st_size > MAX_ATTACHMENT_BYTES:
                self.problem.show_problem(_("The file is larger than 25 MB."))
                return
            data = path.read_bytes()
        except OSError:
            self.problem.show_problem(_("The file could not be read."))
            return
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if mime.startswith("image/"):
            _picture, problem = decode_image(data)
            if problem:
                self.problem.show_problem(problem)
                return
        self.bridge.call(lambda s: s.cases.add_attachment(self.case_id, path.name, data, mime),
                         self._added, self._failed)

    def _added(self, _changes: object) -> None:
        self.problem.show_problem(None)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.problem.show_problem(exc.user_message() if isinstance(exc, CaseAppError)
                                  else _("The file could not be added."))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.add_file(Path(url.toLocalFile()))
        event.acceptProposedAction()
