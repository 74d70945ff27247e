"""StationStatusBar: cameras live/total, analysis rate achieved, CPU, memory, database size (1 Hz), and
restarts of the analysis processes (shown only after one)."""

from __future__ import annotations

import contextlib
import os
import time

import psutil
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.analysis.governor import station_coverage
from app.domain import Health
from app.station_api import Station


def _size_text(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def database_bytes(db_path: str) -> int:
    """The SQLite file plus its WAL and shared-memory files (0 when absent)."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += os.path.getsize(db_path + suffix)
    return total


class StationStatusBar(QStatusBar):
    """Refreshes its figures once a second from the station and psutil. ``analysis_notice(text, level)``:
    a new health line about analysis (the window shows it in its notice strip)."""

    analysis_notice = Signal(str, str)

    def __init__(self, station: Station, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._station = station
        self._notice_at = 0.0
        self.healing = QLabel()
        self.healing.setObjectName("StatusField")
        self.healing.setProperty("alert", True)
        self.addPermanentWidget(self.healing)
        self.healing.hide()
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        self.cameras = QLabel()
        self.analysis = QLabel()
        self.cpu = QLabel()
        self.memory = QLabel()
        self.database = QLabel()
        widest = (
            "Cameras 888/888 live",
            "Analysis 888.8 fps · scan 100%/s",
            "CPU 100% · Vigil 888%",
            "Memory 88.8 GB",
            "Database 888.8 MB",
        )
        for label, sample in zip(
            (self.cameras, self.analysis, self.cpu, self.memory, self.database), widest, strict=True
        ):
            label.setObjectName("StatusField")
            self.addPermanentWidget(label)
            label.ensurePolished()
            # Fixed widths: figures changing every second must not make the bar jump or cut them off.
            bold = label.font()
            bold.setBold(True)
            label.setMinimumWidth(QFontMetrics(bold).horizontalAdvance(sample) + 28)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.update_figures)
        self._timer.start(1000)
        self.update_figures()

    def update_figures(self) -> None:
        feeds = self._station.feeds()
        live = sum(f.status().health is Health.LIVE for f in feeds.values())
        total = len(self._station.config().cameras) or len(feeds)
        self.cameras.setText(f"Cameras {live}/{total} live")
        self.cameras.setProperty("alert", live < len(feeds))
        fps = self._station.analysed_fps()
        coverage = station_coverage(feeds.values())
        if coverage is None:
            self.analysis.setText(self.tr("Analysis {0} fps").format(f"{fps:.1f}"))
        else:
            self.analysis.setText(
                self.tr("Analysis {0} fps · scan {1}%/s").format(f"{fps:.1f}", f"{100 * coverage:.0f}")
            )
        self.analysis.setToolTip(
            self.tr(
                "Scan: share of each frame searched at tile resolution per second for small faces "
                "(mean over cameras); the CPU governor lowers it when the machine is busy"
            )
        )
        self.cpu.setText(
            f"CPU {psutil.cpu_percent(None):.0f}% · Vigil {self._process.cpu_percent(None):.0f}%"
        )
        self.memory.setText(f"Memory {_size_text(self._process.memory_info().rss)}")
        path = self._station.db_path()
        self.database.setText(f"Database {_size_text(database_bytes(path))}" if path else "Database -")
        self._update_healing()

    def _update_healing(self) -> None:
        """Analysis restarts: a field that appears after the first one, and each new health line once."""
        health_of = getattr(self._station, "analysis_health", None)
        if health_of is None:
            return
        health = health_of()
        last = health.last
        if health.restarts:
            self.healing.setText(self.tr("Analysis restarted {0}×").format(health.restarts))
            self.healing.show()
        if last is None:
            return
        when = time.strftime("%H:%M:%S", time.localtime(last.at))
        self.healing.setToolTip(self.tr("Last at {0}: {1}").format(when, last.message))
        if last.at > self._notice_at:
            self._notice_at = last.at
            self.analysis_notice.emit(self.tr("Analysis: {0}").format(last.message), last.level)
