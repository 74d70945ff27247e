"""The analysis child process killed again and again (SIGKILL as the OOM killer sends it, SIGSEGV as a
native crash): the station restarts it each time, results keep flowing, the person in view keeps their
track, and every restart is a health line (log, ``vigil run --json``, status bar)."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.analysis.healing import AnalysisNotice
from app.bootstrap import LiveStation, StationOptions
from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import FrameResult
from tests.faults.conftest import FaultSettings, report, wait_until


class _Seen:
    """Result observer: the newest result time and the track ids seen, per camera."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_mono = 0.0
        self.count = 0
        self.ids_after: dict[int, set[int]] = {}  # kill number -> track ids seen after it
        self.results_after: dict[int, int] = {}  # kill number -> results after it
        self.kill = 0

    def __call__(self, result: FrameResult) -> None:
        with self.lock:
            self.last_mono = time.monotonic()
            self.count += 1
            ids = {f.track_id for f in result.faces if f.track_id is not None}
            self.ids_after.setdefault(self.kill, set()).update(ids)
            self.results_after[self.kill] = self.results_after.get(self.kill, 0) + 1


@pytest.mark.slow
def test_analysis_child_killed_repeatedly_is_restarted_and_keeps_tracks(
    shared_data: Path, tmp_path: Path, faults: FaultSettings
) -> None:
    kills = faults.count("analysis_kills", 3, 10)
    video = shared_data / "video" / "man_no_mask_360p.mp4"
    cfg = StationConfig(
        sites=(SiteConfig("m", "Mall"),),
        cameras=(CameraConfig("cam1", "Entrance", "m", str(video), analysis_fps=5.0),),
    )
    db = tmp_path / "e.db"
    options = StationOptions(
        db_path=db, analysis_mode="process", analysis_processes=1, mask_enabled=False, event_clips=False
    )
    station = LiveStation(cfg, options)
    seen = _Seen()
    station.result_observers.append(seen)
    notices: list[AnalysisNotice] = []
    station.add_analysis_listener(notices.append)
    station.start()
    restart_s: list[float] = []
    kept_tracks = 0
    try:
        assert station.wait_ready(120)
        wait_until(lambda: bool(seen.ids_after.get(0)), 60, "a tracked face before the first kill")
        runner = station.runner
        for i in range(kills):
            pid = getattr(runner, "child_pid", None)
            assert pid is not None
            with seen.lock:
                before = set(seen.ids_after.get(seen.kill, set()))
                seen.kill = i + 1
            killed_at = time.monotonic()
            os.kill(pid, signal.SIGKILL if i % 2 == 0 else signal.SIGSEGV)
            wait_until(lambda n=i + 1: station.analysis_health().restarts == n, 90, f"restart {i + 1}")
            wait_until(
                lambda: seen.results_after.get(seen.kill, 0) >= 3 and bool(seen.ids_after.get(seen.kill)),
                60,
                f"results after restart {i + 1}",
            )
            restart_s.append(time.monotonic() - killed_at)
            assert getattr(runner, "child_pid", None) != pid
            with seen.lock:
                kept_tracks += bool(before & seen.ids_after[seen.kill])
    finally:
        station.stop()
    health = station.analysis_health()
    assert health.restarts == kills
    # every death and every restart is one plain line: how it died, and how many tracks were kept
    died = [n for n in notices if n.level == "warning"]
    back = [n for n in notices if n.level == "info"]
    assert len(died) == kills and len(back) == kills
    assert any("SIGKILL" in n.message for n in died)
    if kills > 1:
        assert any("SIGSEGV" in n.message for n in died)
    assert all("restarted in" in n.message and "open tracks kept" in n.message for n in back)
    # the man stays in view: his track survives most restarts (a restart that lands on the clip's loop
    # point may start a new one, which is the same as a person leaving and coming back)
    assert kept_tracks >= (kills + 1) // 2, (kept_tracks, kills, seen.ids_after)
    with sqlite3.connect(db) as con:
        tracks = con.execute("select count(*) from tracks where camera_id = 'cam1'").fetchone()[0]
    # one person per pass of the clip, not one per restart
    all_ids = set().union(*seen.ids_after.values())
    assert tracks <= len(all_ids)
    report(
        "analysis_child_kills",
        kills=kills,
        restarts=health.restarts,
        tracks_kept=kept_tracks,
        track_ids=len(all_ids),
        stored_tracks=tracks,
        max_recovery_s=round(max(restart_s), 1),
        mean_recovery_s=round(sum(restart_s) / len(restart_s), 1),
        results=seen.count,
    )
