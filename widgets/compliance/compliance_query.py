"""Background reads for the compliance view: one query at a time per view, stale results dropped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.store.compliance import COUNT_COLUMNS
from app.store.compliance_query import ComplianceReader, ComplianceSeries
from widgets.i18n import error_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One line on the timeline: a site (several cameras summed) or one camera."""

    key: str
    label: str
    camera_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """What to read; ``tail_from`` set: only buckets from there on (a live refresh)."""

    generation: int
    series: tuple[SeriesSpec, ...]
    start: float
    end: float
    bucket_min: int
    zone: tzinfo
    tail_from: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class TimelineResult:
    query: TimelineQuery
    series: tuple[ComplianceSeries, ...] = ()
    error: str = ""


def read_series(reader: ComplianceReader, q: TimelineQuery) -> tuple[ComplianceSeries, ...]:
    lo = q.start if q.tail_from is None else q.tail_from
    cams = sorted({c for s in q.series for c in s.camera_ids})
    per_cam = reader.camera_series(cams, lo, q.end, q.bucket_min, q.zone)
    out = []
    for spec in q.series:
        parts = [per_cam[c] for c in spec.camera_ids if c in per_cam]
        if parts:
            edges = parts[0].edges
            counts = np.sum([p.counts for p in parts], axis=0)
        else:
            any_series = next(iter(per_cam.values()), None)
            edges = any_series.edges if any_series is not None else np.array([lo, q.end])
            counts = np.zeros((max(0, len(edges) - 1), len(COUNT_COLUMNS)))
        out.append(ComplianceSeries(spec.key, spec.label, q.bucket_min, edges, counts))
    return tuple(out)


class _Relay(QObject):
    finished = Signal(object)  # TimelineResult


class _Task(QRunnable):
    def __init__(self, reader: ComplianceReader, query: TimelineQuery, relay: _Relay) -> None:
        super().__init__()
        self.reader, self.query, self.relay = reader, query, relay

    def run(self) -> None:
        try:
            result = TimelineResult(self.query, read_series(self.reader, self.query))
        except Exception as exc:  # a UserError (store gone) or a bug: shown, logged, never fatal
            log.warning("compliance query failed: %s", exc, exc_info=not isinstance(exc, OSError))
            result = TimelineResult(self.query, error=error_text(exc))
        self.relay.finished.emit(result)


class QueryRunner(QObject):
    """Runs ``TimelineQuery``s on the global thread pool; ``finished`` carries only the newest one's
    result (older generations are dropped). ``busy`` is True while one runs."""

    finished = Signal(object)  # TimelineResult

    def __init__(self, reader: ComplianceReader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_relay_finished)
        self._running = 0
        self._newest = 0

    @property
    def busy(self) -> bool:
        return self._running > 0

    def submit(self, query: TimelineQuery) -> None:
        self._newest = max(self._newest, query.generation)
        self._running += 1
        QThreadPool.globalInstance().start(_Task(self.reader, query, self._relay))

    def _on_relay_finished(self, result: TimelineResult) -> None:
        self._running -= 1
        if result.query.generation >= self._newest:
            self.finished.emit(result)
