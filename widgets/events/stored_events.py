"""Events already in the store: the preload of the events panel at start, and finding the stored row of
a live event (live events reach the window before the writer gives them an id)."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.domain import Event
from app.errors import UserError
from app.store.queries import StoreReader

log = logging.getLogger(__name__)
PRELOAD_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event read back from the store, with its id and who acknowledged it (None: nobody yet)."""

    event: Event
    event_id: int
    acknowledged_by: str | None = None


def read_recent(db_path: Path | str, limit: int = PRELOAD_LIMIT) -> list[StoredEvent]:
    """The newest ``limit`` events with their face crops (newest first); [] when there is no store yet."""
    if not Path(db_path).is_file():
        return []
    with StoreReader(db_path) as reader:
        out = []
        for row in reader.recent_events(limit):
            thumb = reader.event_thumbnail(row.id) if row.has_thumbnail else None
            event = Event(row.at, row.camera_id, row.kind, row.track_id, dict(row.details), thumb)
            by = (row.acknowledged_by or "?") if row.acknowledged_at is not None else None
            out.append(StoredEvent(event, row.id, by))
        return out


def stored_event_id(reader: StoreReader, event: Event) -> int | None:
    """The id of the stored row of ``event`` (same camera, kind, track and time), None if not written yet."""
    rows = reader.recent_events(50, camera_id=event.camera_id, kinds=[event.kind], since=event.at - 1.0)
    row = next((r for r in rows if abs(r.at - event.at) < 1e-3 and r.track_id == event.track_id), None)
    return None if row is None else row.id


class EventPreloader(QObject):
    """Reads the newest stored events on a worker thread; ``loaded(list[StoredEvent])`` on the GUI thread."""

    loaded = Signal(object)

    def __init__(
        self, db_path: Path | str, limit: int = PRELOAD_LIMIT, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path, self.limit = Path(db_path), limit
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vigil-preload-events", daemon=True)
        self._thread.start()

    def wait(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            items = read_recent(self.db_path, self.limit)
        except UserError as exc:  # a damaged store: the station reports it; the panel starts empty
            log.warning("cannot preload events: %s", exc)
            items = []
        except Exception:
            log.exception("cannot preload events")
            items = []
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self.loaded.emit(items)
