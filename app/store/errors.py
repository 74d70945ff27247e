"""Turn SQLite failures into one-line messages that name the file and the fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.errors import UserError


class StoreError(UserError):
    """The event store cannot be opened or written (bad path, permissions, full disk, damaged file)."""


def error_name(exc: BaseException) -> str:
    """SQLite's primary error name (``SQLITE_FULL``...), or '' when ``exc`` is not an SQLite error."""
    name = getattr(exc, "sqlite_errorname", None)
    if not isinstance(name, str):
        text = str(exc).lower()
        if "is not a database" in text:
            return "SQLITE_NOTADB"
        if "malformed" in text:
            return "SQLITE_CORRUPT"
        if "readonly" in text or "read-only" in text:
            return "SQLITE_READONLY"
        if "disk is full" in text:
            return "SQLITE_FULL"
        if "locked" in text:
            return "SQLITE_BUSY"
        return ""
    # extended codes look like SQLITE_IOERR_WRITE / SQLITE_READONLY_DIRECTORY: keep the primary part
    parts = name.split("_")
    return "_".join(parts[:2]) if len(parts) > 2 else name


def describe_error(exc: BaseException, path: Path | str) -> str:
    """A clear one-line message for an SQLite (or OS) error on the database at ``path``."""
    p = str(path)
    name = error_name(exc)
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return f"cannot use the event store {p}: {exc.strerror or exc}; choose a writable --db path"
    if name == "SQLITE_NOTADB":
        return (
            f"{p} is not an SQLite database (wrong file?); choose another --db path or move that file away "
            "- Vigil never overwrites it"
        )
    if name == "SQLITE_CORRUPT":
        return (
            f"the event store {p} is damaged ({exc}); stop Vigil, keep a copy of the file, then restore the "
            f"newest backup ({Path(p).name}.v*.bak) or repair it with: sqlite3 {p} .recover"
        )
    if name in ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH"):
        return (
            f"the event store {p} is read-only; Vigil needs write access to the file and its folder "
            "(fix the permissions or choose another --db path)"
        )
    if name == "SQLITE_CANTOPEN":
        return (
            f"cannot open the event store {p} (its folder is missing or not writable); "
            "choose a writable --db path or fix the folder's permissions"
        )
    if name == "SQLITE_FULL":
        return f"the disk holding the event store {p} is full (or its size limit is reached); free some space"
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return f"the event store {p} is locked by another program (another Vigil?); close it and retry"
    if name == "SQLITE_IOERR":
        return f"disk I/O error on the event store {p} ({exc}); check the disk and its free space"
    return f"event store {p}: {exc}"


def store_error(exc: BaseException, path: Path | str) -> StoreError:
    return StoreError(describe_error(exc, path))


def is_item_error(exc: BaseException) -> bool:
    """True when ``exc`` is caused by one bad item (constraint, bad value) rather than by the database
    or the disk, so retrying the same item can never succeed."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.InterfaceError | sqlite3.ProgrammingError):
        return True
    if isinstance(exc, sqlite3.Error):
        return False
    return isinstance(exc, ValueError | TypeError | OverflowError | KeyError | AttributeError)
