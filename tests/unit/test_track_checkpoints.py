"""Crash-safe counting through the real StoreWriter on a real SQLite file, with a real ``kill -9``:
checkpoints count a person once, the next start closes a killed run's tracks, a quick restart continues them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.tracker import TrackerOptions
from app.domain import BBox, Detection, Frame, MaskState
from app.store import StoreReader, StoreWriter, TrackUpdate
from app.store.check import check_store

REPO = Path(__file__).resolve().parents[2]
T0 = 1_780_000_020.0  # 20 s into a UTC minute

# A station that checkpoints one open track twice, sees the batch committed, and is killed (SIGKILL).
KILLED = r"""
import os, signal, sys
from app.domain import MaskState
from app.store import StoreWriter, TrackUpdate
t0 = float(sys.argv[2])
w = StoreWriter(sys.argv[1], flush_interval_s=0.05)
w.start()
w.submit(TrackUpdate("cam1", 1, t0, t0 + 2, 60.0, MaskState.UNKNOWN, 10, open=True))
w.submit(TrackUpdate("cam1", 1, t0, t0 + 4, 64.0, MaskState.NO_MASK, 20, open=True))
assert w.flush(10)
print(w.run_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_run(db: Path) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(db), str(T0)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    return int(proc.stdout.split()[0])


def _people(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as con:
        row = con.execute("SELECT sum(people), sum(unmasked) FROM compliance_minutes").fetchone()
        hours = con.execute("SELECT sum(people) FROM compliance_hours").fetchone()[0]
    assert row[0] == hours  # the hour roll-up moves with the minutes
    return int(row[0] or 0), int(row[1] or 0)


def _tracks(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT run_id, track_id, first_seen, last_seen, verdict, end_reason FROM tracks ORDER BY id"
        ).fetchall()


def test_a_checkpointed_track_is_counted_at_once_and_its_close_updates_the_same_row(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    w = StoreWriter(db, flush_interval_s=0.01)
    w.start()
    w.submit(TrackUpdate("cam1", 7, T0, T0 + 2, 50.0, MaskState.UNKNOWN, 5, open=True))
    assert w.flush(10)
    assert _people(db) == (1, 0)  # in the minute rows while the person is still in view
    w.submit(TrackUpdate("cam1", 7, T0, T0 + 4, 60.0, MaskState.NO_MASK, 12, open=True))
    w.submit(TrackUpdate("cam1", 7, T0, T0 + 9, 61.0, MaskState.NO_MASK, 30))
    w.submit(TrackUpdate("cam1", 7, T0, T0 + 9, 61.0, MaskState.NO_MASK, 30, open=True))  # late: stays ended
    w.stop()
    assert _people(db) == (1, 1)
    assert [r[3:] for r in _tracks(db)] == [(T0 + 9, "no_mask", "ended")]
    [row] = StoreReader(db).tracks()
    assert row.end_reason == "ended" and row.frames == 30


def test_the_next_start_closes_a_killed_runs_tracks_at_their_last_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    dead = _killed_run(db)
    assert _people(db) == (1, 1)  # the kill lost no one: the checkpoints were committed
    assert _tracks(db)[0][-1] == "open"
    w = StoreWriter(db, relink_s=4.0)
    w.start()
    w.stop()
    assert w.recovered.runs == (dead,) and w.recovered.tracks == 1
    assert "ended without a clean stop" in w.recovered.message()
    assert _tracks(db) == [(dead, 1, T0, T0 + 4, "no_mask", "crash")]
    assert _people(db) == (1, 1)
    with sqlite3.connect(db) as con:
        runs = dict(con.execute("SELECT id, ended FROM runs").fetchall())
    assert runs == {dead: "crash", w.run_id: "stopped"}
    assert check_store(db).crashes == (1, 1)  # python -m app.store.check prints it
    again = StoreWriter(db)
    again.start()
    again.stop()
    assert again.recovered.runs == ()  # a clean stop is not a crash


def test_a_restart_within_the_lost_time_continues_the_track_and_a_later_person_is_new(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    dead = _killed_run(db)
    w = StoreWriter(db, flush_interval_s=0.01, relink_s=4.0)
    w.start()
    # the same person, seen again 3 s after the last checkpoint (under the 4 s lost-track time)
    w.submit(TrackUpdate("cam1", 1, T0 + 7, T0 + 9, 60.0, MaskState.UNKNOWN, 4, open=True))
    w.submit(TrackUpdate("cam1", 1, T0 + 7, T0 + 12, 66.0, MaskState.NO_MASK, 9))
    # someone else on another camera, and a second person on cam1 after the first was taken
    w.submit(TrackUpdate("cam2", 1, T0 + 7, T0 + 9, 60.0, MaskState.MASK, 4))
    w.submit(TrackUpdate("cam1", 2, T0 + 8, T0 + 9, 60.0, MaskState.MASK, 4))
    w.stop()
    rows = _tracks(db)
    assert rows[0] == (dead, 1, T0, T0 + 12, "no_mask", "ended")  # one row for the person across the restart
    assert [(r[0], r[1]) for r in rows[1:]] == [(w.run_id, 1), (w.run_id, 2)]
    assert _people(db) == (3, 1)


KILLED_AGAIN = r"""
import os, signal, sys
from app.domain import MaskState
from app.store import StoreWriter, TrackUpdate
t0 = float(sys.argv[2])
w = StoreWriter(sys.argv[1], flush_interval_s=0.05, relink_s=4.0)
w.start()
w.submit(TrackUpdate("cam1", 1, t0 + 7, t0 + 10, 60.0, MaskState.NO_MASK, 10, open=True))
assert w.flush(10)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_track_cut_by_two_crashes_in_a_row_is_still_one_person(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    first = _killed_run(db)
    subprocess.run(
        [sys.executable, "-c", KILLED_AGAIN, str(db), str(T0)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    w = StoreWriter(db, flush_interval_s=0.01, relink_s=4.0)
    w.start()
    assert w.recovered.tracks == 1  # the continued row was open in the second (killed) run
    w.submit(TrackUpdate("cam1", 1, T0 + 13, T0 + 20, 60.0, MaskState.NO_MASK, 9))
    w.stop()
    assert _tracks(db) == [(first, 1, T0, T0 + 20, "no_mask", "ended")]
    assert _people(db) == (1, 1)


def test_a_restart_after_the_lost_time_counts_a_new_person(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    _killed_run(db)
    w = StoreWriter(db, flush_interval_s=0.01, relink_s=4.0)
    w.start()
    w.submit(TrackUpdate("cam1", 1, T0 + 30, T0 + 32, 60.0, MaskState.NO_MASK, 4))
    w.stop()
    assert [r[-1] for r in _tracks(db)] == ["crash", "ended"]
    assert _people(db) == (2, 2)


class _Walker:
    """A face that walks 4 px per frame (so it is not a poster), one detection per frame."""

    def __init__(self) -> None:
        self.x = 100.0

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.x += 4.0
        return [Detection(BBox(self.x, 100.0, self.x + 60.0, 160.0), 0.9)]

    def close(self) -> None:
        pass


def test_the_engine_checkpoints_open_people_every_interval_and_only_when_they_changed() -> None:
    engine = AnalysisEngine(EngineParts(detector=_Walker, tracker=TrackerOptions(checkpoint_s=1.0)))
    image = np.full((360, 640, 3), 90, np.uint8)
    m0, t0 = time.monotonic(), time.time()
    opens = []
    for i in range(40):  # 4 s at 10 fps
        out = engine.analyse([Frame("cam1", i, image, t0 + i / 10, m0 + i / 10)])[0]
        opens.append(out.open)
        assert out.ended == ()
    checkpoints = [o for o in opens if o]
    assert 3 <= len(checkpoints) <= 4  # about once a second, not every frame
    assert all(len(o) == 1 and o[0].track_id == 1 for o in checkpoints)
    assert checkpoints[-1][0].last_seen > checkpoints[0][0].last_seen
    [final] = engine.finish()
    assert final.track_id == 1 and final.frames == 40
