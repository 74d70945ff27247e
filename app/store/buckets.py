"""Local-time buckets over UTC minutes: time zones, DST-exact hour/day edges, offset segments.

Storage counts UTC minutes (epoch // 60). Reports and the timeline group them into buckets that start on
local wall-clock boundaries of a site's zone: a local day across a DST change has 23 or 25 hours, and the
repeated local hour of an autumn change is two separate hour buckets.
"""

from __future__ import annotations

import logging
import math
import os
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np

from app.config import DEFAULT_SHIFT_STARTS

log = logging.getLogger("vigil.store")

MINUTE = 1
HOUR = 60
DAY = 1440
BUCKET_SIZES = (1, 5, 10, 15, 30, HOUR, DAY)  # minutes; all but DAY divide an hour
_SAMPLE_MIN = 6 * 60  # offsets are probed this often; real zones change at most twice a year


def station_zone() -> tzinfo:
    """The computer's own zone, DST-aware: ``TZ``, else /etc/localtime, else the C library's local time."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            log.warning("TZ=%r is not a known time zone; using the system zone", name)
    try:
        with open("/etc/localtime", "rb") as f:
            return zoneinfo.ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError):
        pass
    return _SystemLocal()


def zone_for(name: str) -> tzinfo:
    """The IANA zone ``name``; the station's zone for "" or an unknown name (logged)."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            log.warning("unknown time zone %r; using the station's zone", name)
    return station_zone()


def zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    if isinstance(key, str) and key != "localtime":
        return key
    return datetime.now(zone).tzname() or "local time"


class _SystemLocal(tzinfo):
    """The C library's local time (Windows without tzdata): offsets per instant via ``time.localtime``."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(0)
        naive = dt.replace(tzinfo=None)
        return naive.astimezone().utcoffset() or timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "local"

    def fromutc(self, dt: datetime) -> datetime:
        ts = (dt.replace(tzinfo=UTC)).timestamp()
        local = datetime.fromtimestamp(ts)
        return local.replace(tzinfo=self)


def offset_min(zone: tzinfo, minute: int) -> int:
    """UTC offset of ``zone`` (minutes east) at UTC ``minute``."""
    off = datetime.fromtimestamp(minute * 60, zone).utcoffset()
    return int(off.total_seconds() // 60) if off is not None else 0


def offset_segments(zone: tzinfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Split UTC minutes [lo, hi) into runs of constant offset: (start, end, offset_min)."""
    if hi <= lo:
        return []
    segs: list[tuple[int, int, int]] = []
    start, off = lo, offset_min(zone, lo)
    probe = lo
    while probe < hi:
        nxt = min(probe + _SAMPLE_MIN, hi - 1)
        if nxt <= probe:
            break
        o = offset_min(zone, nxt)
        if o != off:
            a, b = probe, nxt  # offset(a) == off, offset(b) != off: find the first changed minute
            while b - a > 1:
                mid = (a + b) // 2
                if offset_min(zone, mid) == off:
                    a = mid
                else:
                    b = mid
            segs.append((start, b, off))
            start, off = b, offset_min(zone, b)
        probe = nxt
    segs.append((start, hi, off))
    return segs


