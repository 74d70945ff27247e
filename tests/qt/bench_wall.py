"""Measure the 4x4 wall: ``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.bench_wall [seconds]``."""

from __future__ import annotations

import json
import sys

from PySide6.QtWidgets import QApplication

from tests.qt.scripted_station import SyntheticStation
from widgets.shell.bench_gui import run_gui_bench
from widgets.shell.theme import apply_theme

if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    station = SyntheticStation(cameras=16, size=(1280, 720), fps=15.0).start()
    try:
        report = run_gui_bench(station, float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
    finally:
        station.stop()
    report.pop("per_tile_fps")
    print(json.dumps(report, indent=2))
