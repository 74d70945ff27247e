"""Enrol a person (admin): photos, one face each (click one where a photo shows several), and the
reason, legal basis and expiry the law asks for. The core API enforces the role and records the audit."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain import Detection
from app.errors import UserError
from app.security.session import Session
from app.watchlist.records import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, EnrolRequest, Identity
from app.watchlist.service import WatchlistService
from widgets.i18n import error_text


class FacePicker(QWidget):
    """Shows a photo with its faces boxed; a click on a face emits ``face_chosen(index)``."""

    face_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self._rgb: np.ndarray | None = None  # kept alive: the QImage borrows it
        self._qimage: QImage | None = None
        self.faces: list[Detection] = []
        self.selected: int | None = None

    def set_image(self, image_bgr: np.ndarray, faces: list[Detection]) -> None:
        self._rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        h, w = self._rgb.shape[:2]
        self._qimage = QImage(self._rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.faces, self.selected = list(faces), None
        self.update()

    def _scale(self) -> tuple[float, float, float]:
        if self._rgb is None:
            return 1.0, 0.0, 0.0
        h, w = self._rgb.shape[:2]
        s = min(self.width() / w, self.height() / h)
        return s, (self.width() - w * s) / 2, (self.height() - h * s) / 2

    def face_rect(self, index: int) -> QRectF:
        """Where face ``index`` is drawn, in widget coordinates."""
        s, ox, oy = self._scale()
        b = self.faces[index].bbox
        return QRectF(ox + b.x1 * s, oy + b.y1 * s, b.width * s, b.height * s)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        if self._qimage is not None:
            s, ox, oy = self._scale()
            p.drawImage(QRectF(ox, oy, self._qimage.width() * s, self._qimage.height() * s), self._qimage)
        for i in range(len(self.faces)):
            colour = QColor("#00c853") if i == self.selected else QColor("#ffeb3b")
            p.setPen(QPen(colour, 3))
            r = self.face_rect(i)
            p.drawRect(r)
            p.drawText(r.topLeft() + QPointF(4, 14), str(i))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        for i in range(len(self.faces)):
            if self.face_rect(i).contains(pos):
                self.selected = i
                self.update()
                self.face_chosen.emit(i)
                return


class EnrolmentDialog(QDialog):
    """``EnrolmentDialog(service, session, site_id)``; ``enrolled(identity_id)`` after a successful enrolment."""

    enrolled = Signal(int)

    def __init__(
        self, service: WatchlistService, session: Session, site_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service, self._session, self.site_id = service, session, site_id
        self.identity: Identity | None = None
        self.chosen: list[tuple[str, np.ndarray, Detection]] = []
        self._pending: tuple[str, np.ndarray] | None = None
        self.setWindowTitle(self.tr("Enrol a person - site {site_id}").format(site_id=site_id))
        self.list_combo = QComboBox()
        for wl in service.watchlists(site_id):
            self.list_combo.addItem(self.tr("{name} (threshold {threshold:.2f})").format(name=wl.name, threshold=wl.threshold), wl.id)
        self.label_edit = QLineEdit()
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("e.g. banned for theft on 3 May, incident 117"))
        self.basis_edit = QLineEdit()
        self.basis_edit.setPlaceholderText(self.tr("e.g. site ban notice no. 12 / applicable law"))
        self.expiry_spin = QSpinBox()
        self.expiry_spin.setRange(1, MAX_EXPIRY_DAYS)
        self.expiry_spin.setValue(DEFAULT_EXPIRY_DAYS)
        self.expiry_spin.setSuffix(self.tr(" days"))
        self.add_button = QPushButton(self.tr("Add photo..."))
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.photos = QListWidget()
        self.picker = FacePicker()
        self.picker.hide()
        self.picker.face_chosen.connect(self._on_picker_face_chosen)
        self.message = QLabel(self.tr("Only the face embeddings are kept, never the photos."))
        self.message.setWordWrap(True)
        self.enrol_button = QPushButton(self.tr("Enrol"))
        self.enrol_button.clicked.connect(self._on_enrol_button_clicked)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Watchlist"), self.list_combo)
        form.addRow(self.tr("Name / label"), self.label_edit)
        form.addRow(self.tr("Reason"), self.reason_edit)
        form.addRow(self.tr("Legal basis"), self.basis_edit)
        form.addRow(self.tr("Expires after"), self.expiry_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.photos)
        layout.addWidget(self.picker, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def add_image(self, path: str | Path) -> int:
        """Find the faces of a photo: one is taken at once; several wait for a click in the picker.
        Returns the number of faces found (0: the message says why)."""
        try:
            image, faces = self._service.find_faces(path)
        except UserError as exc:
            self.message.setText(error_text(exc))
            return 0
        name = Path(path).name
        if not faces:
            self.message.setText(self.tr("no face found in {name}; choose a sharper, frontal photo").format(name=name))
        elif len(faces) == 1:
            self._take(name, image, faces[0])
        else:
            self._pending = (name, image)
            self.picker.set_image(image, faces)
            self.picker.show()
            self.message.setText(self.tr("{name} shows {count} faces: click the person to enrol").format(name=name, count=len(faces)))
        return len(faces)

    def _take(self, name: str, image: np.ndarray, face: Detection) -> None:
        self.chosen.append((name, image, face))
        self.photos.addItem(self.tr("{name}: face {size:.0f} px").format(name=name, size=face.bbox.size))
        self.message.setText(self.tr("{count} face(s) ready").format(count=len(self.chosen)))

    def _on_picker_face_chosen(self, index: int) -> None:
        if self._pending is None:
            return
        name, image = self._pending
        self._pending = None
        self._take(name, image, self.picker.faces[index])
        self.picker.hide()

    def _on_add_button_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Photos of the person"), "", self.tr("Images (*.jpg *.jpeg *.png *.webp *.bmp)")
        )
        for p in paths:
            self.add_image(p)

    def _on_enrol_button_clicked(self) -> None:
        if self.list_combo.currentData() is None:
            self.message.setText(self.tr("site {site_id} has no watchlist yet; an admin must create one first").format(site_id=self.site_id))
            return
        if not self.chosen:
            self.message.setText(self.tr("add at least one photo with the person's face"))
            return
        request = EnrolRequest(
            watchlist_id=int(self.list_combo.currentData()),
            label=self.label_edit.text(),
            reason=self.reason_edit.text(),
            legal_basis=self.basis_edit.text(),
            expires_days=self.expiry_spin.value(),
            source="images: " + ", ".join(n for n, _, _ in self.chosen),
        )
        try:
            self.identity = self._service.enrol_faces(
                self._session, request, [(img, f) for _, img, f in self.chosen]
            )
        except UserError as exc:
            self.message.setText(error_text(exc))
            return
        self.chosen.clear()  # the photos are not kept
        self.enrolled.emit(self.identity.id)
        self.accept()
