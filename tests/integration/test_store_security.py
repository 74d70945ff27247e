"""Store security: what the real station creates is readable by its account only (0600 files, 0700 folders),
files left readable by others are tightened at the next start, and the hourly audit head in the log reveals
a chain that was cut back inside the database."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.__main__ import main as vigil
from app.clips.index import all_segments
from app.clips.naming import utc_iso
from app.security.file_modes import loose
from app.security.station_start import audit_head_task, logged_head
from app.store import StoreWriter
from app.store.audit import AuditLog
from tests.integration.test_clips_support import make_h264, needs_ffmpeg

REPO = Path(__file__).resolve().parents[2]


def _vigil(base: Path, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "VIGIL_DATA_DIR": str(base / "data"),
           "VIGIL_CONFIG_DIR": str(base / "config")}  # fmt: skip
    env.pop("VIGIL_KEY_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, umask=0o022,
    )  # fmt: skip
    if wait:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
    return proc


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station run (recording on) and an export, started from a shell whose umask lets others read."""
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    base = tmp_path_factory.mktemp("secure")
    src = make_h264(base / "src.mp4", 4)
    data = base / "data"
    proc = _vigil(base, "run", "--headless", "--no-config", "--source", str(src), "--db", str(data / "vigil.sqlite3"),
                  "--media-dir", str(data), "--record", "--analysis", "off", "--quiet", "--duration", "5",
                  wait=False)  # fmt: skip
    wal = data / "vigil.sqlite3-wal"
    deadline = time.monotonic() + 60
    while not wal.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    (base / "wal_mode").write_text(oct(_mode(wal)) if wal.exists() else "absent")
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-2000:]
    segs = all_segments(Database(str(data / "vigil.sqlite3")), "cam1")
    assert segs, "the run recorded no segment"
    _vigil(base, "export", "--camera", "cam1", "--from", utc_iso(segs[0].start), "--to", utc_iso(segs[-1].end),
           "--out", str(base / "exports"), "--reason", "permission test", "--db", str(data / "vigil.sqlite3"),
           "--recordings", str(data / "recordings"))  # fmt: skip
    return base


@needs_ffmpeg
def test_everything_the_station_creates_is_readable_by_its_account_only(station: Path) -> None:
    data = station / "data"
    assert (station / "wal_mode").read_text() == "0o600"  # the -wal of the running station
    expected = [data / "vigil.sqlite3", data / "keys" / "station_ed25519.pem", data / "logs" / "vigil.log"]
    for p in expected:
        assert p.is_file() and _mode(p) == 0o600, p
    assert any((data / "recordings").rglob("*.mp4"))
    [export] = list((station / "exports").iterdir())
    assert (export / "manifest.json").is_file() and any(export.rglob("*.mp4"))
    assert _mode(data) == 0o700 and _mode(export) == 0o700
    assert loose([data, station / "exports"]) == []


@needs_ffmpeg
def test_files_left_readable_by_others_are_tightened_at_start_with_a_log_line(station: Path) -> None:
    data = station / "data"
    for folder, _dirs, names in os.walk(data):
        os.chmod(folder, 0o755)
        for n in names:
            os.chmod(Path(folder) / n, 0o644)
    assert len(loose([data])) > 5
    src = station / "src.mp4"
    _vigil(station, "run", "--headless", "--no-config", "--source", str(src), "--db", str(data / "vigil.sqlite3"),
           "--media-dir", str(data), "--analysis", "off", "--quiet", "--duration", "1")  # fmt: skip
    assert loose([data]) == []
    log = (data / "logs" / "vigil.log").read_text()
    assert "store security:" in log and "now owner-only" in log


def test_the_hourly_task_logs_the_head_and_the_log_reveals_a_cut_back_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path, log_file = tmp_path / "vigil.sqlite3", tmp_path / "vigil.log"
    writer = StoreWriter(db_path)
    writer.start()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    sec = logging.getLogger("vigil.security")
    sec.addHandler(handler)
    level, sec.level = sec.level, logging.INFO
    try:
        for i in range(6):
            writer.call(lambda db, i=i: AuditLog.append(db, "alice", "export", f"case:{i}")).result(10)
        task = audit_head_task(writer.call)
        task.tick().result(10)  # type: ignore[attr-defined]  # what the timer does every hour
        writer.call(lambda db: AuditLog.append(db, "bob", "login", "station")).result(10)
    finally:
        sec.removeHandler(handler)
        sec.setLevel(level)
        handler.close()
        writer.stop()
    with Database(str(db_path)) as db:
        head = AuditLog.verify(db).head_hash
        rows = db.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq").fetchall()
    noted = logged_head(log_file)
    assert noted is not None and noted == (6, rows[5][1])  # the line holds the chain's head at that tick
    assert noted[1] != head  # one row was added after the tick
    db_arg = ["--db", str(db_path)]
    assert vigil(["audit", "verify", "--head-from-log", str(log_file), *db_arg]) == 0
    assert "HEAD OK" in capsys.readouterr().out
    # an attacker with write access drops the append-only triggers and cuts the chain back to 4 rows
    con = sqlite3.connect(db_path)
    con.executescript("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 4;")
    con.close()
    assert vigil(["audit", "verify", *db_arg]) == 0  # the shorter chain is intact on its own
    capsys.readouterr()
    assert vigil(["audit", "verify", "--head-from-log", str(log_file), *db_arg]) == 1
    out = capsys.readouterr().out
    assert "TRUNCATED" in out and "not in the chain" in out
    assert vigil(["audit", "verify", "--head", noted[1], *db_arg]) == 1
    assert vigil(["audit", "verify", "--head", "zz", *db_arg]) == 2
    assert "64 hex digits" in capsys.readouterr().err
