"""At station start: make sure the signing key exists (its creation is audited) and log the audit chain head
every hour, so truncating the chain inside the database is detectable from the log files outside it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
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


HEAD_LINE = re.compile(r"audit chain head: (\d+) rows, newest hash ([0-9a-f]{64})")


def logged_head(log_file: Path) -> tuple[int, str] | None:
    """(rows, hash) of the newest audit-head line in ``log_file`` (None if it has none)."""
    found = None
    try:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = HEAD_LINE.search(line)
                if m:
                    found = (int(m.group(1)), m.group(2))
    except OSError as exc:
        raise UserError(f"cannot read the log {log_file}: {exc.strerror or exc}") from exc
    return found


def check_head(db: Database, head: str, rows: int | None = None) -> tuple[bool, str]:
    """Is the head noted earlier (from the log, or by hand) still in the chain? A chain cut back to an
    earlier row, or rewritten from some row on, verifies on its own but loses that row."""
    h = head.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", h):
        raise UserError("--head: give the 64 hex digits of the newest hash noted earlier")
    row = db.conn.execute("SELECT seq FROM audit_log WHERE hash = ?", (h,)).fetchone()
    total = int(db.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    if row is None:
        was = f" (row {rows} of the logged chain)" if rows else ""
        return False, (
            f"the noted head {h[:16]}...{was} is not in the chain: rows were removed or rewritten "
            f"after it was noted (the chain now has {total} rows)"
        )
    if rows is not None and int(row[0]) != rows:
        return False, f"the noted head is row {row[0]} now, but was row {rows}: the chain was rewritten"
    return True, f"the noted head is row {row[0]}; {total - int(row[0])} row(s) were added since"


def audit_head_task(call: WriterCall, interval_s: float = 3600.0) -> PeriodicTask:
    return PeriodicTask("audit-head", lambda: call(log_audit_head), interval_s)
