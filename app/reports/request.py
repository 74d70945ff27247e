"""A report request checked before any work: times, range, sites, output path, database contents.

Every problem is a ``UserError`` with one line naming the input and the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from app.errors import UserError
from app.reports.model import site_zone
from app.store.compliance_query import ComplianceReader, SiteInfo

FORMATS = ("csv", "pdf")


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """``start``/``end``: a naive datetime is the local time of each site; an aware one is exact.
    ``sites``: ids or names; empty means every site with cameras. ``zones``: config overrides by site id."""

    start: datetime
    end: datetime
    out: Path
    fmt: str = "csv"
    sites: tuple[str, ...] = ()
    zones: dict[str, str] = field(default_factory=dict)
    csv_header: tuple[str, ...] = ()  # the CSV's first row in the report's language (default: CSV_COLUMNS)


def parse_time(text: str, flag: str) -> datetime:
    """ISO date or date-time (``2026-03-29``, ``2026-03-29T08:00``, ``...+02:00``, ``...Z``)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{flag} {text!r} is not an ISO date or time; write e.g. 2026-03-29 or 2026-03-29T08:00"
        ) from None


def to_epoch(dt: datetime, zone: tzinfo) -> float:
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=zone)).timestamp()


def check_range(request: ReportRequest, zone: tzinfo) -> tuple[float, float]:
    start, end = to_epoch(request.start, zone), to_epoch(request.end, zone)
    a, b = request.start.isoformat(timespec="minutes"), request.end.isoformat(timespec="minutes")
    if end < start:
        raise UserError(f"--from {a} is after --to {b}; swap them")
    if end == start:
        raise UserError(f"--from and --to are both {a}: the range is empty")
    return start, end


def check_output(out: Path, fmt: str) -> Path:
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r} is not supported; use csv or pdf")
    out = out.expanduser()
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; give a file name such as {out / ('compliance.' + fmt)}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write the report {out}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot write the report {out}: the folder {folder} is read-only; choose another --out"
        )
    if out.exists() and not os.access(out, os.W_OK):
        raise UserError(f"cannot write the report {out}: the file is read-only; choose another --out")
    return out


def select_sites(reader: ComplianceReader, wanted: tuple[str, ...]) -> list[SiteInfo]:
    """Sites by id or name (case-insensitive); all sites with cameras when ``wanted`` is empty."""
    known = [s for s in reader.sites() if s.cameras]
    if not wanted:
        return known
    out: list[SiteInfo] = []
    for name in wanted:
        key = name.strip().casefold()
        found = next((s for s in known if key in (s.id.casefold(), s.name.casefold())), None)
        if found is None:
            names = ", ".join(f"{s.id} ({s.name})" for s in known) or "none"
            raise UserError(f"unknown site {name!r}; sites with cameras in this store: {names}")
        if found not in out:
            out.append(found)
    return out


def resolve(
    reader: ComplianceReader, request: ReportRequest
) -> list[tuple[SiteInfo, tzinfo, tuple[float, float]]]:
    """Check everything; the sites to report with their zone and UTC range."""
    check_output(request.out, request.fmt)
    if not reader.has_data():
        raise UserError(
            f"the event store {reader.path} holds no compliance data yet (no camera has been live and no "
            "visitor counted); run the station first or check --db"
        )
    plan = []
    for site in select_sites(reader, request.sites):
        zone = site_zone(site, request.zones.get(site.id, ""))
        plan.append((site, zone, check_range(request, zone)))
    if not plan:
        raise UserError(f"the event store {reader.path} lists no site with cameras; check --db")
    return plan
