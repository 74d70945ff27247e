"""A supervisor looks at a watchlist match (the view is audited) and confirms it or rejects it."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.errors import UserError
from app.security.session import Session
from app.watchlist.records import MatchView
from app.watchlist.review import CONFIRMED, REJECTED
from app.watchlist.service import WatchlistService
from widgets.i18n import error_text


class MatchReviewDialog(QDialog):
    """Opening it reads the match through ``view_match`` (audited; refused for operators, which raises
    ``PermissionDenied`` from the constructor: catch it and show the message)."""

    def __init__(
        self, service: WatchlistService, session: Session, event_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service, self._session, self.event_id = service, session, event_id
        self.view: MatchView = service.view_match(session, event_id)
        self.setWindowTitle(self.tr("Watchlist match - event {event_id}").format(event_id=event_id))
        v = self.view
        self.face = QLabel()
        self.face.setFixedSize(160, 160)
        self.face.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if v.thumbnail_jpeg:
            pix = QPixmap()
            pix.loadFromData(v.thumbnail_jpeg)
            self.face.setPixmap(pix.scaled(160, 160, Qt.AspectRatioMode.KeepAspectRatio))
        when = dt.datetime.fromtimestamp(v.at).strftime("%Y-%m-%d %H:%M:%S")
        self.info = QLabel(
            self.tr("<b>{identity_label}</b> on list <b>{watchlist_name}</b><br>camera {camera_id}, {when}<br>similarity {similarity:.2f}, margin {margin:.2f}").format(identity_label=v.identity_label, watchlist_name=v.watchlist_name, camera_id=v.camera_id, when=when, similarity=v.similarity, margin=v.margin)
        )
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(self.tr("note (optional)"))
        self.confirm_button = QPushButton(self.tr("Confirmed"))
        self.reject_button = QPushButton(self.tr("Not this person"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self.reject_button.clicked.connect(self._on_reject_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.face)
        top.addWidget(self.info, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note_edit)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._show_review()

    def _show_review(self) -> None:
        done = self.view.review is not None
        self.confirm_button.setEnabled(not done)
        self.reject_button.setEnabled(not done)
        if done:
            self.status.setText(self.tr("reviewed: {review} by {reviewed_by}").format(review=self.view.review, reviewed_by=self.view.reviewed_by))

    def _review(self, decision: str) -> None:
        try:
            self.view = self._service.review_match(
                self._session, self.event_id, decision, self.note_edit.text()
            )
        except UserError as exc:
            self.status.setText(error_text(exc))
            return
        self._show_review()
        self.accept()

    def _on_confirm_button_clicked(self) -> None:
        self._review(CONFIRMED)

    def _on_reject_button_clicked(self) -> None:
        self._review(REJECTED)
