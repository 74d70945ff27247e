"""The GUI benchmark runs and reports what it promises (figures go to the README, not into asserts)."""

from __future__ import annotations

from tests.qt.scripted_station import SyntheticStation
from widgets.shell.bench_gui import run_gui_bench


def test_gui_bench_reports_stalls_and_tile_rates(qapp) -> None:
    station = SyntheticStation(cameras=4, size=(320, 180), fps=15).start()
    try:
        report = run_gui_bench(station, seconds=1.0, grid="2x2", size=(800, 600))
    finally:
        station.stop()
    assert report["tiles"] == 4
    assert set(report["per_tile_fps"]) == {"cam0", "cam1", "cam2", "cam3"}
    assert all(v > 0 for v in report["per_tile_fps"].values())  # every tile painted new frames
    assert report["stall_ms"]["p99"] >= report["stall_ms"]["p50"] >= 0
    # the station analyses every 3rd frame of 15 fps: about 5 results a second per camera, none missed
    assert 3.0 <= report["analysed_fps"]["min"] <= report["analysed_fps"]["max"] <= 6.0, report["analysed_fps"]
