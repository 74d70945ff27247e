"""Enrolment, second-admin approval, removal and expiry of watchlist identities.

Only embeddings are kept (never photos). An identity and all its embeddings - including the negative
examples added by "not this person" reviews - are deleted together when removed or when it expires.
"""

from __future__ import annotations

import time

import numpy as np
from sqlite_utils import Database

from app.security.db import transaction
from app.security.errors import PermissionDenied
from app.security.roles import Permission
from app.security.session import Session, require
from app.store.audit import AuditLog
from app.watchlist.lists import WatchlistError, _need_reason, get_watchlist, site_matching
from app.watchlist.records import MAX_EXPIRY_DAYS, EnrolRequest, Identity

SYSTEM = "system"

_IDENTITY_SELECT = """
SELECT i.id, i.watchlist_id, w.name, w.site_id, i.label, i.reason, i.legal_basis, i.enrolled_by,
       i.enrolled_at, i.expires_at, i.approved_by,
       (SELECT count(*) FROM watchlist_embeddings e WHERE e.identity_id = i.id AND e.kind = 'positive'),
       (SELECT count(*) FROM watchlist_embeddings e WHERE e.identity_id = i.id AND e.kind = 'negative')
FROM watchlist_identities i JOIN watchlists w ON w.id = i.watchlist_id
"""


def _identity(r: tuple) -> Identity:  # type: ignore[type-arg]
    return Identity(
        id=r[0],
        watchlist_id=r[1],
        watchlist_name=r[2],
        site_id=r[3],
        label=r[4],
        reason=r[5],
        legal_basis=r[6],
        enrolled_by=r[7],
        enrolled_at=r[8],
        expires_at=r[9],
        approved_by=r[10],
        embeddings=int(r[11]),
        negatives=int(r[12]),
    )


def get_identity(db: Database, identity_id: int) -> Identity:
    r = db.execute(_IDENTITY_SELECT + " WHERE i.id = ?", [identity_id]).fetchone()
    if r is None:
        raise WatchlistError(f"no watchlist entry with id {identity_id} (removed or expired?)")
    return _identity(r)


