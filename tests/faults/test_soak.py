"""Soak: 8 cameras captured and analysed (one analysis child process) for ``VIGIL_FAULT_SOAK_S`` seconds
(60 in the default run, 1800 in ``.ci/faults``). Resident memory and open file handles of the station
and its children are sampled; the long run asserts they stay flat (generous bounds, not a timing test)."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from app.domain import Health
from tests.faults.conftest import FaultSettings, report, wait_until
from tests.media import make_clip
from tests.stations import process_station

CAMERAS = 8


def _sample(proc: psutil.Process) -> tuple[int, int]:
    """(RSS bytes, open file descriptors) of the station process and its children."""
    rss, fds = proc.memory_info().rss, proc.num_fds()
    for child in proc.children(recursive=True):
        try:
            rss += child.memory_info().rss
            fds += child.num_fds()
        except psutil.Error:
            pass
    return rss, fds


def test_eight_cameras_soak_keeps_memory_and_handles_flat(tmp_path: Path, faults: FaultSettings) -> None:
    seconds = faults.seconds("soak_s", 60, 1800)
    clips = [make_clip(tmp_path / f"c{i}.mp4", frames=90, size=(320, 240), fps=15) for i in range(CAMERAS)]
    station = process_station(clips, tmp_path, analysis_fps=2.0)
    me = psutil.Process()
    samples: list[tuple[float, int, int]] = []
    try:
        assert station.wait_ready(120)
        wait_until(
            lambda: all(f.status().health is Health.LIVE for f in station.feeds().values()),
            60,
            "all cameras live",
        )
        warm = min(20.0, seconds / 3)
        time.sleep(warm)  # allocator and caches settle first
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            rss, fds = _sample(me)
            samples.append((time.monotonic() - start, rss, fds))
            time.sleep(min(10.0, max(1.0, seconds / 30)))
        analysed = {cid: f.counters["frames_analysed"] for cid, f in station.feeds().items()}
        live = sum(f.status().health is Health.LIVE for f in station.feeds().values())
    finally:
        station.stop()
    assert live == CAMERAS and all(n > 0 for n in analysed.values()), analysed
    assert not station.errors
    first, last = samples[0], samples[-1]
    rss_growth = last[1] - first[1]
    fd_growth = last[2] - first[2]
    report(
        "soak",
        cameras=CAMERAS,
        seconds=round(seconds),
        rss_start_mb=round(first[1] / 2**20, 1),
        rss_end_mb=round(last[1] / 2**20, 1),
        rss_max_mb=round(max(s[1] for s in samples) / 2**20, 1),
        fds_start=first[2],
        fds_end=last[2],
        fds_max=max(s[2] for s in samples),
        frames_analysed=sum(analysed.values()),
    )
    if faults.full:  # the fault-suite check: flat within generous bounds over the long run
        assert rss_growth < max(80 * 2**20, 0.25 * first[1]), (first, last)
        assert fd_growth <= 16, (first, last)
