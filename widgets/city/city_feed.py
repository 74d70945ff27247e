"""What the city window reads from the roll-up store on a worker thread every few seconds: the malls and
their cameras (new stations appear while it runs) and the events stored since the last read."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.config import StationConfig
from app.domain import Event
from app.errors import UserError
from app.rollup.reader import RollupReader
from widgets.events.stored_events import PRELOAD_LIMIT, StoredEvent
from widgets.i18n import error_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CityUpdate:
    """One read: the malls as a configuration, the new events (newest first), the newest row read."""

    config: StationConfig
    events: tuple[StoredEvent, ...] = ()
    last_rowid: int = 0
    error: str = ""


def read_update(db_path: Path, after_rowid: int, limit: int = PRELOAD_LIMIT) -> CityUpdate:
    with RollupReader(db_path) as reader:
        config = reader.city_config()
        items = reader.city_events(after_rowid, limit)
    events = tuple(
        StoredEvent(
            Event(e.row.at, e.row.camera_id, e.row.kind, e.row.track_id, dict(e.row.details), e.thumbnail_jpeg),
            e.row.id,
            (e.row.acknowledged_by or "?") if e.row.acknowledged_at is not None else None,
        )
        for e in items
    )
    return CityUpdate(config, events, max((e.rowid for e in items), default=after_rowid))


class CityFeed(QObject):
    """``updated(CityUpdate)`` on the GUI thread after each read; one read at a time (a tick while one runs
    is skipped, never queued)."""

    updated = Signal(object)

    def __init__(self, db_path: Path | str, interval_ms: int = 5000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._last_rowid = 0
        self._thread: threading.Thread | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, args=(self._last_rowid,), name="vigil-city-feed", daemon=True)
        self._thread.start()

    def wait(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, after: int) -> None:
        try:
            update = read_update(self.db_path, after)
        except UserError as exc:
            update = CityUpdate(StationConfig(), last_rowid=after, error=error_text(exc))
        except Exception as exc:  # a bug: logged with its traceback, the window keeps running
            log.exception("reading the roll-up database failed")
            update = CityUpdate(StationConfig(), last_rowid=after, error=error_text(exc))
        if not update.error:
            self._last_rowid = update.last_rowid
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self.updated.emit(update)
