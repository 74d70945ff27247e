"""Report files are written whole or not at all: a temp name in the same folder, fsync, then rename."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.reports.basis import too_few
from app.reports.model import SiteReport, hour_rows

CSV_COLUMNS = (
    QT_TRANSLATE_NOOP("CsvReport", "site_id"),
    QT_TRANSLATE_NOOP("CsvReport", "site"),
    QT_TRANSLATE_NOOP("CsvReport", "hour_start_local"),
    QT_TRANSLATE_NOOP("CsvReport", "hour_start_utc"),
    QT_TRANSLATE_NOOP("CsvReport", "people"),
    QT_TRANSLATE_NOOP("CsvReport", "masked"),
    QT_TRANSLATE_NOOP("CsvReport", "unmasked"),
    QT_TRANSLATE_NOOP("CsvReport", "incorrect"),
    QT_TRANSLATE_NOOP("CsvReport", "uncertain"),
    QT_TRANSLATE_NOOP("CsvReport", "unknown"),
    QT_TRANSLATE_NOOP("CsvReport", "compliance_pct"),
    QT_TRANSLATE_NOOP("CsvReport", "live_minutes"),
    QT_TRANSLATE_NOOP("CsvReport", "decided"),
    QT_TRANSLATE_NOOP("CsvReport", "too_few_decided"),  # 1: the % rests on fewer than 10 decided people
)


@contextlib.contextmanager
def atomic_path(out: Path) -> Iterator[Path]:
    """Yield a temp path next to ``out``; on success it replaces ``out``, on any failure it is removed."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(
            f"cannot write the report {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        raise UserError(
            f"cannot write the report {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(
    reports: Sequence[SiteReport],
    out: Path,
    progress: Callable[[float], None] | None = None,
    header: Sequence[str] = (),
) -> int:
    """One row per site and local hour (``header``: the column titles, default ``CSV_COLUMNS``); returns
    the number of data rows."""
    n = 0
    with atomic_path(out) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(tuple(header) or CSV_COLUMNS)
        for i, rep in enumerate(reports):
            buf = io.StringIO()
            rows = csv.writer(buf)
            for row in hour_rows(rep.hours, rep.zone):
                t = row.totals
                rows.writerow(
                    (
                        rep.site.id,
                        rep.site.name,
                        datetime.fromtimestamp(row.start, rep.zone).isoformat(timespec="minutes"),
                        datetime.fromtimestamp(row.start, UTC).strftime("%Y-%m-%dT%H:%MZ"),
                        t.people,
                        t.masked,
                        t.unmasked,
                        t.incorrect,
                        t.uncertain,
                        t.unknown,
                        "" if t.compliance is None else f"{t.compliance:.1f}",
                        f"{t.live_s / 60.0:.1f}",
                        t.decided,
                        int(too_few(t.decided)),
                    )
                )
                n += 1
            f.write(buf.getvalue())
            if progress is not None:
                progress((i + 1) / max(1, len(reports)))
    return n
