"""Watchlists: governed enrolment, second admin, expiry purge, audited changes, the per-site switch."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sqlite_utils import Database

from app.security import PermissionDenied, Role, add_user, authenticate, create_first_admin
from app.store import AuditLog, open_db
from app.watchlist import (
    EnrolRequest,
    WatchlistError,
    approve,
    create_watchlist,
    enrol,
    list_identities,
    purge_expired,
    remove_identity,
    set_matching,
    set_second_admin_policy,
    update_watchlist,
)
from app.watchlist.identities import add_embeddings

PW = "correct horse battery"


def unit(seed: int, dim: int = 128) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def db(tmp_path: Path):
    d = open_db(tmp_path / "vigil.sqlite3")
    create_first_admin(d, "root", PW)
    yield d
    d.close()


@pytest.fixture
def admin(db: Database):
    return authenticate(db, "root", PW)


def _last(db: Database):
    return AuditLog.rows(db)[-1]


def test_enrolment_needs_reason_legal_basis_and_a_sane_expiry(db: Database, admin) -> None:
    wl = create_watchlist(db, admin, "mall", "banned")
    vec = unit(1)[None, :]
    for req, msg in [
        (EnrolRequest(wl.id, "A", "", "ban notice"), "needs a reason"),
        (EnrolRequest(wl.id, "A", "theft", "  "), "legal basis"),
        (EnrolRequest(wl.id, "A", "theft", "ban", expires_days=0), "expiry"),
        (EnrolRequest(wl.id, "", "theft", "ban"), "name or label"),
    ]:
        with pytest.raises(WatchlistError, match=msg):
            enrol(db, admin, req, vec, "m")
    with pytest.raises(WatchlistError, match="no face"):
        enrol(db, admin, EnrolRequest(wl.id, "A", "theft", "ban"), np.zeros((0, 128), np.float32), "m")
    assert db.execute("SELECT count(*) FROM watchlist_identities").fetchone()[0] == 0

    before = time.time()
    ident = enrol(db, admin, EnrolRequest(wl.id, "Shoplifter 7", "theft 3 May", "ban notice 12"), vec, "m")
    assert ident.enrolled_by == "root" and ident.approved_by == "root" and ident.embeddings == 1
    assert ident.expires_at == pytest.approx(before + 30 * 86400, abs=5)  # default 30 days
    row = _last(db)
    assert (row.actor, row.action, row.target) == ("root", "watchlist.enrol", f"identity:{ident.id}")
    assert row.details["reason"] == "theft 3 May" and row.details["legal_basis"] == "ban notice 12"
    # embeddings, never photos: the only blob stored is the 128 float32 vector
    blob = db.execute("SELECT vector FROM watchlist_embeddings").fetchone()[0]
    assert len(blob) == 128 * 4


def test_second_admin_approval_when_the_site_requires_it(db: Database, admin) -> None:
    add_user(db, admin, "ann", Role.ADMIN, "ann password 1")
    ann = authenticate(db, "ann", "ann password 1")
    set_second_admin_policy(db, admin, "mall", True, "works council agreement")
    wl = create_watchlist(db, admin, "mall", "banned")
    ident = enrol(db, admin, EnrolRequest(wl.id, "X", "violence", "ban"), unit(2)[None, :], "m")
    assert ident.pending and _last(db).details["awaiting_second_admin"] is True
    with pytest.raises(PermissionDenied, match="second admin"):
        approve(db, admin, ident.id)
    assert _last(db).action == "access.denied"
    approved = approve(db, ann, ident.id)
    assert approved.approved_by == "ann" and not approved.pending
    assert (_last(db).actor, _last(db).action) == ("ann", "watchlist.approve")


def test_threshold_change_and_switch_are_audited_and_need_reasons(db: Database, admin) -> None:
    wl = create_watchlist(db, admin, "mall", "banned", colour="#FF0000")
    assert wl.colour == "#ff0000"
    with pytest.raises(WatchlistError, match="uncertain band"):
        update_watchlist(db, admin, wl.id, threshold=0.3, uncertain_band=0.4)
    update_watchlist(db, admin, wl.id, threshold=0.5)
    row = _last(db)
    assert row.action == "watchlist.threshold" and row.details["old"][0] == pytest.approx(0.4)
    assert row.details["new"][0] == pytest.approx(0.5)
    with pytest.raises(WatchlistError, match="needs a reason"):
        set_matching(db, admin, "mall", True, "   ")
    set_matching(db, admin, "mall", True, "police request 17")
    assert (_last(db).action, _last(db).details) == ("matching.on", {"reason": "police request 17"})
    set_matching(db, admin, "mall", False, "request withdrawn")
    assert _last(db).action == "matching.off"
    assert AuditLog.verify(db).ok


def test_expired_entries_are_purged_with_all_their_embeddings(db: Database, admin) -> None:
    wl = create_watchlist(db, admin, "mall", "banned")
    old = enrol(db, admin, EnrolRequest(wl.id, "Old", "theft", "ban", expires_days=1), unit(3)[None, :], "m")
    keep = enrol(
        db, admin, EnrolRequest(wl.id, "Keep", "theft", "ban", expires_days=60), unit(4)[None, :], "m"
    )
    add_embeddings(db, old.id, unit(5)[None, :], "m", "negative", "review:event:1")
    db.conn.commit()
    assert purge_expired(db, now=time.time() + 3600) == []
    purged = purge_expired(db, now=time.time() + 2 * 86400)
    assert purged == [old.id]
    left = db.execute("SELECT identity_id, kind FROM watchlist_embeddings").fetchall()
    assert left == [(keep.id, "positive")]  # the negative went with its identity
    row = _last(db)
    assert (row.actor, row.action, row.target) == ("system", "watchlist.purge", f"identity:{old.id}")
    assert [i.label for i in list_identities(db, admin)] == ["Keep"]
    assert _last(db).action == "watchlist.view"  # listing enrolled people is audited


def test_removal_deletes_the_vectors_and_is_audited(db: Database, admin) -> None:
    wl = create_watchlist(db, admin, "mall", "banned")
    ident = enrol(db, admin, EnrolRequest(wl.id, "Gone", "theft", "ban"), np.stack([unit(6), unit(7)]), "m")
    with pytest.raises(WatchlistError, match="reason"):
        remove_identity(db, admin, ident.id, "")
    remove_identity(db, admin, ident.id, "ban lifted")
    assert db.execute("SELECT count(*) FROM watchlist_embeddings").fetchone()[0] == 0
    assert _last(db).details == {"label": "Gone", "watchlist": "banned", "reason": "ban lifted"}
