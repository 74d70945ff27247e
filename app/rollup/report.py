"""``vigil report --db ROLLUP.db``: one CSV row per mall (station) over a time range."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from app.errors import UserError

COLUMNS = (
    "station_id", "people", "masked", "unmasked", "incorrect", "uncertain", "unknown", "compliance_pct",
    "camera_live_hours", "events", "online", "last_heartbeat_utc", "backlog",
)  # fmt: skip


def _epoch(t: datetime) -> float:
    return (t if t.tzinfo else t.astimezone()).timestamp()


def write_station_report(db: Path, start: datetime, end: datetime, out: Path, stations: tuple[str, ...] = ()) -> int:
    t0, t1 = _epoch(start), _epoch(end)
    if t1 <= t0:
        raise UserError("--to must be after --from")
    try:
        conn = sqlite3.connect(f"file:{db.expanduser()}?mode=ro", uri=True)
        rows = conn.execute(
            """SELECT s.station_id,
                      coalesce(c.people, 0), coalesce(c.masked, 0), coalesce(c.unmasked, 0),
                      coalesce(c.incorrect, 0), coalesce(c.uncertain, 0), coalesce(c.unknown, 0),
                      coalesce(c.live_s, 0), coalesce(e.n, 0), s.online, s.last_heartbeat, s.backlog
               FROM stations s
               LEFT JOIN (SELECT station_id, sum(people) people, sum(masked) masked, sum(unmasked) unmasked,
                                 sum(incorrect) incorrect, sum(uncertain) uncertain, sum(unknown) unknown,
                                 sum(live_s) live_s
                          FROM compliance_minutes WHERE minute >= ? AND minute < ? GROUP BY station_id) c
                      ON c.station_id = s.station_id
               LEFT JOIN (SELECT station_id, count(*) n FROM events WHERE at >= ? AND at < ? GROUP BY station_id) e
                      ON e.station_id = s.station_id
               ORDER BY s.station_id""",
            (int(t0 // 60), int(-(-t1 // 60)), t0, t1),
        ).fetchall()
        conn.close()
    except sqlite3.Error as exc:
        raise UserError(f"cannot read roll-up database {db}: {exc}") from None
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    n = 0
    for sid, people, masked, unmasked, incorrect, uncertain, unknown, live_s, events, online, beat, backlog in rows:
        if stations and sid not in stations:
            continue
        judged = masked + unmasked + incorrect
        pct = f"{100.0 * masked / judged:.1f}" if judged else ""
        beat_s = datetime.utcfromtimestamp(beat).strftime("%Y-%m-%dT%H:%M:%SZ") if beat else ""
        w.writerow([sid, people, masked, unmasked, incorrect, uncertain, unknown, pct, f"{live_s / 3600:.2f}",
                    events, "yes" if online else "no", beat_s, backlog])  # fmt: skip
        n += 1
    out = out.expanduser()
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    os.replace(tmp, out)
    return n
