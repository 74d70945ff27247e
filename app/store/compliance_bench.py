"""Benchmark of the compliance queries on a generated store: 16 cameras in 4 malls, ``rows`` minute rows.

``python -m app.store.compliance_bench --rows 8400000 --db /tmp/bench.sqlite3`` (8.4 M rows = a year of
16 cameras; generating it takes about a minute and ~230 MB). ``run_compliance_bench`` is the function.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.store.buckets import DAY, HOUR, MINUTE
from app.store.compliance import ROLLUP_HOURS_SQL
from app.store.compliance_query import ComplianceReader, SiteInfo
from app.store.db import open_db

CAMERAS = 16
SITES = 4
START_S = 1_767_225_600  # 2026-01-01 00:00 UTC
ZONE = "Europe/Berlin"


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """A fresh store at ``path`` with ``rows`` minute rows spread over 16 cameras (busy days, quiet nights,
    about one hour offline per camera per day)."""
    path.unlink(missing_ok=True)
    db = open_db(path)
    conn = db.conn
    try:
        conn.execute("PRAGMA synchronous = OFF")
        for s in range(SITES):
            conn.execute(
                "INSERT INTO sites(id, name, timezone, updated_at) VALUES (?, ?, ?, 0)",
                (f"mall{s}", f"Mall {s}", ZONE),
            )
        per_cam = max(1, rows // CAMERAS)
        m0 = START_S // 60
        rng = np.random.default_rng(seed)
        minutes = np.arange(m0, m0 + per_cam, dtype=np.int64)
        hour = (minutes // 60) % 24
        rate = np.where((hour >= 8) & (hour < 21), 4.0, 0.3)
        for c in range(CAMERAS):
            cam = f"cam{c:02d}"
            conn.execute(
                "INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES (?, ?, ?, 1, 0)",
                (cam, f"Entrance {c % 4 + 1}", f"mall{c % SITES}"),
            )
            people = rng.poisson(rate)
            masked = rng.binomial(people, 0.85)
            rest = people - masked
            unmasked = rng.binomial(rest, 0.7)
            incorrect = rest - unmasked
            live = np.where((minutes // 60 + c) % 24 == 3, 0.0, 60.0)  # one dark hour a day
            people = np.where(live > 0, people, 0)
            data = zip(
                [cam] * per_cam,
                minutes.tolist(),
                people.tolist(),
                np.where(live > 0, masked, 0).tolist(),
                np.where(live > 0, unmasked, 0).tolist(),
                np.where(live > 0, incorrect, 0).tolist(),
                live.tolist(),
                strict=True,
            )
            conn.executemany(
                "INSERT INTO compliance_minutes(camera_id, minute, people, masked, unmasked, incorrect, live_s) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                data,
            )
            conn.commit()
        conn.execute(ROLLUP_HOURS_SQL)  # the writer keeps the hour roll-up; bulk loading rebuilds it
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    return round(statistics.median(times), 1)


def run_compliance_bench(rows: int, path: Path | str, *, regenerate: bool = True) -> dict[str, Any]:
    """Generate ``rows`` minute rows at ``path`` (unless ``regenerate`` is False and it exists) and time
    the queries the timeline and the reports make. Returns figures in milliseconds."""
    p = Path(path)
    t0 = time.perf_counter()
    if regenerate or not p.exists():
        generate(p, rows)
    gen_s = time.perf_counter() - t0
    zone = zoneinfo.ZoneInfo(ZONE)
    with ComplianceReader(p) as reader:
        stored = int(reader._query("SELECT count(*) FROM compliance_minutes")[0][0])
        span = reader.data_range()
        assert span is not None
        first, end = span
        sites = [s for s in reader.sites() if s.cameras]
        site: SiteInfo = sites[0]
        all_cams = [c for s in sites for c in s.camera_ids]
        day_lo = max(first, end - 86400.0)
        repeat = 5
        figures = {
            "rows": stored,
            "cameras": len(all_cams),
            "days": round((end - first) / 86400.0, 1),
            "generate_s": round(gen_s, 1),
            "db_mb": round(reader.db_size_bytes() / 1e6, 1),
            "day_site_by_minute_ms": _timed(
                lambda: reader.site_series(site, day_lo, end, MINUTE, zone), repeat
            ),
            "day_all_cameras_by_minute_ms": _timed(
                lambda: reader.camera_series(all_cams, day_lo, end, MINUTE, zone), repeat
            ),
            "day_all_cameras_by_hour_ms": _timed(
                lambda: reader.camera_series(all_cams, day_lo, end, HOUR, zone), repeat
            ),
            "full_site_by_day_ms": _timed(lambda: reader.site_series(site, first, end, DAY, zone), 2),
            "full_site_by_hour_ms": _timed(lambda: reader.site_series(site, first, end, HOUR, zone), 2),
            "full_all_cameras_by_day_ms": _timed(
                lambda: reader.camera_series(all_cams, first, end, DAY, zone), 2
            ),
            "full_all_cameras_by_hour_ms": _timed(
                lambda: reader.camera_series(all_cams, first, end, HOUR, zone), 2
            ),
            "full_site_by_day_minutes_only_ms": _timed(
                lambda: reader.camera_series(site.camera_ids, first, end, DAY, zone, hours=False), 1
            ),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.store.compliance_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--rows", type=int, default=8_409_600, help="minute rows (default: a year of 16 cameras)"
    )
    parser.add_argument("--db", type=Path, required=True, help="database file to (re)create")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing --db instead of regenerating")
    args = parser.parse_args(argv)
    print(json.dumps(run_compliance_bench(args.rows, args.db, regenerate=not args.reuse), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
