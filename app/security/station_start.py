"""At station start: make sure the signing key exists (its creation is audited) and log the audit chain head
every hour, so truncating the chain inside the database is detectable from the log files outside it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from app.errors import UserError
from app.housekeeping import PeriodicTask
from app.security.station_key import StationKey, load_or_create
from app.store.audit import AuditLog

log = logging.getLogger("vigil.security")

WriterCall = Callable[[Callable[[Database], Any]], Any]


def ensure_station_key(call: WriterCall) -> StationKey | None:
    """Load or create the key; a new key goes into the audit log with its public half and fingerprint."""
    try:
        key, created = load_or_create()
    except UserError as exc:
        log.error("station signing key: %s", exc)
        return None
    pub = key.public
    log.info("station signing key fingerprint %s", pub.fingerprint)
    if created:
        details = {"algorithm": "ed25519", "public_key": pub.b64, "fingerprint": pub.fingerprint}
        call(lambda db: AuditLog.append(db, "station", "station_key.created", "station", details))
    return key


def log_audit_head(db: Database) -> str:
    """Write the chain's row count and newest hash to the log (and return the line)."""
    row = db.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    line = f"audit chain head: {row[0]} rows, newest hash {row[1]}" if row else "audit chain head: empty"
    log.info("%s", line)
    return line


def audit_head_task(call: WriterCall, interval_s: float = 3600.0) -> PeriodicTask:
    return PeriodicTask("audit-head", lambda: call(log_audit_head), interval_s)
