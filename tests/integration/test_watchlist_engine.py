"""The full path: frames of a gallery face -> AnalysisEngine with the watchlist stage -> a Match on the face
and one WATCHLIST_MATCH event per track -> stored -> a supervisor views (audited) and rejects it, which
stores a negative and lowers that identity's score for this face. Switched off: nothing is embedded."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.analysis.engine import AnalysisEngine, EngineParts
from app.domain import EventKind, Frame, MatchDecision
from app.security import Role, add_user, authenticate, create_first_admin
from app.security.db import DirectRunner
from app.store import AuditLog, StoreWriter, open_db
from app.watchlist import EnrolRequest, create_watchlist, set_matching
from app.watchlist.matcher import WatchlistMatcher
from app.watchlist.service import WatchlistService
from models.face_detector import create_detector
from models.face_embedder import OnnxFaceEmbedder

PW = "correct horse battery"


class SpyEmbedder:
    """The real embedder, counting the faces it is given."""

    def __init__(self, inner: OnnxFaceEmbedder) -> None:
        self.inner, self.faces = inner, 0
        self.dim, self.model_id = inner.dim, inner.model_id

    def embed(self, faces):  # type: ignore[no-untyped-def]
        self.faces += len(faces)
        return self.inner.embed(faces)


@pytest.fixture(scope="module")
def model(shared_data: Path) -> OnnxFaceEmbedder:
    return OnnxFaceEmbedder(shared_data / "models" / "MobileFaceNet.onnx")


def _frames(image_path: Path, n: int) -> list[Frame]:
    img = cv2.imread(str(image_path))
    scale = 720 / img.shape[0]
    face = cv2.resize(img, (int(img.shape[1] * scale), 720))
    canvas = np.full((720, 1280, 3), 40, np.uint8)
    x = (1280 - face.shape[1]) // 2
    canvas[:, x : x + face.shape[1]] = face
    t0, m0 = time.time(), time.monotonic()
    return [Frame("cam1", i, canvas, t0 + 0.2 * i, m0 + 0.2 * i) for i in range(n)]


@pytest.fixture
def station(tmp_path: Path, shared_data: Path, model: OnnxFaceEmbedder):
    path = tmp_path / "vigil.sqlite3"
    db = open_db(path)
    create_first_admin(db, "root", PW)
    admin = authenticate(db, "root", PW)
    db.execute(
        "INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES ('cam1', 'Gate', 'mall', 1, 0)"
    )
    db.conn.commit()
    wl = create_watchlist(db, admin, "mall", "banned", colour="#ff0000")
    service = WatchlistService(DirectRunner(db), embedder=lambda: model)
    gallery = sorted((shared_data / "faces" / "gallery" / "barack_obama").iterdir())
    service.enrol_images(admin, EnrolRequest(wl.id, "Banned person 1", "theft", "ban notice 3"), gallery)
    yield path, db, admin, service
    service.close()
    db.close()


def _engine(path: Path, spy: SpyEmbedder) -> AnalysisEngine:
    parts = EngineParts(
        detector=lambda: create_detector("fast"),
        matcher=lambda: WatchlistMatcher(path, lambda: spy, spy.model_id, refresh_s=0),
    )
    return AnalysisEngine(parts)


def test_switched_off_site_embeds_nothing_and_matches_nothing(station, shared_data: Path, model) -> None:
    path, _db, _admin, _service = station
    spy = SpyEmbedder(model)
    engine = _engine(path, spy)
    try:
        outs = engine.analyse(_frames(shared_data / "faces" / "gallery" / "barack_obama" / "obama.jpg", 1))
        outs += engine.analyse(
            _frames(shared_data / "faces" / "gallery" / "barack_obama" / "obama.jpg", 2)[1:]
        )
    finally:
        engine.close()
    faces = [f for o in outs for f in o.result.faces]
    assert faces, "the detector should see the face"
    assert spy.faces == 0
    assert all(f.match is None for f in faces)
    assert not [e for o in outs for e in o.events if e.kind is EventKind.WATCHLIST_MATCH]


def test_match_event_once_per_track_then_review_rejection_lowers_the_score(
    station, shared_data: Path, model
) -> None:
    path, db, admin, service = station
    set_matching(db, admin, "mall", True, "police request 42")
    db.conn.commit()
    spy = SpyEmbedder(model)
    engine = _engine(path, spy)
    frames = _frames(shared_data / "faces" / "gallery" / "barack_obama" / "obama2.jpg", 5)
    try:
        outs = [o for f in frames for o in engine.analyse([f])]
    finally:
        engine.close()
    faces = [f for o in outs for f in o.result.faces]
    assert len(faces) == 5 and len({f.track_id for f in faces}) == 1
    assert all(f.match is not None and f.match.decision is MatchDecision.MATCH for f in faces)
    m = faces[0].match
    assert m is not None and m.watchlist_name == "banned" and m.colour == "#ff0000" and m.similarity > 0.6
    events = [e for o in outs for e in o.events if e.kind is EventKind.WATCHLIST_MATCH]
    assert len(events) == 1 and events[0].thumbnail_jpeg
    assert spy.faces == 1  # best frames only: the same face size is not embedded again

    writer = StoreWriter(path)
    writer.start()
    writer.submit(events[0])
    assert writer.flush()
    writer.stop()
    event_id = db.execute("SELECT id FROM events WHERE kind = 'watchlist_match'").fetchone()[0]

    operator_pw = "operator pw 1"
    add_user(db, admin, "sup", Role.SUPERVISOR, operator_pw)
    sup = authenticate(db, "sup", operator_pw)
    view = service.view_match(sup, event_id)
    assert view.identity_label == "Banned person 1" and view.thumbnail_jpeg
    assert (AuditLog.rows(db)[-1].actor, AuditLog.rows(db)[-1].action) == ("sup", "match.view")
    service.review_match(sup, event_id, "rejected", "different person")
    row = AuditLog.rows(db)[-1]
    assert row.action == "match.rejected" and row.details["negative_stored"] is True
    assert db.execute("SELECT count(*) FROM watchlist_embeddings WHERE kind = 'negative'").fetchone()[0] == 1

    spy2 = SpyEmbedder(model)
    engine = _engine(path, spy2)
    try:
        again = [f for o in engine.analyse(frames[:1]) for f in o.result.faces]
    finally:
        engine.close()
    assert again[0].match is None or again[0].match.similarity < m.similarity - 0.2
    assert AuditLog.verify(db).ok
