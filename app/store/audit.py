"""Append-only audit log, hash-chained so that any changed, inserted or removed row is detectable.

``hash = sha256(prev_hash + canonical JSON of [seq, at, actor, action, target, details])``; the first row's
``prev_hash`` is 64 zeros. Triggers refuse UPDATE and DELETE; ``verify`` catches edits made around them
(trigger dropped, file edited by hand). Retention never purges this table: deleting old rows would break
the chain, and the log holds who-did-what, not faces.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any

from sqlite_utils import Database

from app.store.records import AuditRow, AuditVerdict

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def row_hash(prev_hash: str, seq: int, at: float, actor: str, action: str, target: str, details: Any) -> str:
    payload = canonical_json([seq, at, actor, action, target, details])
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


class AuditLog:
    """Static helpers over the ``audit_log`` table; append only on the writer thread (``StoreWriter.call``)."""

    @staticmethod
    def append(
        db: Database, actor: str, action: str, target: str = "", details: dict[str, Any] | None = None
    ) -> AuditRow:
        """Add one entry chained to the newest one; atomic (joins the caller's transaction if one is open)."""
        # round-trip through JSON so the hashed value is exactly what verify() will read back
        data = json.loads(canonical_json(details or {}))
        conn = db.conn
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN IMMEDIATE")
        try:
            last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            at = time.time()
            digest = row_hash(prev, seq, at, actor, action, target, data)
            conn.execute(
                "INSERT INTO audit_log(seq, at, actor, action, target, details, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, actor, action, target, canonical_json(data), prev, digest),
            )
            if own:
                conn.execute("COMMIT")
        except BaseException:
            if own and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return AuditRow(seq, at, actor, action, target, data, prev, digest)

    @staticmethod
    def rows(conn: sqlite3.Connection | Database, since_seq: int = 0, limit: int = 1000) -> list[AuditRow]:
        """Entries with ``seq > since_seq`` in order (for display and export)."""
        c = conn.conn if isinstance(conn, Database) else conn
        cur = c.execute(
            "SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (since_seq, limit),
        )
        return [AuditRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in cur]

    @staticmethod
    def verify(db: sqlite3.Connection | Database) -> AuditVerdict:
        """Walk the whole chain; report the first row whose content, link or position is wrong."""
        conn = db.conn if isinstance(db, Database) else db
        total = int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
        cur = conn.execute(
            "SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        prev, expected, count = GENESIS, 1, total
        for seq, at, actor, action, target, details_text, prev_hash, digest in cur:
            if seq != expected:
                return AuditVerdict(
                    False, count, expected, f"row {expected} is missing (next row is {seq})", prev
                )
            if prev_hash != prev:
                return AuditVerdict(False, count, seq, f"row {seq} does not link to row {seq - 1}", prev)
            try:
                details = json.loads(details_text)
            except (TypeError, ValueError):
                return AuditVerdict(False, count, seq, f"row {seq} has unreadable details", prev)
            if (
                not isinstance(at, float | int)
                or row_hash(prev, seq, at, actor, action, target, details) != digest
            ):
                return AuditVerdict(False, count, seq, f"row {seq} was changed after it was written", prev)
            prev, expected = digest, expected + 1
        return AuditVerdict(True, count, None, f"{count} audit rows, chain intact", prev)
