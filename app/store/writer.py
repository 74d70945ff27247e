"""The one thread that writes the event store, in small batches.

Callers ``submit`` frozen items and never block. The writer commits a batch every ``flush_interval_s``
(or sooner when ``max_batch`` items wait, or on ``flush``), so a kill loses at most the last unflushed
batch. When the database refuses writes (disk full, read-only, locked, damaged) the items stay in memory
(up to ``max_pending``) and are retried with backoff; ``on_error`` gets a one-line message. Rows already
committed are never touched by a failure.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from app.store.db import open_db
from app.store.errors import describe_error, is_item_error, store_error
from app.store.items import ITEM_TYPES, Item, write_item
from app.store.records import CrashRecovery, EventAck, WriterStats
from app.store.track_store import close_dead_runs, mark_stopped

log = logging.getLogger("vigil.store")

T = TypeVar("T")

RETRY_MIN_S = 0.25
RETRY_MAX_S = 5.0
REPORT_EVERY_S = 30.0  # while failing, repeat the message at most this often
DRAIN_MAX = 5000  # items taken off the queue per loop turn, so a flood cannot starve the commits


class _Marker(enum.Enum):
    FLUSH = "flush"
    STOP = "stop"


@dataclass(slots=True, eq=False)
class _Call:
    fn: Callable[[Database], Any]
    future: Future[Any]


class StoreWriter:
    """Owns the write connection; everything that changes the database goes through this thread."""

    def __init__(
        self,
        path: Path | str,
        flush_interval_s: float = 0.5,
        max_batch: int = 500,
        on_error: Callable[[str], None] | None = None,
        max_pending: int = 100_000,
        relink_s: float = 4.0,
    ) -> None:
        self.path = Path(path).expanduser()
        self.flush_interval_s = max(0.0, float(flush_interval_s))
        self.max_batch = max(1, int(max_batch))
        self.max_pending = max(1, int(max_pending))
        self._on_error = on_error
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self._accepted = self._done = self._written = self._dropped = self._batches = 0
        self._unreported_drops = 0
        self._failing = False
        self._last_error = ""
        self._last_report = -math.inf
        self._closed = False
        self._stop = threading.Event()
        self._stop_deadline = math.inf
        self._thread: threading.Thread | None = None
        self._db: Database | None = None
        self.run_id = 0  # row in ``runs``; track ids are unique per (camera, run)
        self.relink_s = max(0.0, float(relink_s))  # the lost-track time: a restart this fast continues tracks
        self.recovered = CrashRecovery()  # what this start closed of runs that were killed

    # ----- caller side -------------------------------------------------------------------------------
    def start(self) -> None:
        """Open (and migrate) the database on the calling thread, so a bad path raises StoreError here."""
        if self._thread is not None:
            raise RuntimeError("StoreWriter already started")
        db = open_db(self.path)
        try:
            cur = db.execute("INSERT INTO runs(started_at, pid) VALUES (?, ?)", [time.time(), os.getpid()])
            self.run_id = int(cur.lastrowid or 0)
            self.recovered = close_dead_runs(db.conn, self.run_id)
        except sqlite3.Error as exc:
            db.close()
            raise store_error(exc, self.path) from exc
        self._db = db
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Commit what is pending (retrying until ``timeout``), then close the connection."""
        with self._lock:
            self._closed = True
        thread = self._thread
        if thread is None:
            return
        self._stop_deadline = time.monotonic() + max(0.0, timeout) * 0.8
        self._stop.set()
        self._queue.put(_Marker.STOP)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("store writer did not stop within %.1f s", timeout)
            return
        if self._db is not None:
            try:
                mark_stopped(self._db.conn, self.run_id)
            except sqlite3.Error as exc:  # full disk: the next start closes this run as crashed
                log.warning("could not mark run %d as stopped: %s", self.run_id, exc)
            self._db.close()
            self._db = None

    def submit(self, item: Item) -> None:
        """Queue one item for the next batch; never blocks. Over ``max_pending`` the item is dropped and
        counted (reported through ``on_error``)."""
        if not isinstance(item, ITEM_TYPES):
            raise TypeError(f"StoreWriter cannot store {type(item).__name__}")
        with self._lock:
            if self._closed or self._accepted - self._done >= self.max_pending:
                self._dropped += 1
                self._unreported_drops += 1
                return
            self._accepted += 1
            self._queue.put(item)

    def acknowledge(self, event_id: int, by: str, at: float | None = None) -> None:
        """Mark an event acknowledged by operator ``by`` (first acknowledgement wins; audited)."""
        self.submit(EventAck(event_id, by, time.time() if at is None else at))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every item submitted so far is committed; False on timeout (e.g. disk full)."""
        with self._lock:
            target = self._accepted
            if self._done >= target:
                return True
        if self._thread is None or not self._thread.is_alive():
            return False
        self._queue.put(_Marker.FLUSH)
        with self._progress:
            return self._progress.wait_for(lambda: self._done >= target, max(0.0, timeout))

    def call(self, fn: Callable[[Database], T]) -> Future[T]:
        """Run ``fn(db)`` on the writer thread after the items submitted before it (those are committed
        first when the database allows). ``fn`` manages its own transaction (``db.atomic()``); one left
        open is committed."""
        fut: Future[T] = Future()
        with self._lock:
            if self._closed or self._thread is None:
                fut.set_exception(RuntimeError("the store writer is not running"))
                return fut
            self._queue.put(_Call(fn, fut))
        return fut

    def stats(self) -> WriterStats:
        with self._lock:
            return WriterStats(
                accepted=self._accepted,
                written=self._written,
                pending=self._accepted - self._done,
                dropped=self._dropped,
                batches=self._batches,
                failing=self._failing,
                last_error=self._last_error,
            )

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ----- writer thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a bug: never die silently
            log.exception("store writer crashed")
            self._report(f"event store writer stopped after an internal error: {exc} (details in the log)")

    def _loop(self) -> None:
        pending: deque[Item] = deque()
        oldest = 0.0  # monotonic arrival of the oldest pending item
        urgent = stopping = False
        retry_at, backoff = 0.0, RETRY_MIN_S
        while True:
            now = time.monotonic()
            timeout: float | None = None
            if pending:
                due = now if (urgent or stopping) else oldest + self.flush_interval_s
                timeout = max(0.0, max(due, retry_at) - now)
                if stopping:
                    timeout = min(timeout, max(0.0, self._stop_deadline - now))
            try:
                obj: object | None = self._queue.get(timeout=timeout)
            except queue.Empty:
                obj = None
            taken = 0
            while obj is not None:
                if isinstance(obj, _Call):
                    self._write_pending(pending)
                    self._run_call(obj)
                elif obj is _Marker.FLUSH:
                    urgent = True
                elif obj is _Marker.STOP:
                    stopping = True
                else:
                    if not pending:
                        oldest = time.monotonic()
                    pending.append(obj)  # type: ignore[arg-type]
                taken += 1
                try:
                    obj = self._queue.get_nowait() if taken < DRAIN_MAX else None
                except queue.Empty:
                    obj = None
            self._report_drops()
            now = time.monotonic()
            due = (
                urgent or stopping or len(pending) >= self.max_batch or now - oldest >= self.flush_interval_s
            )
            if pending and due and now >= retry_at:
                if self._write_pending(pending):
                    backoff = RETRY_MIN_S
                else:
                    retry_at, backoff = now + backoff, min(backoff * 2.0, RETRY_MAX_S)
                oldest = now
            if not pending:
                urgent = False
            if stopping and (not pending or time.monotonic() >= self._stop_deadline):
                break
        if pending:
            self._report(
                f"{len(pending)} item(s) could not be saved before shutdown: {self._last_error or 'timeout'}"
            )

    def _write_pending(self, pending: deque[Item]) -> bool:
        """Commit everything pending in batches of ``max_batch``; False (items kept) if the db refuses."""
        while pending:
            batch = [pending[i] for i in range(min(len(pending), self.max_batch))]
            try:
                self._transaction(batch)
            except Exception as exc:
                if not is_item_error(exc):
                    self._set_failing(exc, len(pending))
                    return False
                if not self._write_one_by_one(pending, len(batch)):
                    return False
                continue
            for _ in batch:
                pending.popleft()
            self._mark_done(len(batch), len(batch))
        self._set_ok()
        return True

    def _write_one_by_one(self, pending: deque[Item], n: int) -> bool:
        """A batch held a bad item: commit its items singly and drop (and report) only the bad ones."""
        for _ in range(n):
            item = pending[0]
            try:
                self._transaction([item])
            except Exception as exc:
                if not is_item_error(exc):
                    self._set_failing(exc, len(pending))
                    return False
                log.error("store: dropped a bad %s: %s", type(item).__name__, exc, exc_info=exc)
                self._report(f"event store: dropped one {type(item).__name__} that cannot be stored ({exc})")
                pending.popleft()
                self._mark_done(1, 0, commits=0)
                continue
            pending.popleft()
            self._mark_done(1, 1)
        return True

    def _transaction(self, batch: list[Item]) -> None:
        assert self._db is not None
        conn = self._db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                write_item(self._db, item, self.run_id, self.relink_s)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _run_call(self, call: _Call) -> None:
        if not call.future.set_running_or_notify_cancel():
            return
        assert self._db is not None
        conn = self._db.conn
        try:
            result = call.fn(self._db)
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            call.future.set_exception(exc)
        else:
            call.future.set_result(result)

    # ----- bookkeeping --------------------------------------------------------------------------------
    def _mark_done(self, processed: int, written: int, commits: int = 1) -> None:
        with self._progress:
            self._done += processed
            self._written += written
            self._batches += commits
            self._progress.notify_all()

    def _set_failing(self, exc: BaseException, waiting: int) -> None:
        msg = (
            f"{describe_error(exc, self.path)} - {waiting} item(s) kept in memory and retried; "
            "rows already stored are safe"
        )
        now = time.monotonic()
        with self._lock:
            first = not self._failing
            self._failing, self._last_error = True, msg
        log.warning("store write failed: %s", exc)
        if first or now - self._last_report >= REPORT_EVERY_S:
            self._report(msg)

    def _set_ok(self) -> None:
        with self._lock:
            was, self._failing = self._failing, False
        if was:
            log.info("store writes resumed on %s", self.path)

    def _report_drops(self) -> None:
        with self._lock:
            n, self._unreported_drops = self._unreported_drops, 0
            waiting = self._accepted - self._done
        if n:
            self._report(
                f"event store: {n} new item(s) dropped because {waiting} are already waiting to be written "
                f"({self._last_error or 'writer too slow'})"
            )

    def _report(self, msg: str) -> None:
        self._last_report = time.monotonic()
        if self._on_error is None:
            log.error("%s", msg)
            return
        try:
            self._on_error(msg)
        except Exception:
            log.exception("store on_error callback failed")


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.warning("store rollback failed", exc_info=True)