def local_midnight(zone: tzinfo, day: date) -> int:
    """UTC minute of the start of local ``day`` (the first existing wall time of that day)."""
    dt = datetime(day.year, day.month, day.day, tzinfo=zone)
    minute = int(dt.timestamp() // 60)
    # a zone whose DST change skips midnight: the day starts at the first valid minute after the gap
    if datetime.fromtimestamp(minute * 60, zone).date() != day:
        minute += 60
    return minute


def bucket_edges(zone: tzinfo, lo: int, hi: int, size: int) -> np.ndarray:
    """Edges (UTC minutes, int64, first ``lo``, last ``hi``) of local ``size``-minute buckets over [lo, hi)."""
    if size not in BUCKET_SIZES:
        raise ValueError(f"bucket size {size} min is not one of {BUCKET_SIZES}")
    if hi <= lo:
        return np.array([lo], dtype=np.int64)
    if size == MINUTE:
        return np.arange(lo, hi + 1, dtype=np.int64)
    parts: list[np.ndarray] = [np.array([lo, hi], dtype=np.int64)]
    if size == DAY:
        d = datetime.fromtimestamp(lo * 60, zone).date()
        last = datetime.fromtimestamp((hi - 1) * 60, zone).date()
        days = []
        while d <= last:
            days.append(local_midnight(zone, d))
            d += timedelta(days=1)
        parts.append(np.array(days, dtype=np.int64))
    else:
        for s_lo, s_hi, off in offset_segments(zone, lo, hi):
            first = -((-(s_lo + off)) // size) * size - off  # first local boundary at or after s_lo
            parts.append(np.arange(first, s_hi, size, dtype=np.int64))
            parts.append(np.array([s_lo], dtype=np.int64))
    edges = np.unique(np.concatenate(parts))
    return edges[(edges >= lo) & (edges <= hi)]


def choose_bucket(span_s: float, max_points: int = 1500) -> int:
    """The finest bucket size that keeps a ``span_s`` range under ``max_points`` buckets."""
    minutes = max(1.0, span_s / 60.0)
    for size in BUCKET_SIZES:
        if minutes / size <= max_points:
            return size
    return DAY


def local_dt(ts: float, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(ts, zone)


def format_bucket(start_s: float, zone: tzinfo, size: int) -> str:
    """A short local label: ``2026-03-29`` for days, ``2026-03-29 02:00 CEST`` otherwise."""
    dt = local_dt(start_s, zone)
    if size >= DAY:
        return dt.strftime("%Y-%m-%d")
    return dt.strftime("%Y-%m-%d %H:%M %Z")


PRESETS = ("hour", "shift", "today", "7d", "30d")
SHIFT_STARTS = DEFAULT_SHIFT_STARTS  # local times at which the daily shifts begin


def preset_range(
    preset: str, now_s: float, zone: tzinfo, shift_starts: Sequence[str] = SHIFT_STARTS
) -> tuple[float, float]:
    """[start, end) UTC seconds of a range preset; starts fall on minute or local-midnight boundaries
    so that live refreshes can keep the buckets they already have. ``shift_starts``: sorted local "HH:MM"."""
    end = (math.floor(now_s / 60.0) + 1) * 60.0
    today = datetime.fromtimestamp(now_s, zone).date()
    if preset == "hour":
        return end - 3600.0, end
    if preset == "today":
        return local_midnight(zone, today) * 60.0, end
    if preset in ("7d", "30d"):
        days = 7 if preset == "7d" else 30
        return local_midnight(zone, today - timedelta(days=days - 1)) * 60.0, end
    if preset == "shift":
        local = datetime.fromtimestamp(now_s, zone)
        minutes = sorted(int(t[:2]) * 60 + int(t[3:5]) for t in shift_starts)
        started = [m for m in minutes if m <= local.hour * 60 + local.minute]
        day = today if started else today - timedelta(days=1)
        at = started[-1] if started else minutes[-1]
        start = datetime(day.year, day.month, day.day, at // 60, at % 60, tzinfo=zone).timestamp()
        return start, end
    raise ValueError(f"unknown range preset {preset!r}; one of {PRESETS}")


_TIMELINE_BUCKETS = ((3 * 3600, 1), (12 * 3600, 5), (36 * 3600, 15), (45 * 86400, HOUR))


def timeline_bucket(span_s: float) -> int:
    """Bucket size for a chart of ``span_s``: minutes for an hour or a shift, quarter hours for a day,
    hours for a week or a month, days beyond (a few hundred points at most, readable percentages)."""
    for limit, size in _TIMELINE_BUCKETS:
        if span_s <= limit:
            return size
    return DAY
