"""Helpers of the station-kill fault tests: the real ``python -m app run --headless`` as a child process whose
stderr lines are time-stamped on arrival, killed with SIGKILL, and read-only looks at the store it left."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIPS = (  # one person each, in view for the whole clip (looped): the truth is one visitor per camera
    "man_no_mask_360p.mp4",
    "woman_with_mask_laptop_404p.mp4",
    "woman_puts_on_mask_218p.mp4",
    "man_no_mask_720p.mp4",
)
EVENT_LINE = re.compile(r"event (\S+) on (\S+)(?: \(track (\d+)\))?")


def kills_wanted(default: int = 3) -> int:
    """``VIGIL_CRASH_KILLS``: how many kills the long variant does (the README's full run: 20)."""
    try:
        return max(1, int(os.environ.get("VIGIL_CRASH_KILLS", default)))
    except ValueError:
        return default


def write_config(path: Path, lost_track_s: float) -> Path:
    path.write_text(f"version = 1\n\n[analysis]\nlost_track_s = {lost_track_s}\n", encoding="utf-8")
    return path


@dataclass
class StationProc:
    """One ``vigil run --headless`` child. ``lines``: (arrival time, stderr line)."""

    args: list[str]
    proc: subprocess.Popen[str] | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)
    stdout: str = ""
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> StationProc:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "--headless", *self.args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._threads = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=self._read_out, daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def _read_err(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append((time.time(), line.rstrip("\n")))

    def _read_out(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def kill(self) -> float:
        """SIGKILL now; returns the moment it was sent (UTC epoch)."""
        assert self.proc is not None
        at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._join()
        return at

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise
        self._join()
        return code

    def _join(self) -> None:
        for t in self._threads:
            t.join(10)

    def report(self) -> dict:
        return json.loads(self.stdout)

    def events_seen(self) -> list[tuple[float, str, str, int | None]]:
        """(arrival, kind, camera, track) of every event line the run printed."""
        out = []
        for at, line in self.lines:
            m = EVENT_LINE.search(line)
            if m:
                out.append((at, m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None))
        return out

    def stderr(self) -> str:
        return "\n".join(line for _, line in self.lines)


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def integrity(db: Path) -> str:
    return str(query(db, "PRAGMA integrity_check")[0][0])


def newest_run(db: Path) -> int:
    return int(query(db, "SELECT max(id) FROM runs")[0][0] or 0)


def people_per_camera(db: Path) -> dict[str, int]:
    return {
        c: int(n) for c, n in query(db, "SELECT camera_id, sum(people) FROM compliance_minutes GROUP BY 1")
    }


def open_tracks_of(db: Path, run_id: int) -> dict[str, float]:
    """Camera -> newest stored sighting of the tracks that run has in view (its own or continued ones)."""
    rows = query(
        db,
        "SELECT camera_id, max(last_seen) FROM tracks WHERE end_reason = 'open' AND (run_id = ? OR cont_run = ?) "
        "GROUP BY 1",
        (run_id, run_id),
    )
    return {c: float(t) for c, t in rows}


def wait_for(predicate, timeout: float, every: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except sqlite3.Error:
            pass  # the file is being created or migrated
        time.sleep(every)
    return False
