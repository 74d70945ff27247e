"""TimelineQueries: the time bar's coverage, events and bookmarks queries on one background thread.

The GUI asks for a range (``request``) and gets the answer through ``on_result`` on the worker thread (the
widget side turns that into a queued Qt signal). A newer request cancels the older one rather than queueing
behind it: the pending one is replaced, and a query already running is interrupted in SQLite
(``Connection.interrupt``), so dragging or zooming the bar never waits for a range nobody looks at any more.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.clips.index import TimeRange
from app.playback.lookup import EventMark, RecordingLookup
from app.store.bookmarks import Bookmark

log = logging.getLogger("vigil.playback")


@dataclass(frozen=True, slots=True)
class TimelineRequest:
    token: int
    cameras: tuple[str, ...]
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class TimelineData:
    """What the time bar draws for one range (and the stored events the overlays use)."""

    coverage: Mapping[str, Sequence[TimeRange]] = field(default_factory=dict)
    events: Sequence[EventMark] = ()
    bookmarks: Sequence[Bookmark] = ()
    span: tuple[float, float] | None = None
    token: int = 0


class _Cancelled(Exception):
    pass


class TimelineQueries:
    """One worker thread over its own read-only connection to ``db_path``; ``close()`` ends it."""

    def __init__(self, db_path: Path | str, on_result: Callable[[TimelineData], None]) -> None:
        self._lookup = RecordingLookup(db_path)
        self._on_result = on_result
        self._cv = threading.Condition()
        self._pending: TimelineRequest | None = None
        self._running: TimelineRequest | None = None
        self._token = 0
        self._closed = False
        self.cancelled = 0  # requests dropped or interrupted because a newer one came (for tests and logs)
        self._thread = threading.Thread(target=self._run, name="playback-timeline", daemon=True)
        self._thread.start()

    @property
    def latest(self) -> int:
        with self._cv:
            return self._token

    def busy(self) -> bool:
        """Whether a request waits or runs (the periodic refresh skips a turn rather than cancel it)."""
        with self._cv:
            return self._pending is not None or self._running is not None

    def request(self, cameras: Sequence[str], start: float, end: float) -> int:
        """Ask for ``cameras``' data in [start, end); returns the request's token (answers carry it)."""
        with self._cv:
            self._token += 1
            if self._pending is not None or self._running is not None:
                self.cancelled += 1
            self._pending = TimelineRequest(self._token, tuple(cameras), float(start), float(end))
            if self._running is not None:
                self._interrupt()
            self._cv.notify()
            return self._token

    def close(self, timeout: float = 2.0) -> None:
        with self._cv:
            self._closed = True
            self._pending = None
            if self._running is not None:
                self._interrupt()
            self._cv.notify()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._lookup.close()

    # -- worker -------------------------------------------------------------------------------------
    def _interrupt(self) -> None:
        self._lookup.interrupt()

    def _stale(self, req: TimelineRequest) -> bool:
        with self._cv:
            return self._closed or self._token != req.token

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._pending is None and not self._closed:
                    self._cv.wait()
                if self._closed or self._pending is None:
                    return
                req = self._pending
                self._pending = None
                self._running = req
            try:
                data = self._query(req)
            except (_Cancelled, sqlite3.OperationalError) as exc:
                if not self._stale(req):  # a real error (locked for too long): the bar keeps what it had
                    log.warning("time bar query failed: %s", exc)
                data = None
            except Exception:  # a bug must not end the worker: the next request tries again
                log.exception("time bar query failed")
                data = None
            finally:
                with self._cv:
                    self._running = None
            if data is None or self._stale(req):
                continue
            self._on_result(data)

    def _query(self, req: TimelineRequest) -> TimelineData:
        span = (req.start, req.end)
        coverage: dict[str, Sequence[TimeRange]] = {}
        for cid in req.cameras:
            if self._stale(req):
                raise _Cancelled
            coverage[cid] = tuple(self._lookup.coverage(cid, *span))
        if self._stale(req):
            raise _Cancelled
        events = tuple(self._lookup.events(list(req.cameras), *span))
        if self._stale(req):
            raise _Cancelled
        bookmarks = tuple(self._lookup.bookmarks(list(req.cameras), *span))
        return TimelineData(coverage, events, bookmarks, span, req.token)
