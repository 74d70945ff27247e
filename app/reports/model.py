"""What a compliance report holds: per site, hourly rows in the site's local time, a table at a
readable granularity (hours, days or months), the worst hours and the totals. Format-free."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np

from app.store.buckets import HOUR, local_midnight, zone_for, zone_name
from app.store.compliance import COUNT_COLUMNS
from app.store.compliance_query import ComplianceReader, ComplianceSeries, ComplianceTotals, SiteInfo

Progress = Callable[[float, str], None]  # (fraction 0-1, what is being done)
WORST_MIN_DECIDED = 5  # an hour needs this many clear verdicts to be listed among the worst
WORST_COUNT = 5
CHUNK_DAYS = 31


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One bucket of one site. ``start``/``end`` are UTC epoch seconds; ``label`` is local time."""

    start: float
    end: float
    label: str
    totals: ComplianceTotals


@dataclass(frozen=True, slots=True, eq=False)
class SiteReport:
    """Everything a one-site report shows."""

    site: SiteInfo
    zone: tzinfo
    start: float
    end: float
    hours: ComplianceSeries  # local hours, the CSV rows and the worst hours
    table_unit: str  # "hour" | "day" | "month"
    table: tuple[ReportRow, ...]
    worst: tuple[ReportRow, ...]
    totals: ComplianceTotals

    @property
    def zone_name(self) -> str:
        return zone_name(self.zone)


def site_zone(site: SiteInfo, override: str = "") -> tzinfo:
    """The config's zone if set, else the one stored with the site, else the station's."""
    return zone_for(override or site.timezone)


def hour_rows(series: ComplianceSeries, zone: tzinfo) -> list[ReportRow]:
    out = []
    for i in range(len(series)):
        start, end = float(series.edges[i]), float(series.edges[i + 1])
        label = datetime.fromtimestamp(start, zone).isoformat(timespec="minutes")
        out.append(ReportRow(start, end, label, _totals(series.counts[i])))
    return out


def _totals(v: np.ndarray) -> ComplianceTotals:
    people, masked, unmasked, incorrect, uncertain, unknown = (int(round(x)) for x in v[:-1])
    return ComplianceTotals(people, masked, unmasked, incorrect, uncertain, unknown, float(v[-1]))


def regroup(series: ComplianceSeries, zone: tzinfo, unit: str) -> list[ReportRow]:
    """Sum hourly buckets into local days or months (hour buckets never straddle local midnight)."""
    groups: dict[tuple[int, int, int], np.ndarray] = {}
    for i, s in enumerate(series.starts):
        day = datetime.fromtimestamp(float(s), zone).date()
        key = (day.year, day.month, day.day if unit == "day" else 1)
        acc = groups.get(key)
        groups[key] = series.counts[i].copy() if acc is None else acc + series.counts[i]
    lo, hi = float(series.edges[0]), float(series.edges[-1])
    rows = []
    for (y, m, d), v in sorted(groups.items()):
        first = datetime(y, m, d).date()
        if unit == "day":
            nxt = first + timedelta(days=1)
            label = first.isoformat()
        else:
            nxt = datetime(y + (m == 12), m % 12 + 1, 1).date()
            label = f"{y:04d}-{m:02d}"
        start = max(lo, local_midnight(zone, first) * 60.0)
        end = min(hi, local_midnight(zone, nxt) * 60.0)
        rows.append(ReportRow(start, end, label, _totals(v)))
    return rows


def table_unit_for(span_s: float) -> str:
    if span_s <= 25 * 3600:  # a day, also the 25-hour day of an autumn DST change
        return "hour"
    if span_s <= 32 * 86400:
        return "day"
    return "month"


def worst_hours(rows: list[ReportRow], n: int = WORST_COUNT) -> tuple[ReportRow, ...]:
    """Lowest compliance first among hours with at least ``WORST_MIN_DECIDED`` clear verdicts."""
    ranked = [r for r in rows if r.totals.decided >= WORST_MIN_DECIDED]
    ranked.sort(key=lambda r: (r.totals.compliance or 0.0, -r.totals.decided, r.start))
    return tuple(ranked[:n])


def chunks(zone: tzinfo, start: float, end: float, days: int = CHUNK_DAYS) -> list[tuple[float, float]]:
    """[start, end) cut at local midnights about every ``days`` days (for progress and bounded queries)."""
    out = []
    lo = start
    while lo < end:
        d = datetime.fromtimestamp(lo, zone).date() + timedelta(days=days)
        hi = min(end, local_midnight(zone, d) * 60.0)
        if hi <= lo:
            hi = end
        out.append((lo, hi))
        lo = hi
    return out


def hourly_series(
    reader: ComplianceReader,
    site: SiteInfo,
    zone: tzinfo,
    span: tuple[float, float],
    progress: Callable[[float], None] | None = None,
) -> ComplianceSeries:
    """The site's local-hour series over ``span``, queried month by month."""
    parts = chunks(zone, *span)
    edges: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for i, (lo, hi) in enumerate(parts):
        s = reader.site_series(site, lo, hi, HOUR, zone)
        edges.append(s.edges[:-1])
        counts.append(s.counts)
        if progress is not None:
            progress((i + 1) / len(parts))
    all_edges = np.concatenate([*edges, np.array([float(math.ceil(span[1] / 60.0) * 60.0)])])
    all_counts = np.concatenate(counts) if counts else np.zeros((0, len(COUNT_COLUMNS)))
    return ComplianceSeries(site.id, site.name, HOUR, all_edges, all_counts)


def build_site_report(
    reader: ComplianceReader,
    site: SiteInfo,
    zone: tzinfo,
    span: tuple[float, float],
    progress: Callable[[float], None] | None = None,
) -> SiteReport:
    hours = hourly_series(reader, site, zone, span, progress)
    rows = hour_rows(hours, zone)
    unit = table_unit_for(span[1] - span[0])
    table = rows if unit == "hour" else regroup(hours, zone, unit)
    return SiteReport(
        site=site,
        zone=zone,
        start=span[0],
        end=span[1],
        hours=hours,
        table_unit=unit,
        table=tuple(table),
        worst=worst_hours(rows),
        totals=hours.totals(),
    )
