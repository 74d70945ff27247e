"""Read side of the compliance minutes: per-camera and per-site series in local-time buckets.

Every query is a range scan of the primary key (camera_id, minute); buckets are local hours/days of the
site's zone (``app.store.buckets``), exact across DST changes. Compliance % = masked / (masked + unmasked +
incorrect); it is NaN (not 100 %) where nobody with a clear verdict was seen, and minutes with no live
time and no people count as offline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import numpy as np

from app.store.buckets import HOUR, MINUTE, bucket_edges, offset_segments, station_zone
from app.store.compliance import COUNT_COLUMNS
from app.store.queries import _EVENT_SELECT, StoreReader, _event_row
from app.store.records import EventRow

_COL = {name: i for i, name in enumerate(COUNT_COLUMNS)}
_SUMS = ", ".join(f"sum({c})" for c in COUNT_COLUMNS)
_COLS = ", ".join(COUNT_COLUMNS)
UNASSIGNED = ""  # site id of cameras that belong to no configured site


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A camera as the compliance views list it."""

    id: str
    name: str
    site_id: str


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """A mall with its cameras; ``timezone`` is the IANA name stored with the site ("" = station's)."""

    id: str
    name: str
    timezone: str = ""
    cameras: tuple[CameraInfo, ...] = ()

    @property
    def camera_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.cameras)


@dataclass(frozen=True, slots=True)
class ComplianceTotals:
    """Sums over a range; ``compliance`` is None when nobody with a clear verdict was seen."""

    people: int = 0
    masked: int = 0
    unmasked: int = 0
    incorrect: int = 0
    uncertain: int = 0
    unknown: int = 0
    live_s: float = 0.0

    @property
    def decided(self) -> int:
        return self.masked + self.unmasked + self.incorrect

    @property
    def compliance(self) -> float | None:
        return 100.0 * self.masked / self.decided if self.decided else None


@dataclass(frozen=True, slots=True, eq=False)
class ComplianceSeries:
    """Counts of one camera or site in consecutive buckets. ``edges`` are UTC epoch seconds (n + 1);
    ``counts`` is an (n, 7) array with the columns of ``COUNT_COLUMNS``."""

    key: str
    label: str
    bucket_min: int
    edges: np.ndarray
    counts: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def column(self, name: str) -> np.ndarray:
        return self.counts[:, _COL[name]]

    @property
    def starts(self) -> np.ndarray:
        return self.edges[:-1]

    @property
    def people(self) -> np.ndarray:
        return self.column("people")

    @property
    def decided(self) -> np.ndarray:
        return self.column("masked") + self.column("unmasked") + self.column("incorrect")

    @property
    def compliance(self) -> np.ndarray:
        """Percent per bucket; NaN where no clear verdict was seen (offline buckets included)."""
        decided = self.decided
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100.0 * self.column("masked") / decided
        return np.where(decided > 0, pct, np.nan)

    @property
    def offline(self) -> np.ndarray:
        """True for buckets with no live time and no people: the camera(s) were dark."""
        return (self.column("live_s") <= 0) & (self.people <= 0)

    def totals(self) -> ComplianceTotals:
        s = self.counts.sum(axis=0) if len(self) else np.zeros(len(COUNT_COLUMNS))
        people, masked, unmasked, incorrect, uncertain, unknown = (int(round(v)) for v in s[:-1])
        return ComplianceTotals(people, masked, unmasked, incorrect, uncertain, unknown, float(s[-1]))

    def plus(self, other: ComplianceSeries, key: str, label: str) -> ComplianceSeries:
        return ComplianceSeries(key, label, self.bucket_min, self.edges, self.counts + other.counts)

    def spliced(self, tail: ComplianceSeries, start_s: float) -> ComplianceSeries:
        """This series with its buckets from ``tail.edges[0]`` on replaced by ``tail`` and those before
        ``start_s`` dropped (a live refresh re-reads only the newest buckets). Falls back to ``tail``
        when the two do not line up."""
        k = int(np.searchsorted(self.edges, tail.edges[0]))
        if tail.bucket_min != self.bucket_min or k >= len(self.edges) or self.edges[k] != tail.edges[0]:
            return tail
        first = int(np.searchsorted(self.edges, start_s))
        if first > k:
            return tail
        edges = np.concatenate([self.edges[first:k], tail.edges])
        counts = np.concatenate([self.counts[first:k], tail.counts])
        return ComplianceSeries(self.key, self.label, self.bucket_min, edges, counts)


