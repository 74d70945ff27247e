"""Bad input gives a clear UserError naming the file, and never loses or overwrites stored rows."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain import Event, EventKind
from app.errors import UserError
from app.store import StoreReader, StoreWriter, integrity_check, open_db

T0 = 1_700_000_000.0


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` really unwritable: chmod for normal users; root ignores modes, so use the immutable
    attribute there (skip when the file system or container does not allow it)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if (
        not shutil.which("chattr")
        or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
    ):
        pytest.skip("running as root without chattr +i: cannot make a path read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _store_with_events(path: Path, n: int) -> None:
    w = StoreWriter(path)
    w.start()
    for i in range(n):
        w.submit(Event(T0 + i, "cam1", EventKind.NO_MASK, track_id=i))
    w.stop()


def test_a_text_file_is_refused_by_name_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: milk, eggs\n" * 50)
    before = path.read_bytes()
    with pytest.raises(UserError, match="not an SQLite database") as exc:
        open_db(path)
    assert str(path) in str(exc.value)
    with pytest.raises(UserError, match="not an SQLite database"):
        StoreWriter(path).start()
    assert path.read_bytes() == before


def test_a_damaged_database_is_reported_and_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    _store_with_events(path, 20)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\x5a" * (4096 - 100)  # garble the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="damaged") as exc:
        open_db(path)
    assert str(path) in str(exc.value) and ".bak" in str(exc.value)
    with pytest.raises(UserError, match="damaged"):
        StoreReader(path)
    assert path.read_bytes() == bytes(data)


def test_a_folder_as_db_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a folder"):
        open_db(tmp_path)


def test_a_read_only_folder_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    existing = folder / "old.sqlite3"
    _store_with_events(existing, 3)
    with read_only(folder):
        with pytest.raises(UserError, match="read-only") as exc:
            open_db(folder / "new.sqlite3")
        assert str(folder) in str(exc.value)
        with pytest.raises(UserError, match="read-only"):
            StoreWriter(existing).start()
    assert integrity_check(existing) == ["ok"]
    with StoreReader(existing) as reader:
        assert reader.counts()["events"] == 3


def test_a_read_only_database_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    _store_with_events(path, 2)
    with read_only(path), pytest.raises(UserError, match="read-only") as exc:
        open_db(path)
    assert str(path) in str(exc.value)


def test_full_disk_keeps_items_in_memory_and_writes_them_when_space_returns(tmp_path: Path) -> None:
    errors: list[str] = []
    path = tmp_path / "v.db"
    w = StoreWriter(path, flush_interval_s=0.02, on_error=errors.append)
    w.start()
    try:
        for i in range(20):
            w.submit(Event(T0 + i, "cam1", EventKind.NO_MASK, track_id=i))
        assert w.flush()

        def cap_at_current_size(db) -> int:
            pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
            return db.conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0]

        w.call(cap_at_current_size).result(timeout=5)
        crop = os.urandom(30_000)  # needs new pages: SQLITE_FULL
        for i in range(20, 50):
            w.submit(Event(T0 + i, "cam1", EventKind.NO_MASK, track_id=i, thumbnail_jpeg=crop))
        for _ in range(500):  # bounded wait for the first failed attempt
            if w.stats().failing:
                break
            time.sleep(0.01)
        assert not w.flush(timeout=0.2)
        stats = w.stats()
        assert stats.failing and stats.pending == 30 and stats.dropped == 0
        assert errors and "full" in errors[0] and str(path) in errors[0]
        assert "30 item(s) kept in memory" in errors[0]
        with StoreReader(path) as reader:
            assert reader.counts()["events"] == 20  # earlier rows intact and readable meanwhile

        w.call(lambda db: db.conn.execute("PRAGMA max_page_count = 1073741823").fetchone()).result(timeout=5)
        assert w.flush(timeout=10)
        assert not w.stats().failing
    finally:
        w.stop()
    with StoreReader(path) as reader:
        rows = reader.recent_events(100)
        assert sorted(r.track_id for r in rows) == list(range(50))
        assert reader.counts()["event_thumbnails"] == 30
    assert integrity_check(path) == ["ok"]


def test_memory_cap_drops_new_items_not_stored_ones(tmp_path: Path) -> None:
    errors: list[str] = []
    path = tmp_path / "v.db"
    w = StoreWriter(path, flush_interval_s=0.02, on_error=errors.append, max_pending=10)
    w.start()
    try:
        w.submit(Event(T0, "cam1", EventKind.NO_MASK, track_id=0))
        assert w.flush()
        # a second connection holds the write lock: the writer must wait, keep items, and cap memory
        blocker = sqlite3.connect(path, timeout=0)
        blocker.execute("PRAGMA busy_timeout = 0")
        w.call(lambda db: db.conn.execute("PRAGMA busy_timeout = 0")).result(timeout=5)
        blocker.execute("BEGIN IMMEDIATE")
        for i in range(1, 31):
            w.submit(Event(T0 + i, "cam1", EventKind.NO_MASK, track_id=i))
        assert not w.flush(timeout=0.5)
        assert w.stats().dropped == 20 and w.stats().pending == 10
        blocker.rollback()
        blocker.close()
        assert w.flush(timeout=10)
    finally:
        w.stop()
    assert any("locked" in e for e in errors)
    dropped = [int(m[1]) for e in errors if (m := re.search(r"(\d+) new item\(s\) dropped", e))]
    assert sum(dropped) == 20
    with StoreReader(path) as reader:
        assert sorted(r.track_id for r in reader.recent_events()) == list(range(11))
