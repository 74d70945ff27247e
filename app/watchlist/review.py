"""Supervisors look at a match (audited) and mark it "confirmed" or "not this person".

A rejection stores the face's embedding (re-computed from the event's face crop) as a negative example
of that identity, which lowers its score for similar faces later (see ``gallery``). Negatives belong to
the identity: they are purged with it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import numpy as np
from sqlite_utils import Database

from app.domain import EventKind
from app.security.db import transaction
from app.security.roles import Permission
from app.security.session import Session, require
from app.store.audit import AuditLog
from app.watchlist.identities import add_embeddings
from app.watchlist.lists import WatchlistError
from app.watchlist.records import MatchView

CONFIRMED, REJECTED = "confirmed", "rejected"


def _load(db: Database, event_id: int) -> MatchView:
    r = db.execute(
        "SELECT e.at, e.camera_id, e.kind, e.details, t.jpeg, r.decision, r.reviewed_by FROM events e "
        "LEFT JOIN event_thumbnails t ON t.event_id = e.id LEFT JOIN match_reviews r ON r.event_id = e.id "
        "WHERE e.id = ?",
        [event_id],
    ).fetchone()
    if r is None or r[2] != EventKind.WATCHLIST_MATCH.value:
        raise WatchlistError(f"event {event_id} is not a watchlist match")
    details = json.loads(r[3] or "{}")
    iid = details.get("identity_id")
    label_row = db.execute("SELECT label FROM watchlist_identities WHERE id = ?", [iid]).fetchone()
    return MatchView(
        event_id=event_id,
        at=r[0],
        camera_id=r[1],
        watchlist_name=str(details.get("watchlist", "")),
        identity_id=int(iid) if label_row else None,
        identity_label=label_row[0] if label_row else "(entry removed or expired)",
        similarity=float(details.get("similarity", 0.0)),
        margin=float(details.get("margin", 0.0)),
        thumbnail_jpeg=r[4],
        review=r[5],
        reviewed_by=r[6],
    )


def view_match(db: Database, session: Session | None, event_id: int) -> MatchView:
    """The match with its face crop and the enrolled label; every view is audited."""
    actor = require(db, session, Permission.VIEW_MATCH, f"event:{event_id}")
    view = _load(db, event_id)
    AuditLog.append(db, actor, "match.view", f"event:{event_id}", {"identity": view.identity_id})
    return view


def review_match(
    db: Database,
    session: Session | None,
    event_id: int,
    decision: str,
    note: str = "",
    negative: Callable[[bytes], tuple[np.ndarray, str] | None] | None = None,
) -> MatchView:
    """Record a supervisor's decision once per event. For a rejection, ``negative(thumbnail)`` gives
    (embedding, model_id) of the face, stored as a negative example of the identity."""
    actor = require(db, session, Permission.REVIEW_MATCH, f"event:{event_id}")
    if decision not in (CONFIRMED, REJECTED):
        raise WatchlistError(f"a review is '{CONFIRMED}' or '{REJECTED}', not {decision!r}")
    view = _load(db, event_id)
    if view.review is not None:
        raise WatchlistError(f"event {event_id} was already reviewed ({view.review} by {view.reviewed_by})")
    vector = None
    if decision == REJECTED and view.identity_id is not None and view.thumbnail_jpeg and negative is not None:
        vector = negative(view.thumbnail_jpeg)
    with transaction(db):
        db.execute(
            "INSERT INTO match_reviews(event_id, identity_id, decision, reviewed_by, reviewed_at, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [event_id, view.identity_id, decision, actor, time.time(), note],
        )
        if vector is not None and view.identity_id is not None:
            add_embeddings(
                db, view.identity_id, vector[0][None, :], vector[1], "negative", f"review:event:{event_id}"
            )
        AuditLog.append(
            db,
            actor,
            f"match.{decision}",
            f"event:{event_id}",
            {"identity": view.identity_id, "negative_stored": vector is not None, "note": note},
        )
    return _load(db, event_id)
