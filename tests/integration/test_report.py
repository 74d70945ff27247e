"""``vigil report`` on a real scripted store: CSV contents (DST day included), PDF pages rendered with
pdftoppm, bad input with clear messages, no half-written files, and the query benchmark at small size."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from app.__main__ import main
from app.reports import ReportRequest, run_report
from app.store import open_db
from app.store.compliance_bench import run_compliance_bench
from tests.compliance_data import scripted_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Saturday to Monday around the spring DST change (Sunday 2026-03-29 has 23 hours in Berlin)
    return scripted_store(
        tmp_path_factory.mktemp("rep") / "vigil.sqlite3", date(2026, 3, 28), 3, rate_per_min=0.3
    )


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_has_one_row_per_site_and_local_hour_with_the_stored_totals(
    store: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.csv"
    code, stdout, err = _report(
        capsys, "--all", "--from", "2026-03-29", "--to", "2026-03-30", "--out", str(out), "--db", str(store)
    )
    assert code == 0, err
    assert "2 site(s), 46 rows" in stdout and "100%" in err  # progress went to stderr
    rows = list(csv.DictReader(out.open()))
    north = [r for r in rows if r["site_id"] == "north"]
    assert len(north) == 23  # the spring-forward day
    assert [r["hour_start_local"][11:] for r in north[:4]] == [
        "00:00+01:00",
        "01:00+01:00",
        "03:00+02:00",
        "04:00+02:00",
    ]
    assert north[2]["hour_start_utc"] == "2026-03-29T01:00Z"
    conn = sqlite3.connect(store)
    lo, hi = 1774738800, 1774821600  # 2026-03-29 00:00 CET .. 2026-03-30 00:00 CEST
    db_people, db_masked, db_decided = conn.execute(
        "SELECT count(*), sum(verdict = 'mask'), sum(verdict IN ('mask', 'no_mask', 'incorrect')) FROM tracks "
        "WHERE camera_id IN ('n1', 'n2') AND first_seen >= ? AND first_seen < ?",
        (lo, hi),
    ).fetchone()
    conn.close()
    assert sum(int(r["people"]) for r in north) == db_people
    assert sum(int(r["masked"]) for r in north) == db_masked
    busy = next(r for r in north if r["hour_start_local"].startswith("2026-03-29T12:00"))
    decided = int(busy["masked"]) + int(busy["unmasked"]) + int(busy["incorrect"])
    assert float(busy["compliance_pct"]) == pytest.approx(100 * int(busy["masked"]) / decided, abs=0.05)
    assert float(busy["live_minutes"]) == 120.0  # two cameras live the whole hour
    assert int(busy["decided"]) == decided  # the basis of the %, and whether it is too thin to trust
    assert busy["too_few_decided"] == ("1" if 0 < decided < 10 else "0")
    thin = [r for r in north if 0 < int(r["decided"]) < 10]
    assert all(r["too_few_decided"] == "1" for r in thin)
    assert all(r["too_few_decided"] == "0" for r in north if int(r["decided"]) >= 10 or r["decided"] == "0")
    night = north[0]
    assert night["compliance_pct"] == "" and night["live_minutes"] == "0.0"  # closed: offline, not 100 %
    assert db_decided > 0


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_pdf_has_one_page_per_site_and_renders_with_content(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # the CLI must go offscreen itself
    proc = subprocess.run(
        [sys.executable, "-m", "app", "report", "--all", "--from", "2026-03-28", "--to", "2026-03-31",
         "--format", "pdf", "--out", str(out), "--db", str(store)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "2 pages" in proc.stdout
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(out), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    from PySide6.QtGui import QImage

    for page in pages:
        img = QImage(str(page))
        rgb888 = img.convertToFormat(QImage.Format.Format_RGB888)
        arr = np.frombuffer(rgb888.constBits(), np.uint8)
        arr = arr[: img.height() * rgb888.bytesPerLine()].reshape(img.height(), rgb888.bytesPerLine())
        arr = arr[:, : img.width() * 3]
        rgb = arr.reshape(img.height(), img.width(), 3).astype(int)
        assert (rgb.sum(axis=2) < 600).mean() > 0.01, "page is blank"
        green = (rgb[..., 1] > rgb[..., 0] + 40) & (rgb[..., 1] > rgb[..., 2] + 20)
        assert green.sum() > 20, "no compliance line on the page"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-30", "--to", "2026-03-29"], "is after --to"),
        (["--from", "2026-03-29T10:00", "--to", "2026-03-29T10:00"], "the range is empty"),
        (["--from", "yesterday", "--to", "2026-03-29"], "is not an ISO date"),
        (
            ["--site", "west", "--from", "2026-03-29", "--to", "2026-03-30"],
            "unknown site 'west'; sites with cameras",
        ),
    ],
)
def test_bad_ranges_and_sites_are_clear_errors(
    store: Path, tmp_path: Path, capsys, args: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    if "--site" not in args:
        args = ["--all", *args]
    code, _, err = _report(capsys, *args, "--out", str(tmp_path / "r.csv"), "--db", str(store))
    assert code == 2 and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_and_empty_store_are_clear_errors(store: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = ["--all", "--from", "2026-03-29", "--to", "2026-03-30"]
    code, _, err = _report(capsys, *rng, "--out", str(tmp_path / "missing" / "r.csv"), "--db", str(store))
    assert code == 2 and "does not exist" in err
    empty = tmp_path / "empty.sqlite3"
    open_db(empty).close()
    code, _, err = _report(capsys, *rng, "--out", str(tmp_path / "r.csv"), "--db", str(empty))
    assert code == 2 and "holds no compliance data yet" in err
    code, _, err = _report(
        capsys, *rng, "--out", str(tmp_path / "r.csv"), "--db", str(tmp_path / "nope.sqlite3")
    )
    assert code == 2 and "does not exist" in err
    code, _, err = _report(capsys, *rng, "--out", str(tmp_path), "--db", str(store))
    assert code == 2 and "is a folder" in err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        code, _, err = _report(capsys, *rng, "--out", str(locked / "r.csv"), "--db", str(store))
        assert code == 2 and "read-only" in err
    finally:
        locked.chmod(0o700)


def test_a_failing_write_leaves_the_old_file_and_no_temp_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    out.write_bytes(b"previous report")

    def broken_writer(reports, path, progress):  # type: ignore[no-untyped-def]
        from app.reports import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_bytes(b"%PDF-half")
            raise RuntimeError("renderer crashed")

    req = ReportRequest(start=datetime(2026, 3, 29), end=datetime(2026, 3, 30), out=out, fmt="pdf")
    with pytest.raises(RuntimeError):
        run_report(store, req, pdf_writer=broken_writer)
    assert out.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_query_benchmark_smoke(tmp_path: Path) -> None:
    figures = run_compliance_bench(16 * 3 * 1440, tmp_path / "bench.sqlite3")
    assert figures["rows"] == 16 * 3 * 1440 and figures["cameras"] == 16 and figures["days"] == 3.0
    assert all(figures[k] >= 0 for k in figures if k.endswith("_ms"))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_a_percent_from_too_few_decided_people_is_marked_in_csv_and_pdf(
    store: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    ranges = {"thin": ("2026-03-29T12:00", "2026-03-29T12:05"), "day": ("2026-03-29", "2026-03-30")}
    texts = {}
    for name, (a, b) in ranges.items():
        csv_out, pdf_out = tmp_path / f"{name}.csv", tmp_path / f"{name}.pdf"
        code, _, err = _report(
            capsys, "--site", "north", "--from", a, "--to", b, "--out", str(csv_out), "--db", str(store)
        )  # fmt: skip
        assert code == 0, err
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # PDF: in its own process
        proc = subprocess.run(
            [sys.executable, "-m", "app", "report", "--site", "north", "--from", a, "--to", b, "--format", "pdf",
             "--out", str(pdf_out), "--db", str(store)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        rows = list(csv.DictReader(csv_out.open()))
        if name == "thin":  # five minutes of two entrances: a handful of people
            assert len(rows) == 1 and 0 < int(rows[0]["decided"]) < 10 and rows[0]["too_few_decided"] == "1"
        proc = subprocess.run(
            ["pdftotext", str(pdf_out), "-"], capture_output=True, text=True, check=True, timeout=60
        )
        texts[name] = proc.stdout
    assert "Compliance - too few" in texts["thin"]
    assert "People · decided" in texts["day"] and "too few" not in texts["day"]
