"""Event store: SQLite (WAL) through sqlite-utils, one writer thread, read-only readers, audit log.

Wiring: ``StoreWriter(path).start()`` in bootstrap; ``StoreReader(path)`` per consumer; see README.
"""

from app.store.audit import AuditLog
from app.store.db import SCHEMA_VERSION, connect_readonly, integrity_check, open_db
from app.store.errors import StoreError
from app.store.migrations import MIGRATIONS, Migration
from app.store.queries import StoreReader
from app.store.records import (
    AuditRow,
    AuditVerdict,
    CameraRecord,
    EventAck,
    EventRow,
    PurgeReport,
    SiteRecord,
    StatusRow,
    TrackRow,
    TrackUpdate,
    WriterStats,
)
from app.store.retention import purge_older_than
from app.store.writer import StoreWriter

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditLog",
    "AuditRow",
    "AuditVerdict",
    "CameraRecord",
    "EventAck",
    "EventRow",
    "Migration",
    "PurgeReport",
    "SiteRecord",
    "StatusRow",
    "StoreError",
    "StoreReader",
    "StoreWriter",
    "TrackRow",
    "TrackUpdate",
    "WriterStats",
    "connect_readonly",
    "integrity_check",
    "open_db",
    "purge_older_than",
]
