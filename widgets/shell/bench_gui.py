"""GUI benchmark: how a 4x4 wall keeps up. Measures event-loop stalls (lateness of a 10 ms timer) and the
frames each tile actually painted per second. ``vigil bench --gui`` calls ``run_gui_bench``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.station_api import Station


def run_gui_bench(
    station: Station, seconds: float = 10.0, grid: str = "4x4", size: tuple[int, int] = (1920, 1080)
) -> dict[str, Any]:
    """Open the station window on ``station`` (layout ``grid``), run ``seconds`` and report
    ``stall_ms`` (p50/p99/max lateness of a 10 ms timer), ``tile_fps`` (distinct camera frames painted per
    second, per tile) and ``analysed_fps`` (distinct analysis results per second, per camera, polled by the
    same timer: what the wall's smoothness cost the analysis, or not)."""
    from widgets.shell.main_window import StationWindow  # heavy: only when benchmarking

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        settings = QSettings(str(Path(tmp) / "bench.ini"), QSettings.Format.IniFormat)
        window = StationWindow(station, settings)
        window.resize(*size)
        window.show()
        window.grid.set_grid(grid)
        _spin(app, 1.0)  # first frames, layout, fonts
        tiles = [t for t in window.grid.tiles() if t.feed is not None]
        start_paints = {t.camera_id: t.frames_shown for t in tiles}
        results: dict[str, set[int]] = {t.camera_id: set() for t in tiles}
        lateness: list[float] = []
        clock = QElapsedTimer()
        probe = QTimer()
        probe.setTimerType(Qt.TimerType.PreciseTimer)
        probe.setInterval(10)
        last = [0]

        def on_probe() -> None:
            now = clock.nsecsElapsed()
            lateness.append(max(0.0, (now - last[0]) / 1e6 - 10.0))
            last[0] = now
            for t in tiles:
                result = t.feed.results.peek() if t.feed is not None else None
                if result is not None:
                    results[t.camera_id].add(result.frame_seq)

        probe.timeout.connect(on_probe)
        clock.start()
        last[0] = clock.nsecsElapsed()
        probe.start()
        t0 = time.monotonic()
        _spin(app, seconds)
        elapsed = time.monotonic() - t0
        probe.stop()
        per_tile = {t.camera_id: (t.frames_shown - start_paints[t.camera_id]) / elapsed for t in tiles}
        analysed = {cid: max(0, len(seqs) - 1) / elapsed for cid, seqs in results.items()}  # the first was there
        window.close()
        window.deleteLater()
    stalls = np.asarray(lateness or [0.0])
    fps = np.asarray(list(per_tile.values()) or [0.0])
    rates = np.asarray(list(analysed.values()) or [0.0])
    return {
        "seconds": round(elapsed, 2),
        "grid": grid,
        "window": f"{size[0]}x{size[1]}",
        "tiles": len(tiles),
        "stall_ms": {
            "p50": round(float(np.percentile(stalls, 50)), 2),
            "p99": round(float(np.percentile(stalls, 99)), 2),
            "max": round(float(stalls.max()), 2),
        },
        "tile_fps": {
            "min": round(float(fps.min()), 2),
            "median": round(float(np.median(fps)), 2),
            "max": round(float(fps.max()), 2),
        },
        "per_tile_fps": {k: round(v, 2) for k, v in per_tile.items()},
        "analysed_fps": {
            "min": round(float(rates.min()), 2),
            "median": round(float(np.median(rates)), 2),
            "max": round(float(rates.max()), 2),
        },
    }


def _spin(app: QApplication, seconds: float) -> None:
    """Run the event loop for ``seconds`` (the bench's own loop, so it also works inside a running app)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
