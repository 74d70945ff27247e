"""The analysis processes run below the station's priority, so on a full machine the window and the decoders
come first (``[analysis] process_nice``; measured in the README: Performance)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.analysis.bench import make_bench_clip
from app.bootstrap import LiveStation
from app.config import AnalysisConfig
from tests.stations import process_station

pytestmark = pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX process priorities")


def _child_pids(station: LiveStation) -> list[int]:
    runner = station.runner
    pids = runner.child_pids() if hasattr(runner, "child_pids") else [getattr(runner, "child_pid", None)]
    return [p for p in pids if p is not None]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bench_clip(tmp_path_factory.mktemp("clip"), seconds=4)


@pytest.mark.parametrize("steps", [5, 0])
def test_analysis_processes_run_below_the_station(clip: Path, tmp_path: Path, steps: int) -> None:
    station = process_station([clip], tmp_path, 5.0, AnalysisConfig(process_nice=steps))
    try:
        assert station.wait_ready(120), "analysis process did not start"
        pids = _child_pids(station)
        assert pids, "no analysis process"
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        expected = min(mine + steps, 19)
        assert [os.getpriority(os.PRIO_PROCESS, p) for p in pids] == [expected] * len(pids), sys.platform
    finally:
        station.stop()
