"""What the dialogs (and the station) call: core watchlist and account functions on the write
connection, with face detection and embedding done first in the caller's thread, outside transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.domain import Detection
from app.errors import ModelError
from app.security import accounts
from app.security.audit_access import read_audit, verify_audit
from app.security.db import DbRunner
from app.security.roles import Role
from app.security.session import Session
from app.store.records import AuditRow, AuditVerdict
from app.watchlist import faces, identities, lists, review
from app.watchlist.records import EnrolRequest, Identity, MatchView, SiteMatching, Watchlist
from models.face_detector import FaceDetector
from models.face_embedder import FaceEmbedder


class AccountService:
    """Login, first admin, and account management for the UI."""

    def __init__(self, runner: DbRunner) -> None:
        self.runner = runner

    def has_users(self) -> bool:
        return self.runner.run(accounts.has_users)

    def create_first_admin(self, name: str, password: str) -> Session:
        self.runner.run(lambda db: accounts.create_first_admin(db, name, password))
        return self.login(name, password)

    def login(self, name: str, password: str) -> Session:
        return self.runner.run(lambda db: accounts.authenticate(db, name, password))

    def users(self, session: Session) -> list[accounts.UserRecord]:
        return self.runner.run(lambda db: accounts.list_users(db, session))

    def add_user(self, session: Session, name: str, role: Role, password: str) -> accounts.UserRecord:
        return self.runner.run(lambda db: accounts.add_user(db, session, name, role, password))

    def disable_user(self, session: Session, name: str, reason: str) -> None:
        self.runner.run(lambda db: accounts.disable_user(db, session, name, reason))

    def enable_user(self, session: Session, name: str, reason: str = "") -> None:
        self.runner.run(lambda db: accounts.enable_user(db, session, name, reason))

    def change_password(self, session: Session, name: str, new: str, old: str | None = None) -> None:
        """An admin resets ``name``'s password; for the session's own account ``old`` is required."""
        self.runner.run(lambda db: accounts.change_password(db, session, name, new, old))

    def audit_rows(
        self, session: Session, actor: str = "", action: str = "", limit: int = 1000
    ) -> list[AuditRow]:
        return self.runner.run(lambda db: read_audit(db, session, actor, action, limit=limit))

    def verify_audit(self, session: Session) -> AuditVerdict:
        return self.runner.run(lambda db: verify_audit(db, session))


class WatchlistService:
    """Lists, enrolment, review. The model loads on first use (``ModelError`` if none is configured).
    ``detector`` makes the face detector on first use (in-process by default; the GUI's runs in a child
    process, see ``faces.make_child_enrolment_detector``); ``close()`` closes it."""

    def __init__(
        self,
        runner: DbRunner,
        embedder: Callable[[], FaceEmbedder] | None = None,
        detector: Callable[[], FaceDetector] = faces.make_enrolment_detector,
    ) -> None:
        self.runner = runner
        self._make_embedder = embedder
        self._make_detector = detector
        self._embedder: FaceEmbedder | None = None
        self._detector: FaceDetector | None = None
        self._lock = threading.Lock()  # MediaPipe and ORT sessions: one caller at a time

    @classmethod
    def from_model(
        cls,
        runner: DbRunner,
        model_path: str,
        model_sha256: str = "",
        detector: Callable[[], FaceDetector] = faces.make_enrolment_detector,
    ) -> WatchlistService:
        """The embedder from an ONNX file; ``detector`` as in ``__init__`` (the GUI passes
        ``faces.make_child_enrolment_detector``)."""
        from models.face_embedder import OnnxFaceEmbedder

        return cls(runner, lambda: OnnxFaceEmbedder(model_path, model_sha256), detector)

    # ----- models -----------------------------------------------------------------------------------
    def embedder(self) -> FaceEmbedder:
        if self._embedder is None:
            if self._make_embedder is None:
                raise ModelError(
                    "no face embedding model is configured; set analysis.embedding_model in the settings"
                )
            self._embedder = self._make_embedder()
        return self._embedder

    def detector(self) -> FaceDetector:
        if self._detector is None:
            self._detector = self._make_detector()
        return self._detector

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    # ----- lists and switch ---------------------------------------------------------------------------
    def watchlists(self, site_id: str | None = None) -> list[Watchlist]:
        return self.runner.run(lambda db: lists.list_watchlists(db, site_id))

    def site_matching(self, site_id: str) -> SiteMatching:
        return self.runner.run(lambda db: lists.site_matching(db, site_id))

    def set_matching(self, session: Session, site_id: str, enabled: bool, reason: str) -> SiteMatching:
        return self.runner.run(lambda db: lists.set_matching(db, session, site_id, enabled, reason))

    # ----- enrolment ----------------------------------------------------------------------------------
    def find_faces(self, path: Path | str) -> tuple[np.ndarray, list[Detection]]:
        """The image and its faces (largest first), for the admin to pick one."""
        image = faces.read_image(path)
        with self._lock:
            return image, faces.detect_faces(self.detector(), image)

    def enrol_faces(
        self, session: Session, request: EnrolRequest, chosen: Sequence[tuple[np.ndarray, Detection]]
    ) -> Identity:
        """Enrol from faces the admin picked: (image, detection) pairs."""
        from models.face_embedder import align_face

        with self._lock:
            emb = self.embedder()
            vectors = emb.embed([align_face(img, det.keypoints) for img, det in chosen])
            model_id = emb.model_id
        return self.runner.run(lambda db: identities.enrol(db, session, request, vectors, model_id))

    def enrol_images(
        self,
        session: Session,
        request: EnrolRequest,
        paths: Sequence[Path | str],
        face_index: int | None = None,
    ) -> Identity:
        with self._lock:
            found = faces.embed_images(paths, self.detector(), self.embedder(), face_index)
            model_id = self.embedder().model_id
        vectors = np.stack([f.embedding for f in found])
        return self.runner.run(lambda db: identities.enrol(db, session, request, vectors, model_id))

    def identities(self, session: Session, site_id: str | None = None) -> list[Identity]:
        return self.runner.run(lambda db: identities.list_identities(db, session, site_id))

    def purge_expired(self) -> list[int]:
        return self.runner.run(identities.purge_expired)

    # ----- review -------------------------------------------------------------------------------------
    def view_match(self, session: Session, event_id: int) -> MatchView:
        return self.runner.run(lambda db: review.view_match(db, session, event_id))

    def review_match(self, session: Session, event_id: int, decision: str, note: str = "") -> MatchView:
        def negative(jpeg: bytes) -> tuple[np.ndarray, str] | None:
            with self._lock:
                vec = faces.embed_thumbnail(jpeg, self.detector(), self.embedder())
                return None if vec is None else (vec, self.embedder().model_id)

        # the embedding is computed before the write, so the writer thread never runs a model
        thumb: dict[str, tuple[np.ndarray, str] | None] = {}
        if decision == review.REJECTED:
            view = self.runner.run(lambda db: review._load(db, event_id))
            if view.thumbnail_jpeg and self._make_embedder is not None:
                thumb["v"] = negative(view.thumbnail_jpeg)
        return self.runner.run(
            lambda db: review.review_match(
                db, session, event_id, decision, note, negative=(lambda _j: thumb.get("v")) if thumb else None
            )
        )