def list_identities(db: Database, session: Session | None, site_id: str | None = None) -> list[Identity]:
    """Enrolled people (admin only; the listing itself is audited)."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"site:{site_id or '*'}")
    if site_id:
        rows = db.execute(_IDENTITY_SELECT + " WHERE w.site_id = ? ORDER BY i.id", [site_id]).fetchall()
    else:
        rows = db.execute(_IDENTITY_SELECT + " ORDER BY i.id").fetchall()
    AuditLog.append(db, actor, "watchlist.view", f"site:{site_id or '*'}", {"entries": len(rows)})
    return [_identity(r) for r in rows]


def add_embeddings(
    db: Database,
    identity_id: int,
    vectors: np.ndarray,
    model_id: str,
    kind: str = "positive",
    source: str = "",
) -> int:
    """Store L2-normalised float32 vectors for an identity (inside the caller's transaction)."""
    v = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    now = time.time()
    for row in v:
        db.execute(
            "INSERT INTO watchlist_embeddings(identity_id, kind, model_id, dim, vector, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [identity_id, kind, model_id, int(v.shape[1]), row.tobytes(), source, now],
        )
    return len(v)


def enrol(
    db: Database, session: Session | None, request: EnrolRequest, embeddings: np.ndarray, model_id: str
) -> Identity:
    """Add a person to a watchlist from face embeddings (computed beforehand, outside any transaction).
    Needs a reason, a legal basis and an expiry; waits for a second admin where the site requires it."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"watchlist:{request.watchlist_id}")
    wl = get_watchlist(db, request.watchlist_id)
    label = request.label.strip()
    if not label:
        raise WatchlistError("an entry needs a name or label for the person")
    reason = _need_reason(request.reason, "an enrolment")
    basis = (request.legal_basis or "").strip()
    if not basis:
        raise WatchlistError("an enrolment needs a legal basis (e.g. the ban notice or the law it relies on)")
    if not 0 < request.expires_days <= MAX_EXPIRY_DAYS:
        raise WatchlistError(
            f"expiry must be between 1 and {MAX_EXPIRY_DAYS} days, got {request.expires_days}"
        )
    if len(embeddings) == 0:
        raise WatchlistError("no face to enrol: give at least one image with a face")
    pending = site_matching(db, wl.site_id).require_second_admin
    now = time.time()
    expires = now + request.expires_days * 86400.0
    with transaction(db):
        cur = db.execute(
            "INSERT INTO watchlist_identities(watchlist_id, label, reason, legal_basis, enrolled_by, "
            "enrolled_at, expires_at, approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                wl.id,
                label,
                reason,
                basis,
                actor,
                now,
                expires,
                None if pending else actor,
                None if pending else now,
            ],
        )
        iid = int(cur.lastrowid or 0)
        n = add_embeddings(db, iid, embeddings, model_id, "positive", request.source)
        AuditLog.append(
            db,
            actor,
            "watchlist.enrol",
            f"identity:{iid}",
            {
                "watchlist": wl.name,
                "site": wl.site_id,
                "label": label,
                "reason": reason,
                "legal_basis": basis,
                "expires_at": round(expires, 3),
                "embeddings": n,
                "source": request.source,
                "awaiting_second_admin": pending,
            },
        )
    return get_identity(db, iid)


def approve(db: Database, session: Session | None, identity_id: int) -> Identity:
    """A second admin (not the one who enrolled) approves a pending entry; only then can it match."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"identity:{identity_id}")
    ident = get_identity(db, identity_id)
    if not ident.pending:
        raise WatchlistError(f"entry {identity_id} was already approved by {ident.approved_by}")
    if actor == ident.enrolled_by:
        AuditLog.append(db, actor, "access.denied", f"identity:{identity_id}", {"why": "self-approval"})
        raise PermissionDenied(f"{actor} enrolled entry {identity_id}; a second admin must approve it")
    with transaction(db):
        db.execute(
            "UPDATE watchlist_identities SET approved_by = ?, approved_at = ? WHERE id = ?",
            [actor, time.time(), identity_id],
        )
        AuditLog.append(db, actor, "watchlist.approve", f"identity:{identity_id}", {"label": ident.label})
    return get_identity(db, identity_id)


def _delete(db: Database, identity_id: int) -> None:
    # explicit, not only ON DELETE CASCADE: a connection without foreign_keys=ON must not leave vectors
    db.execute("DELETE FROM watchlist_embeddings WHERE identity_id = ?", [identity_id])
    db.execute("UPDATE match_reviews SET identity_id = NULL WHERE identity_id = ?", [identity_id])
    db.execute("DELETE FROM watchlist_identities WHERE id = ?", [identity_id])


def remove_identity(db: Database, session: Session | None, identity_id: int, reason: str) -> None:
    """Delete an entry with all its embeddings (positive and negative)."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"identity:{identity_id}")
    text = _need_reason(reason, "removing an entry")
    ident = get_identity(db, identity_id)
    with transaction(db):
        _delete(db, identity_id)
        AuditLog.append(
            db,
            actor,
            "watchlist.remove",
            f"identity:{identity_id}",
            {"label": ident.label, "watchlist": ident.watchlist_name, "reason": text},
        )


def purge_expired(db: Database, now: float | None = None, actor: str = SYSTEM) -> list[int]:
    """Delete every entry past its expiry date with its embeddings; returns their ids (each audited).
    Runs without a login: removing expired data is always allowed (and required)."""
    t = time.time() if now is None else now
    with transaction(db):
        rows = db.execute(
            "SELECT i.id, i.label, w.name, i.expires_at FROM watchlist_identities i "
            "JOIN watchlists w ON w.id = i.watchlist_id WHERE i.expires_at <= ?",
            [t],
        ).fetchall()
        for iid, label, wname, expires in rows:
            _delete(db, iid)
            AuditLog.append(
                db,
                actor,
                "watchlist.purge",
                f"identity:{iid}",
                {"label": label, "watchlist": wname, "expired_at": expires},
            )
    return [int(r[0]) for r in rows]
