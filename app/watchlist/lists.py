"""Watchlists of a site and the per-site matching switch. Admin only; every change is audited."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from app.errors import UserError
from app.security.db import transaction
from app.security.roles import Permission
from app.security.session import Session, require
from app.store.audit import AuditLog
from app.watchlist.records import (
    DEFAULT_COLOUR,
    DEFAULT_THRESHOLD,
    DEFAULT_UNCERTAIN_BAND,
    SiteMatching,
    Watchlist,
)

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class WatchlistError(UserError):
    """A watchlist request that cannot be done as asked (unknown list, bad threshold, missing reason...)."""


def _check_site(site_id: str) -> str:
    if not _SITE.fullmatch(site_id or ""):
        raise WatchlistError(f"invalid site id {site_id!r}; use the id of a [[sites]] entry in the settings")
    return site_id


def _check_limits(threshold: float, band: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise WatchlistError(f"threshold must be between 0 and 1 (cosine similarity), got {threshold}")
    if not 0.0 <= band < threshold:
        raise WatchlistError(
            f"the uncertain band must be between 0 and the threshold ({threshold}), got {band}"
        )


def _check_colour(colour: str) -> str:
    if not _COLOUR.fullmatch(colour):
        raise WatchlistError(f"colour must look like #rrggbb, got {colour!r}")
    return colour.lower()


def _need_reason(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise WatchlistError(f"{what} needs a reason (it is recorded in the audit log)")
    return text


_LIST_SELECT = """
SELECT w.id, w.site_id, w.name, w.colour, w.sound, w.threshold, w.uncertain_band,
       (SELECT count(*) FROM watchlist_identities i WHERE i.watchlist_id = w.id)
FROM watchlists w
"""


def _row(r: tuple) -> Watchlist:  # type: ignore[type-arg]
    return Watchlist(r[0], r[1], r[2], r[3], r[4], float(r[5]), float(r[6]), int(r[7]))


def list_watchlists(db: Database, site_id: str | None = None) -> list[Watchlist]:
    """Names, colours and thresholds (no personal data: any logged-in user may see them)."""
    if site_id:
        rows = db.execute(_LIST_SELECT + " WHERE w.site_id = ? ORDER BY w.name", [site_id]).fetchall()
    else:
        rows = db.execute(_LIST_SELECT + " ORDER BY w.site_id, w.name").fetchall()
    return [_row(r) for r in rows]


def get_watchlist(db: Database, watchlist_id: int) -> Watchlist:
    r = db.execute(_LIST_SELECT + " WHERE w.id = ?", [watchlist_id]).fetchone()
    if r is None:
        raise WatchlistError(f"no watchlist with id {watchlist_id}; see 'vigil watchlist list'")
    return _row(r)


def find_watchlist(db: Database, site_id: str, name: str) -> Watchlist | None:
    r = db.execute(_LIST_SELECT + " WHERE w.site_id = ? AND w.name = ?", [site_id, name]).fetchone()
    return _row(r) if r else None


def create_watchlist(
    db: Database,
    session: Session | None,
    site_id: str,
    name: str,
    colour: str = DEFAULT_COLOUR,
    sound: str = "",
    threshold: float = DEFAULT_THRESHOLD,
    uncertain_band: float = DEFAULT_UNCERTAIN_BAND,
) -> Watchlist:
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"site:{site_id}")
    _check_site(site_id)
    name = name.strip()
    if not name:
        raise WatchlistError("a watchlist needs a name")
    colour = _check_colour(colour)
    _check_limits(threshold, uncertain_band)
    if find_watchlist(db, site_id, name) is not None:
        raise WatchlistError(f"site {site_id} already has a watchlist named {name!r}")
    with transaction(db):
        cur = db.execute(
            "INSERT INTO watchlists(site_id, name, colour, sound, threshold, uncertain_band, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [site_id, name, colour, sound, threshold, uncertain_band, time.time(), actor],
        )
        wid = int(cur.lastrowid or 0)
        AuditLog.append(
            db,
            actor,
            "watchlist.create",
            f"watchlist:{wid}",
            {"site": site_id, "name": name, "colour": colour, "threshold": threshold, "band": uncertain_band},
        )
    return get_watchlist(db, wid)


def update_watchlist(
    db: Database,
    session: Session | None,
    watchlist_id: int,
    *,
    threshold: float | None = None,
    uncertain_band: float | None = None,
    colour: str | None = None,
    sound: str | None = None,
) -> Watchlist:
    """Change a list's settings; threshold changes are audited with old and new values."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"watchlist:{watchlist_id}")
    old = get_watchlist(db, watchlist_id)
    new_t = old.threshold if threshold is None else float(threshold)
    new_b = old.uncertain_band if uncertain_band is None else float(uncertain_band)
    _check_limits(new_t, new_b)
    new_c = old.colour if colour is None else _check_colour(colour)
    new_s = old.sound if sound is None else sound
    with transaction(db):
        db.execute(
            "UPDATE watchlists SET threshold = ?, uncertain_band = ?, colour = ?, sound = ? WHERE id = ?",
            [new_t, new_b, new_c, new_s, watchlist_id],
        )
        if (new_t, new_b) != (old.threshold, old.uncertain_band):
            AuditLog.append(
                db,
                actor,
                "watchlist.threshold",
                f"watchlist:{watchlist_id}",
                {"old": [old.threshold, old.uncertain_band], "new": [new_t, new_b], "name": old.name},
            )
        if (new_c, new_s) != (old.colour, old.sound):
            AuditLog.append(
                db, actor, "watchlist.update", f"watchlist:{watchlist_id}", {"colour": new_c, "sound": new_s}
            )
    return get_watchlist(db, watchlist_id)


