"""Decisions (match / uncertain / none, margin, negatives) and the match stage's view of the database:
off by default, on only by an admin's recorded switch, refreshed from other processes' changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlite_utils import Database

from app.analysis.spec import EngineSpec, make_match_stage
from app.config import AnalysisConfig, SiteConfig
from app.domain import BBox, Detection, MatchDecision
from app.errors import ModelError
from app.security import authenticate, create_first_admin
from app.store import Migration, open_db
from app.store.migrations import MIGRATIONS, current_version, migrate
from app.watchlist import EnrolRequest, create_watchlist, enrol, purge_expired, set_matching
from app.watchlist.gallery import Gallery, IdentityInfo
from app.watchlist.identities import add_embeddings
from app.watchlist.matcher import WatchlistMatcher

PW = "correct horse battery"


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def basis(i: int, dim: int = 128) -> np.ndarray:
    v = np.zeros(dim, np.float32)
    v[i] = 1.0
    return v


def mix(a: np.ndarray, b: np.ndarray, sim: float) -> np.ndarray:
    """A unit vector with cosine ``sim`` to unit ``a`` (``b`` orthogonal to ``a``)."""
    return unit(sim * a + np.sqrt(1 - sim**2) * b)


def info(iid: int, threshold: float = 0.4, band: float = 0.1) -> IdentityInfo:
    return IdentityInfo(iid, f"person{iid}", 1, "banned", "#ff0000", threshold, band)


def test_decision_match_uncertain_none_and_margin() -> None:
    g = Gallery({1: info(1), 2: info(2)}, [(1, basis(0)), (2, basis(1))])
    m = g.decide(mix(basis(0), basis(5), 0.8))
    assert m is not None and m.decision is MatchDecision.MATCH and m.identity_id == 1
    assert m.similarity == pytest.approx(0.8, abs=1e-5) and m.margin == pytest.approx(0.8, abs=1e-5)
    assert m.colour == "#ff0000" and m.watchlist_name == "banned"
    u = g.decide(mix(basis(0), basis(5), 0.35))
    assert u is not None and u.decision is MatchDecision.UNCERTAIN
    assert g.decide(mix(basis(0), basis(5), 0.2)) is None
    # equally close to two identities: above the threshold but no margin -> only uncertain
    both = unit(basis(0) + basis(1) + 0.2 * basis(5))
    amb = g.decide(both)
    assert amb is not None and amb.decision is MatchDecision.UNCERTAIN and amb.margin < 0.08


def test_a_rejected_face_lowers_that_identity_for_similar_faces_only() -> None:
    a, other = basis(0), basis(1)
    lookalike = mix(a, other, 0.5)  # matched identity 1 wrongly
    before = Gallery({1: info(1)}, [(1, a)]).decide(lookalike)
    assert before is not None and before.decision is MatchDecision.MATCH
    g = Gallery({1: info(1)}, [(1, a)], [(1, lookalike)])
    again = mix(lookalike, basis(7), 0.95)  # the same stranger, another frame
    assert g.decide(again) is None
    true_face = mix(a, basis(9), 0.85)  # the enrolled person still matches
    m = g.decide(true_face)
    assert m is not None and m.decision is MatchDecision.MATCH


@pytest.fixture
def store(tmp_path: Path):
    path = tmp_path / "vigil.sqlite3"
    db = open_db(path)
    create_first_admin(db, "root", PW)
    db.execute(
        "INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES ('cam1', 'Gate', 'mall', 1, 0)"
    )
    db.execute(
        "INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES ('cam2', 'Other', 'park', 1, 0)"
    )
    db.conn.commit()
    yield path, db, authenticate(db, "root", PW)
    db.close()


class SpyEmbedder:
    model_id, dim = "spy-model", 128

    def __init__(self, vector: np.ndarray) -> None:
        self.vector, self.calls = vector, 0

    def embed(self, faces):  # type: ignore[no-untyped-def]
        self.calls += 1
        return np.stack([self.vector for _ in faces])


FACE = Detection(
    BBox(100, 100, 200, 200), 0.9, ((130, 140), (170, 140), (150, 160), (150, 185), (110, 150), (190, 150))
)


def test_stage_embeds_nothing_until_an_admin_switches_the_site_on(store) -> None:
    path, db, admin = store
    wl = create_watchlist(db, admin, "mall", "banned")
    enrol(db, admin, EnrolRequest(wl.id, "X", "theft", "ban"), basis(0)[None, :], "spy-model")
    spy = SpyEmbedder(mix(basis(0), basis(3), 0.9))
    clock = [0.0]
    matcher = WatchlistMatcher(path, lambda: spy, "spy-model", refresh_s=10, clock=lambda: clock[0])
    image = np.zeros((300, 300, 3), np.uint8)
    assert not matcher.wants("cam1") and matcher.match(image, FACE, "cam1") is None and spy.calls == 0
    set_matching(db, admin, "mall", True, "police request")
    assert not matcher.wants("cam1")  # not re-read before refresh_s
    clock[0] = 11
    assert matcher.wants("cam1") and not matcher.wants("cam2") and not matcher.wants("unknown")
    m = matcher.match(image, FACE, "cam1")
    assert m is not None and m.decision is MatchDecision.MATCH and spy.calls == 1
    assert matcher.match(image, FACE, "cam2") is None and spy.calls == 1
    # a non-face (keypoints not laid out like a face) is never embedded
    junk = Detection(FACE.bbox, 0.5, ((150, 190), (150, 110), (120, 150), (180, 150)))
    assert matcher.match(image, junk, "cam1") is None and spy.calls == 1
    # the switch off, or the entry expired and purged: nothing to match any more
    set_matching(db, admin, "mall", False, "done")
    clock[0] = 22
    assert not matcher.wants("cam1")
    matcher.close()


def test_only_approved_unexpired_same_model_entries_are_loaded(store) -> None:
    path, db, admin = store
    set_matching(db, admin, "mall", True, "police request")
    wl = create_watchlist(db, admin, "mall", "banned")
    ident = enrol(
        db, admin, EnrolRequest(wl.id, "X", "theft", "ban", expires_days=1), basis(0)[None, :], "other-model"
    )
    matcher = WatchlistMatcher(path, lambda: SpyEmbedder(basis(0)), "spy-model", refresh_s=0)
    assert not matcher.wants("cam1")  # vectors of another model are not comparable
    add_embeddings(db, ident.id, basis(0)[None, :], "spy-model")
    db.conn.commit()
    assert matcher.wants("cam1")
    purge_expired(db, now=ident.expires_at + 1)
    assert not matcher.wants("cam1")
    matcher.close()


def test_config_flag_alone_does_not_enable_matching(store, tmp_path: Path) -> None:
    path, db, admin = store
    assert SiteConfig("mall", "Mall", watchlist_enabled=True).watchlist_enabled  # the file may say so...
    wl = create_watchlist(db, admin, "mall", "banned")
    enrol(db, admin, EnrolRequest(wl.id, "X", "theft", "ban"), basis(0)[None, :], "spy-model")
    matcher = WatchlistMatcher(path, lambda: SpyEmbedder(basis(0)), "spy-model", refresh_s=0)
    assert not matcher.wants("cam1")  # ...but only the database switch counts
    # no model configured: no stage at all, unless a site is switched on (then a clear error)
    assert make_match_stage(EngineSpec(db_path=str(path))) is None
    set_matching(db, admin, "mall", True, "police request")
    with pytest.raises(ModelError, match="embedding_model"):
        make_match_stage(EngineSpec(db_path=str(path)))
    bad = EngineSpec(db_path=str(path), analysis=AnalysisConfig(embedding_model=str(tmp_path / "none.onnx")))
    with pytest.raises(ModelError, match="not found"):
        make_match_stage(bad)


def test_migrate_tolerates_a_gap_in_versions(tmp_path: Path) -> None:
    steps = [m for m in MIGRATIONS if m.version <= 3]
    conn = sqlite3.connect(tmp_path / "gap.db")
    db = Database(conn)
    migrate(db, tmp_path / "gap.db", steps)
    assert current_version(conn) == 3
    v6 = next(m for m in MIGRATIONS if m.version == 6)
    migrate(
        db,
        tmp_path / "gap.db",
        [*steps, v6, Migration(9, "later", "CREATE TABLE later_feature (x INTEGER);")],
    )
    assert current_version(conn) == 9
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "watchlists", "watchlist_embeddings", "later_feature"} <= tables
    conn.close()
