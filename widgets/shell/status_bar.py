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
from app.i18n import QT_TRANSLATE_NOOP
from app.station_api import Station
from widgets.i18n import language_state, number, translate


def _size_text(n: float) -> str:
    for unit in (QT_TRANSLATE_NOOP("StationStatusBar", "B"), QT_TRANSLATE_NOOP("StationStatusBar", "KB"),
                 QT_TRANSLATE_NOOP("StationStatusBar", "MB"), QT_TRANSLATE_NOOP("StationStatusBar", "GB")):  # fmt: skip
        if n < 1024 or unit == "GB":
            return f"{number(n, 0 if unit == 'B' else 1)} {translate('StationStatusBar', unit)}"
        n /= 1024
    return f"{number(n, 1)} {translate('StationStatusBar', 'GB')}"


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
        language_state().changed.connect(self.update_figures)
        self._timer.start(1000)
        self.update_figures()

    def update_figures(self) -> None:
        feeds = self._station.feeds()
        live = sum(f.status().health is Health.LIVE for f in feeds.values())
        total = len(self._station.config().cameras) or len(feeds)
        self.cameras.setText(self.tr("Cameras {live}/{total} live").format(live=live, total=total))
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
            self.tr("CPU {cpu_percent:.0f}% · Vigil {cpu_percent2:.0f}%").format(cpu_percent=psutil.cpu_percent(None), cpu_percent2=self._process.cpu_percent(None))
        )
        self.memory.setText(self.tr("Memory {size_text}").format(size_text=_size_text(self._process.memory_info().rss)))
        path = self._station.db_path()
        self.database.setText(self.tr("Database {size_text}").format(size_text=_size_text(database_bytes(path))) if path else self.tr("Database -"))
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
