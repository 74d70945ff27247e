"""Adapters from the exporter's ``AuditSink`` to the store's hash-chained ``AuditLog``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.store.audit import AuditLog
from app.store.db import open_db
from app.store.writer import StoreWriter


class DbAuditSink:
    """Appends through its own short-lived connection (CLI, or no station running). ``AuditLog.append``
    takes an IMMEDIATE transaction, so the chain stays intact beside a running station."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    def append(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
        db = open_db(self.db_path)
        try:
            AuditLog.append(db, actor, action, target, details)
        finally:
            db.conn.close()


class WriterAuditSink:
    """Appends on the station's writer thread (the GUI's exports)."""

    def __init__(self, writer: StoreWriter, timeout: float = 10.0) -> None:
        self.writer = writer
        self.timeout = timeout

    def append(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
        self.writer.call(lambda db: AuditLog.append(db, actor, action, target, details)).result(self.timeout)
