"""Open the event store: WAL, busy timeout, foreign keys, full sync, schema migrated (backup first).

``open_db`` is for the one writer (and tests, tools); readers use ``connect_readonly``. Every failure a
user can cause (text file, damaged file, read-only folder, full disk) becomes a ``StoreError`` naming the
file and the fix; nothing here ever deletes or recreates an existing file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from app.store.errors import StoreError, store_error
from app.store.migrations import SCHEMA_VERSION, current_version, migrate

__all__ = ["SCHEMA_VERSION", "open_db", "connect_readonly", "integrity_check", "BUSY_TIMEOUT_S"]

log = logging.getLogger("vigil.store")

BUSY_TIMEOUT_S = 10.0
# After a checkpoint the -wal file is truncated to this size, so one burst cannot keep it large forever.
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder; give a database file such as --db {path / 'vigil.sqlite3'}")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {folder} for the event store: {exc.strerror or exc}; "
            "choose a writable --db path"
        ) from exc
    if path.exists() and not os.access(path, os.R_OK):
        raise StoreError(f"cannot read the event store {path} (permission denied); fix its permissions")
    # WAL needs <db>-wal and <db>-shm next to the file: the folder must be writable, not only the file
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"the folder {folder} is read-only; the event store {path.name} and its -wal/-shm files must be "
            "written there - choose a writable --db path or fix the folder's permissions"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            f"the event store {path} is read-only; Vigil needs write access to it (fix its permissions "
            "or choose another --db path)"
        )


def _configure(conn: sqlite3.Connection) -> str:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL in WAL mode: each commit is fsynced, so a committed batch survives power loss as well as a kill
    conn.execute("PRAGMA synchronous = FULL")
    # deleted face crops are overwritten, not left in free pages (privacy)
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    return mode


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the event store at ``path``, for writing.

    The connection may be handed to another thread (``check_same_thread=False``) but must be used by one
    thread at a time: in the station that is the ``StoreWriter`` thread.
    """
    p = Path(path).expanduser()
    try:
        _check_path(p)
    except OSError as exc:  # e.g. a parent folder we may not even look into
        raise store_error(exc, p) from exc
    try:
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    except sqlite3.Error as exc:
        raise store_error(exc, p) from exc
    try:
        # the first read of the header: "file is not a database" / "malformed" surface here
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        mode = _configure(conn)
        if mode != "wal":
            log.warning(
                "event store %s: journal mode is %s, not WAL (file system without WAL support?)", p, mode
            )
        db = Database(conn)
        migrate(db, p)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(exc, p) from exc
    except BaseException:
        conn.close()
        raise
    return db


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection (``mode=ro`` and ``query_only``) to an existing, migrated event store."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise StoreError(f"the event store {p} does not exist; start the station once or check --db")
    try:
        conn = sqlite3.connect(
            p.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise store_error(exc, p) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA query_only = ON")
        version = current_version(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(exc, p) from exc
    if version == 0:
        conn.close()
        raise StoreError(f"{p} is not a Vigil event store (no schema); check --db")
    if version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"the event store {p} has schema v{version}, newer than this Vigil (v{SCHEMA_VERSION})"
        )
    return conn


def integrity_check(path: Path | str) -> list[str]:
    """``PRAGMA integrity_check`` on a read-only connection: ``["ok"]`` when the file is sound."""
    p = Path(path).expanduser()
    try:
        conn = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            return [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise store_error(exc, p) from exc
