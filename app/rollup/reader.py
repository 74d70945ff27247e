"""Read side of the roll-up store for the city window: the compliance reader of a station store, with the
station (mall) as the site dimension.

Camera ids repeat across malls (every mall may have a ``cam1``), so the city names a camera
``<station>/<camera>`` (``city_camera_id``); a station id has no ``/`` (one MQTT topic level). Sites are the
stations. The roll-up keeps no hour table, so every series is summed from the minute table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import numpy as np

from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import EventKind
from app.store.buckets import MINUTE, offset_segments
from app.store.compliance import COUNT_COLUMNS
from app.store.compliance_query import CameraInfo, ComplianceReader, SiteInfo, _split
from app.store.db import BUSY_TIMEOUT_S
from app.store.errors import StoreError, store_error
from app.store.records import EventRow

_COLS = ", ".join(COUNT_COLUMNS)
_SUMS = ", ".join(f"sum({c})" for c in COUNT_COLUMNS)
_EVENT_COLS = (
    "rowid, station_id, id, at, camera_id, kind, track_id, details, acknowledged_at, acknowledged_by, "
    "thumbnail_jpeg IS NOT NULL"
)


def city_camera_id(station: str, camera: str) -> str:
    return f"{station}/{camera}"


def split_camera_id(city_id: str) -> tuple[str, str]:
    """(station, camera) of a ``city_camera_id``."""
    station, _, camera = city_id.partition("/")
    return station, camera


@dataclass(frozen=True, slots=True)
class CityEvent:
    """An event of the roll-up store; ``rowid`` orders arrival (the feed reads what came after one)."""

    rowid: int
    row: EventRow
    thumbnail_jpeg: bytes | None = None


class RollupReader(ComplianceReader):
    """``ComplianceReader`` over a roll-up database (read-only connection per thread)."""

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.is_file():
                raise StoreError(f"the roll-up database {self.path} does not exist; check --db")
            try:
                conn = sqlite3.connect(
                    self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                    check_same_thread=False,
                )  # fmt: skip
                conn.execute("PRAGMA query_only = ON")
                conn.execute("SELECT 1 FROM rollup_meta LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                raise store_error(exc, self.path) from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def __enter__(self) -> RollupReader:
        return self

    # ----- malls and cameras --------------------------------------------------------------------------
    def sites(self) -> list[SiteInfo]:
        """Every station as a site, with the cameras it has sent anything for."""
        cams: dict[str, list[CameraInfo]] = {}
        for station, camera in self._query("SELECT station_id, camera_id FROM cameras ORDER BY station_id, camera_id"):
            cams.setdefault(station, []).append(CameraInfo(city_camera_id(station, camera), camera, station))
        stations = [r[0] for r in self._query("SELECT station_id FROM stations")]
        ids = sorted(set(stations) | set(cams), key=lambda s: (s.lower(), s))
        return [SiteInfo(sid, sid, "", tuple(cams.get(sid, ()))) for sid in ids]

    def city_config(self) -> StationConfig:
        """The malls and cameras as a configuration, for the widgets that take names from one (no sources)."""
        sites = self.sites()
        return StationConfig(
            sites=tuple(SiteConfig(s.id, s.name) for s in sites),
            cameras=tuple(CameraConfig(c.id, c.name, s.id, source="") for s in sites for c in s.cameras),
        )

    def data_range(self, camera_ids: Iterable[str] | None = None) -> tuple[float, float] | None:
        r = self._query("SELECT min(minute), max(minute) FROM compliance_minutes")[0]
        return (r[0] * 60.0, (r[1] + 1) * 60.0) if r[0] is not None else None

    # ----- events -------------------------------------------------------------------------------------
    def events_between(
        self, camera_ids: Sequence[str], start_s: float, end_s: float, limit: int = 500
    ) -> list[EventRow]:
        """Events of these (city) cameras in [start_s, end_s), oldest first."""
        out: list[CityEvent] = []
        for station, cams in _by_station(camera_ids).items():
            marks = ", ".join("?" * len(cams))
            rows = self._query(
                f"SELECT {_EVENT_COLS} FROM events WHERE station_id = ? AND camera_id IN ({marks}) "
                "AND at >= ? AND at < ? ORDER BY at, id LIMIT ?",
                (station, *cams, start_s, end_s, int(limit)),
            )
            out += _events(rows)
        return [e.row for e in sorted(out, key=lambda e: (e.row.at, e.rowid))[:limit]]

    def city_events(self, after_rowid: int = 0, limit: int = 200) -> list[CityEvent]:
        """Up to ``limit`` events stored after ``after_rowid`` (the newest ones), newest first, with face crops."""
        rows = self._query(
            f"SELECT {_EVENT_COLS} FROM events WHERE rowid > ? ORDER BY rowid DESC LIMIT ?",
            (int(after_rowid), int(limit)),
        )
        events = _events(rows)
        with_thumb = [e.rowid for e in events if e.row.has_thumbnail]
        thumbs: dict[int, bytes] = {}
        if with_thumb:
            marks = ", ".join("?" * len(with_thumb))
            thumbs = dict(self._query(f"SELECT rowid, thumbnail_jpeg FROM events WHERE rowid IN ({marks})", with_thumb))
        return [CityEvent(e.rowid, e.row, thumbs.get(e.rowid)) for e in events]

    # ----- compliance internals -----------------------------------------------------------------------
    def _camera_names(self, camera_ids: Sequence[str]) -> dict[str, str]:
        return {c: split_camera_id(c)[1] for c in camera_ids}

    def _scan(
        self, camera_ids: list[str], lo: int, hi: int, size: int, zone: tzinfo, hours: bool = True
    ) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
        return self._scan_minutes(camera_ids, lo, hi, size, zone)

    def _scan_minutes(
        self, camera_ids: list[str], lo: int, hi: int, size: int, zone: tzinfo
    ) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
        if hi <= lo:
            return
        for station, cams in _by_station(camera_ids).items():
            marks = ", ".join("?" * len(cams))
            where = f"WHERE station_id = ? AND camera_id IN ({marks}) AND minute >= ? AND minute < ?"
            if size == MINUTE:
                sql = f"SELECT camera_id, minute, {_COLS} FROM compliance_minutes {where}"
                yield from _split(_in_city(station, self._query(sql, (station, *cams, lo, hi))))
                continue
            # a group never spans a change of offset, so its min(minute) names its local bucket exactly
            sql = (
                f"SELECT camera_id, min(minute), {_SUMS} FROM compliance_minutes {where} "
                "GROUP BY camera_id, (minute + ?) / ?"
            )
            for s_lo, s_hi, off in offset_segments(zone, lo, hi):
                yield from _split(_in_city(station, self._query(sql, (station, *cams, s_lo, s_hi, off, size))))


def _by_station(camera_ids: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cid in camera_ids:
        station, camera = split_camera_id(cid)
        out.setdefault(station, []).append(camera)
    return out


def _in_city(station: str, rows: list[Any]) -> list[Any]:
    return [(city_camera_id(station, str(r[0])), *r[1:]) for r in rows]


def _events(rows: list[Any]) -> list[CityEvent]:
    out = []
    kinds = {k.value for k in EventKind}
    for rowid, station, eid, at, cam, kind, track, details, ack_at, ack_by, thumb in rows:
        if kind not in kinds:  # a newer station's kind this window does not know: not listed
            continue
        row = EventRow(
            id=int(eid), at=float(at), camera_id=city_camera_id(str(station), str(cam)),
            kind=EventKind(kind), track_id=track, run_id=None,
            details=json.loads(details) if details else {}, camera_name=str(cam), site_id=str(station),
            has_thumbnail=bool(thumb), acknowledged_at=ack_at, acknowledged_by=ack_by,
        )  # fmt: skip
        out.append(CityEvent(int(rowid), row))
    return out