def site_matching(db: Database, site_id: str) -> SiteMatching:
    r = db.execute(
        "SELECT enabled, require_second_admin, reason, changed_by, changed_at FROM site_matching "
        "WHERE site_id = ?",
        [site_id],
    ).fetchone()
    if r is None:
        return SiteMatching(site_id)
    return SiteMatching(site_id, bool(r[0]), bool(r[1]), r[2], r[3], r[4])


def _upsert(db: Database, state: SiteMatching) -> None:
    db.execute(
        "INSERT INTO site_matching(site_id, enabled, require_second_admin, reason, changed_by, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(site_id) DO UPDATE SET enabled = excluded.enabled, "
        "require_second_admin = excluded.require_second_admin, reason = excluded.reason, "
        "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        [state.site_id, int(state.enabled), int(state.require_second_admin), state.reason,
         state.changed_by, state.changed_at],
    )  # fmt: skip


def set_matching(
    db: Database, session: Session | None, site_id: str, enabled: bool, reason: str
) -> SiteMatching:
    """Switch matching on or off for a site, with a recorded reason. The only way to enable it:
    ``SiteConfig.watchlist_enabled`` in the settings file is not enough (see README)."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"site:{site_id}")
    _check_site(site_id)
    text = _need_reason(reason, "switching matching on or off")
    old = site_matching(db, site_id)
    state = SiteMatching(site_id, enabled, old.require_second_admin, text, actor, time.time())
    with transaction(db):
        _upsert(db, state)
        AuditLog.append(
            db, actor, "matching.on" if enabled else "matching.off", f"site:{site_id}", {"reason": text}
        )
    return state


def set_second_admin_policy(
    db: Database, session: Session | None, site_id: str, required: bool, reason: str
) -> SiteMatching:
    """Whether enrolments at this site need a second admin's approval before they match."""
    actor = require(db, session, Permission.MANAGE_WATCHLISTS, f"site:{site_id}")
    _check_site(site_id)
    text = _need_reason(reason, "changing the approval policy")
    old = site_matching(db, site_id)
    state = SiteMatching(
        site_id, old.enabled, required, old.reason, old.changed_by, old.changed_at or time.time()
    )
    with transaction(db):
        _upsert(db, state)
        AuditLog.append(
            db,
            actor,
            "watchlist.policy",
            f"site:{site_id}",
            {"require_second_admin": required, "reason": text},
        )
    return state


def watchlist_sound(db_path: str | Path, watchlist_id: int) -> str:
    """The alert sound file configured for a watchlist ("" for the default alert), read-only."""
    from app.store.db import connect_readonly

    try:
        con = connect_readonly(db_path)
    except Exception:  # no store yet: the default alert
        return ""
    try:
        row = con.execute("SELECT sound FROM watchlists WHERE id = ?", [int(watchlist_id)]).fetchone()
    except sqlite3.Error:
        return ""
    finally:
        con.close()
    return str(row[0] or "") if row else ""