def minute_range(start_s: float, end_s: float) -> tuple[int, int]:
    """UTC minutes [lo, hi) covering [start_s, end_s)."""
    return int(math.floor(start_s / 60.0)), int(math.ceil(end_s / 60.0))


class ComplianceReader(StoreReader):
    """Compliance queries (read-only connection per thread, like ``StoreReader``)."""

    def __enter__(self) -> ComplianceReader:
        return self

    def sites(self) -> list[SiteInfo]:
        """Known sites with their cameras; cameras of no known site are listed under site id ""."""
        names = {r[0]: (r[1], r[2]) for r in self._query("SELECT id, name, timezone FROM sites")}
        cams: dict[str, list[CameraInfo]] = {}
        for cid, name, site in self._query("SELECT id, name, site_id FROM cameras ORDER BY name, id"):
            site = site or UNASSIGNED
            cams.setdefault(site, []).append(CameraInfo(cid, name, site))
        out = [SiteInfo(sid, n, tz, tuple(cams.get(sid, ()))) for sid, (n, tz) in names.items()]
        out += [
            SiteInfo(sid, sid or "(no site)", "", tuple(c)) for sid, c in cams.items() if sid not in names
        ]
        return sorted(out, key=lambda s: (s.id == UNASSIGNED, s.name.lower(), s.id))

    def has_data(self) -> bool:
        return bool(self._query("SELECT 1 FROM compliance_minutes LIMIT 1"))

    def data_range(self, camera_ids: Iterable[str] | None = None) -> tuple[float, float] | None:
        """UTC seconds of the first and the end of the last stored minute (per-camera PK lookups)."""
        ids = (
            list(camera_ids)
            if camera_ids is not None
            else [r[0] for r in self._query("SELECT id FROM cameras")]
        )
        lo: list[int] = []
        hi: list[int] = []
        for cid in ids:
            r = self._query(
                "SELECT min(minute), max(minute) FROM compliance_minutes WHERE camera_id = ?", (cid,)
            )[0]
            if r[0] is not None:
                lo.append(r[0])
                hi.append(r[1])
        return (min(lo) * 60.0, (max(hi) + 1) * 60.0) if lo else None

    def camera_series(
        self,
        camera_ids: Sequence[str],
        start_s: float,
        end_s: float,
        bucket_min: int = MINUTE,
        zone: tzinfo | None = None,
        *,
        hours: bool = True,
    ) -> dict[str, ComplianceSeries]:
        """One series per camera over [start_s, end_s) in local ``bucket_min`` buckets of ``zone``
        (``hours=False``: read only the minute table, to cross-check the hour roll-up)."""
        zone = zone or station_zone()
        lo, hi = minute_range(start_s, end_s)
        edges = bucket_edges(zone, lo, hi, bucket_min)
        n = max(0, len(edges) - 1)
        index = {cid: i for i, cid in enumerate(camera_ids)}
        counts = np.zeros((len(index), n, len(COUNT_COLUMNS)), dtype=np.float64)
        if index and n:
            for cams, minutes, values in self._scan(list(index), lo, hi, bucket_min, zone, hours):
                rows = np.searchsorted(edges, minutes, side="right") - 1
                np.add.at(counts, (np.array([index[c] for c in cams], dtype=np.intp), rows), values)
        edges_s = edges.astype(np.float64) * 60.0
        names = self._camera_names(camera_ids)
        return {
            cid: ComplianceSeries(cid, names.get(cid, cid), bucket_min, edges_s, counts[i])
            for cid, i in index.items()
        }

    def site_series(
        self,
        site: SiteInfo,
        start_s: float,
        end_s: float,
        bucket_min: int = MINUTE,
        zone: tzinfo | None = None,
    ) -> ComplianceSeries:
        """The sum of a site's cameras."""
        per_cam = self.camera_series(site.camera_ids, start_s, end_s, bucket_min, zone)
        zone = zone or station_zone()
        lo, hi = minute_range(start_s, end_s)
        edges = bucket_edges(zone, lo, hi, bucket_min).astype(np.float64) * 60.0
        counts = np.zeros((max(0, len(edges) - 1), len(COUNT_COLUMNS)), dtype=np.float64)
        for s in per_cam.values():
            counts += s.counts
        return ComplianceSeries(site.id, site.name, bucket_min, edges, counts)

    def events_between(
        self, camera_ids: Sequence[str], start_s: float, end_s: float, limit: int = 500
    ) -> list[EventRow]:
        """Events of these cameras in [start_s, end_s), oldest first."""
        if not camera_ids:
            return []
        marks = ", ".join("?" * len(camera_ids))
        sql = _EVENT_SELECT + f" WHERE e.camera_id IN ({marks}) AND e.at >= ? AND e.at < ?"
        rows = self._query(sql + " ORDER BY e.at, e.id LIMIT ?", (*camera_ids, start_s, end_s, int(limit)))
        return [_event_row(r) for r in rows]

    # ----- internals ----------------------------------------------------------------------------------
    def _camera_names(self, camera_ids: Sequence[str]) -> dict[str, str]:
        if not camera_ids:
            return {}
        marks = ", ".join("?" * len(camera_ids))
        return dict(self._query(f"SELECT id, name FROM cameras WHERE id IN ({marks})", camera_ids))

    def _scan(
        self, camera_ids: list[str], lo: int, hi: int, size: int, zone: tzinfo, hours: bool = True
    ) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
        """(camera ids, a minute inside each group, summed counts) for minutes [lo, hi)."""
        h_lo, h_hi = -(-lo // 60), hi // 60  # the whole UTC hours inside [lo, hi)
        if hours and size >= HOUR and h_lo < h_hi:
            segs = offset_segments(zone, h_lo * 60, h_hi * 60)
            # with whole-hour offsets changing on whole hours, local hours and days are unions of UTC hours
            if all(off % 60 == 0 and a % 60 == 0 for a, _, off in segs):
                yield from self._scan_minutes(camera_ids, lo, h_lo * 60, size, zone)
                yield from self._scan_hours(camera_ids, segs, size)
                yield from self._scan_minutes(camera_ids, h_hi * 60, hi, size, zone)
                return
        yield from self._scan_minutes(camera_ids, lo, hi, size, zone)

    def _scan_minutes(
        self, camera_ids: list[str], lo: int, hi: int, size: int, zone: tzinfo
    ) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
        if hi <= lo:
            return
        marks = ", ".join("?" * len(camera_ids))
        where = f"WHERE camera_id IN ({marks}) AND minute >= ? AND minute < ?"
        if size == MINUTE:
            rows = self._query(
                f"SELECT camera_id, minute, {_COLS} FROM compliance_minutes {where}", (*camera_ids, lo, hi)
            )
            yield from _split(rows)
            return
        # a group never spans a change of offset, so its min(minute) names its local bucket exactly
        sql = (
            f"SELECT camera_id, min(minute), {_SUMS} FROM compliance_minutes {where} "
            "GROUP BY camera_id, (minute + ?) / ?"
        )
        for s_lo, s_hi, off in offset_segments(zone, lo, hi):
            yield from _split(self._query(sql, (*camera_ids, s_lo, s_hi, off, size)))

    def _scan_hours(
        self, camera_ids: list[str], segs: list[tuple[int, int, int]], size: int
    ) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
        marks = ", ".join("?" * len(camera_ids))
        sql = (
            f"SELECT camera_id, min(hour) * 60, {_SUMS} FROM compliance_hours "
            f"WHERE camera_id IN ({marks}) AND hour >= ? AND hour < ? GROUP BY camera_id, (hour * 60 + ?) / ?"
        )
        for s_lo, s_hi, off in segs:
            yield from _split(self._query(sql, (*camera_ids, s_lo // 60, s_hi // 60, off, size)))


def _split(rows: list[Any]) -> Iterable[tuple[list[str], np.ndarray, np.ndarray]]:
    if not rows:
        return
    cams = [r[0] for r in rows]
    minutes = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    values = np.array([r[2:] for r in rows], dtype=np.float64)
    yield cams, minutes, values
