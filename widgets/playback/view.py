"""PlaybackView: the cameras of a layout played back in sync from one SyncClock, with transport controls,
a go-to time, in/out marks and the time bar. Decoding runs in one PlaybackSource thread per camera; this
widget only moves the clock and copies the newest frames to the screen."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.clips.export_analysis import AnalysisModels
from app.playback.analysed import MomentAnalyser
from app.playback.clock import SPEEDS, SyncClock, next_speed
from app.playback.lookup import EventMark, RecordingLookup
from app.playback.query import TimelineData, TimelineQueries
from app.playback.source import PlaybackSource
from widgets.paint.overlay import OverlayOptions
from widgets.playback.keys import KEYS, key_action
from widgets.playback.tile import PlaybackTile
from widgets.playback.timebar import TimeBar

EVENT_LEAD_S = 10.0  # an event opens this long before it
REFRESH_MS = 33
DATA_MS = 5000


def _grid_shape(n: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(n)))
    return max(1, math.ceil(n / cols)), cols


class PlaybackView(QWidget):
    """``open(cameras, at)`` shows recorded video of ``cameras`` (ids) from UTC ``at``."""

    live_requested = Signal()
    export_requested = Signal(object, float, float)  # camera ids, start, end
    bookmark_requested = Signal(object, float, float)  # camera ids, start, end (start == end: a moment)
    locks_requested = Signal()
    data_loaded = Signal(object)  # TimelineData: the time bar's data for the visible range arrived

    def __init__(self, db_path: str | Path, recordings_dir: Path, names: dict[str, str] | None = None,
                 parent: QWidget | None = None, analysis: AnalysisModels | None = None) -> None:  # fmt: skip
        """``analysis``: the models for boxes where the store has none (None: stored boxes only)."""
        super().__init__(parent)
        self.setObjectName("PlaybackView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.lookup = RecordingLookup(db_path)
        self.analyser = MomentAnalyser(analysis) if analysis is not None else None
        self.recordings_dir = recordings_dir
        self.names = dict(names or {})
        self.clock = SyncClock(time.time())
        self.sources: list[PlaybackSource] = []
        self.tiles: list[PlaybackTile] = []
        self.options = OverlayOptions()
        self.mark_in: float | None = None
        self.mark_out: float | None = None
        self._events: list[EventMark] = []
        self._data_span: tuple[float, float] | None = None
        self._asked_span: tuple[float, float] | None = None
        self._bridge = _DataBridge(self)
        self._bridge.arrived.connect(self._on_data_arrived)  # queued: emitted on the worker thread
        self.queries = TimelineQueries(db_path, self._bridge.arrived.emit)

        self.live_button = self._button(self.tr("Live"), self.tr("Back to the live wall (Esc)"), self.live_requested.emit)
        self.live_button.setObjectName("PlaybackLive")
        self.back_min = self._button("«1m", self.tr("Back 1 minute (Shift+Left)"), lambda: self.jump(-60))
        self.back_10 = self._button("«10s", self.tr("Back 10 seconds (Left)"), lambda: self.jump(-10))
        self.step_back = self._button("◂|", self.tr("Previous frame (,)"), lambda: self.step(-1))
        self.reverse_button = self._button("◀", self.tr("Play backwards (R)"), self.play_reverse)
        self.play_button = self._button("▶", self.tr("Play / pause (Space)"), self.toggle_play)
        self.play_button.setObjectName("PlaybackPlay")
        self.step_fwd = self._button("|▸", self.tr("Next frame (.)"), lambda: self.step(1))
        self.fwd_10 = self._button("10s»", self.tr("Forward 10 seconds (Right)"), lambda: self.jump(10))
        self.fwd_min = self._button("1m»", self.tr("Forward 1 minute (Shift+Right)"), lambda: self.jump(60))
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            self.speed_combo.addItem(_speed_text(s), s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip(self.tr("Playback speed (+ / -)"))
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_combo.activated.connect(self._on_speed_combo_activated)
        self.goto_edit = QDateTimeEdit()
        self.goto_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.goto_edit.setCalendarPopup(True)
        self.goto_edit.setToolTip(self.tr("Go to a local time (G, then Enter)"))
        self.goto_edit.setObjectName("PlaybackGoTo")
        self.goto_edit.editingFinished.connect(self._on_goto_edit_finished)
        goto = self._button(self.tr("Go"), self.tr("Play from the typed time"), self.go_to_typed)
        self.time_label = QLabel()
        self.time_label.setObjectName("PlaybackTime")
        self.time_label.setStyleSheet("font-size: 20px; font-weight: bold; color: #e6edf3; padding: 0 10px;")
        self.in_button = self._button(self.tr("In ["), self.tr("Set the in mark here ([)"), self.set_in)
        self.out_button = self._button(self.tr("Out ]"), self.tr("Set the out mark here (])"), self.set_out)
        self.export_button = self._button(self.tr("Export…"), self.tr("Export the marked range of these cameras (E)"), self.request_export)
        self.bookmark_button = self._button(self.tr("Bookmark…"), self.tr("Bookmark this moment or the marked range (M)"), self.request_bookmark)
        self.locks_button = self._button(self.tr("Locks…"), self.tr("Bookmarks and evidence locks"), self.locks_requested.emit)
        self.zoom_in = self._button("+", self.tr("Zoom the time bar in (wheel)"), lambda: self.timebar.zoom(0.5))
        self.zoom_out = self._button("−", self.tr("Zoom the time bar out (wheel)"), lambda: self.timebar.zoom(2.0))

        controls = QHBoxLayout()
        controls.setContentsMargins(6, 4, 6, 4)
        for w in (self.live_button, self.back_min, self.back_10, self.step_back, self.reverse_button,
                  self.play_button, self.step_fwd, self.fwd_10, self.fwd_min, self.speed_combo):  # fmt: skip
            controls.addWidget(w)
        controls.addWidget(self.time_label, 1)
        for w in (self.goto_edit, goto, self.in_button, self.out_button, self.export_button,
                  self.bookmark_button, self.locks_button):  # fmt: skip
            controls.addWidget(w)
        self.tile_area = QWidget()
        self.tile_grid = QGridLayout(self.tile_area)
        self.tile_grid.setContentsMargins(2, 2, 2, 2)
        self.tile_grid.setSpacing(2)
        self.timebar = TimeBar()
        self.timebar.scrubbed.connect(self._on_timebar_scrubbed)
        self.timebar.seek_requested.connect(self._on_timebar_scrubbed)
        self.timebar.event_activated.connect(self._on_timebar_event_activated)
        self.timebar.view_changed.connect(self._on_timebar_view_changed)
        bar_row = QHBoxLayout()
        bar_row.setContentsMargins(0, 0, 4, 0)
        bar_row.addWidget(self.timebar, 1)
        zoom = QVBoxLayout()
        zoom.addWidget(self.zoom_in)
        zoom.addWidget(self.zoom_out)
        bar_row.addLayout(zoom)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(controls)
        box.addWidget(self.tile_area, 1)
        box.addLayout(bar_row)

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.data_timer = QTimer(self)
        self.data_timer.setInterval(DATA_MS)
        self.data_timer.timeout.connect(self.reload_data)

    def _button(self, text: str, tip: str, slot) -> QToolButton:  # noqa: ANN001
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.clicked.connect(lambda *_: slot())
        return b

    # -- opening and closing ------------------------------------------------------------------------
    def cameras(self) -> list[str]:
        return [s.camera_id for s in self.sources]

    def open(self, cameras: Sequence[str], at: float, *, play: bool = False) -> None:
        """Play ``cameras`` from UTC ``at`` (paused unless ``play``); replaces what was shown."""
        if list(cameras) != self.cameras():
            self.close_sources()
            rows, cols = _grid_shape(len(cameras))
            for i, cid in enumerate(cameras):
                src = PlaybackSource(cid, self.clock, self.lookup, self.recordings_dir)
                tile = PlaybackTile(src, self.names.get(cid, cid), self.analyser)
                tile.options = self.options
                self.sources.append(src)
                self.tiles.append(tile)
                self.tile_grid.addWidget(tile, i // cols, i % cols)
                src.start()
            self.timebar.set_cameras([(c, self.names.get(c, c)) for c in cameras])
        self.clock.pause()
        self.clock.set_bounds(float("-inf"), time.time() + 1.0)
        self.seek(at)
        self.timebar.centre_on(at, min(self.timebar.span, 3600.0))
        self.reload_data(force=True)
        if play:
            self.play(1.0)
        self._update_controls()
        self.refresh_timer.start()
        self.data_timer.start()
        self.setFocus()

    def close_sources(self) -> None:
        self.refresh_timer.stop()
        self.data_timer.stop()
        for src in self.sources:
            src.stop()
        for tile in self.tiles:
            tile.setParent(None)
            tile.deleteLater()
        self.sources, self.tiles = [], []

    def shut_down(self) -> None:
        self.close_sources()
        self.queries.close()
        if self.analyser is not None:
            self.analyser.close()
        self.lookup.close()

    def set_options(self, options: OverlayOptions) -> None:
        self.options = options
        for tile in self.tiles:
            tile.options = options
            tile.update()

    # -- transport ----------------------------------------------------------------------------------
    def position(self) -> float:
        return self.clock.position()

    def seek(self, at: float) -> None:
        self.clock.seek(at)
        for src in self.sources:
            src.wake()
        self.timebar.set_position(self.clock.position(), reveal=True)

    def jump(self, seconds: float) -> None:
        self.seek(self.clock.position() + seconds)

    def play(self, speed: float | None = None) -> None:
        self.clock.set_bounds(float("-inf"), time.time() + 1.0)
        self.clock.play(speed)
        self._update_controls()

    def pause(self) -> None:
        self.clock.pause()
        self._update_controls()

    def toggle_play(self) -> None:
        state = self.clock.state()
        if state.playing and state.speed > 0:
            self.pause()
        else:
            self.play(abs(state.speed) or 1.0)

    def play_reverse(self) -> None:
        state = self.clock.state()
        if state.playing and state.speed < 0:
            self.pause()
        else:
            self.play(-abs(state.speed or 1.0))

    def change_speed(self, faster: bool) -> None:
        state = self.clock.state()
        self.clock.set_speed(next_speed(state.speed, faster))
        self._update_controls()

    def step(self, frames: int) -> None:
        """Pause and show the next (``frames`` > 0) or previous frame of the first camera."""
        self.pause()
        period = self.sources[0].frame_period() if self.sources else 1 / 15
        self.seek(self.position() + frames * period)

    def _update_controls(self) -> None:
        state = self.clock.state()
        forward, backward = state.playing and state.speed > 0, state.playing and state.speed < 0
        self.play_button.setText("❚❚" if forward else "▶")
        self.reverse_button.setText("❚❚" if backward else "◀")
        i = self.speed_combo.findData(abs(state.speed))
        if i >= 0:
            self.speed_combo.setCurrentIndex(i)
        text = "" if not state.playing else ("◀ " if backward else "") + _speed_text(abs(state.speed))
        for tile in self.tiles:
            tile.speed_text = text

    def _on_speed_combo_activated(self, index: int) -> None:
        speed = float(self.speed_combo.itemData(index))
        state = self.clock.state()
        self.clock.set_speed(-speed if state.speed < 0 else speed)
        self._update_controls()

    def _on_goto_edit_finished(self) -> None:
        if self.goto_edit.hasFocus():  # Enter; leaving the field without Enter changes nothing
            self.go_to_typed()
            self.setFocus()

    def go_to_typed(self) -> None:
        at = self.goto_edit.dateTime().toSecsSinceEpoch()
        self.seek(float(at))
        self.timebar.centre_on(float(at))

    def _on_timebar_scrubbed(self, at: float) -> None:
        self.pause()
        self.seek(at)

    def _on_timebar_event_activated(self, mark: EventMark) -> None:
        self.pause()
        self.seek(mark.at - EVENT_LEAD_S)

    def _on_timebar_view_changed(self, start: float, end: float) -> None:
        span = self._asked_span  # what is loaded or on its way: one request per move out of it
        if span is None or start < span[0] or end > span[1]:
            self.reload_data(force=True)

    # -- marks, export, bookmarks -------------------------------------------------------------------
    def set_in(self) -> None:
        self.mark_in = self.position()
        if self.mark_out is not None and self.mark_out < self.mark_in:
            self.mark_out = None
        self.timebar.set_marks(self.mark_in, self.mark_out)

    def set_out(self) -> None:
        self.mark_out = self.position()
        if self.mark_in is not None and self.mark_in > self.mark_out:
            self.mark_in = None
        self.timebar.set_marks(self.mark_in, self.mark_out)

    def clear_marks(self) -> None:
        self.mark_in = self.mark_out = None
        self.timebar.set_marks(None, None)

    def marked_range(self) -> tuple[float, float]:
        """In to out; a missing mark is 30 s from the other one (or around the position)."""
        pos = self.position()
        a, b = self.mark_in, self.mark_out
        if a is None and b is None:
            return pos - 15.0, pos + 15.0
        if a is None:
            assert b is not None
            return b - 30.0, b
        if b is None:
            return a, a + 30.0
        return a, b

    def request_export(self) -> None:
        self.pause()
        start, end = self.marked_range()
        self.export_requested.emit(self.cameras(), start, end)

    def request_bookmark(self) -> None:
        self.pause()
        if self.mark_in is not None and self.mark_out is not None:
            self.bookmark_requested.emit(self.cameras(), self.mark_in, self.mark_out)
        else:
            pos = self.position()
            self.bookmark_requested.emit(self.cameras(), pos, pos)

    # -- display ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        pos = self.clock.position()
        for tile in self.tiles:
            tile.refresh()
        self.timebar.set_position(pos)
        ms = int((pos % 1) * 1000)
        self.time_label.setText(time.strftime("%a %d %b %Y  %H:%M:%S", time.localtime(pos)) + f".{ms:03d}")
        if not self.goto_edit.hasFocus():
            self.goto_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(pos)))
        state = self.clock.state()
        if state.playing and state.speed > 0 and pos >= time.time() - 0.5:
            self.pause()  # caught up with now: nothing more is recorded yet

    def reload_data(self, force: bool = False) -> int:
        """Ask the worker for coverage, events and bookmarks of the visible range (with a margin either
        side); the answer arrives through ``data_loaded``. Returns the request's token. The periodic refresh
        (not ``force``) skips a turn while an answer is still on its way rather than cancel it."""
        if not force and self.queries.busy():
            return self.queries.latest
        start, end = self.timebar.visible()
        margin = (end - start) * 0.5
        span = (start - margin, end + margin)
        self._asked_span = span
        return self.queries.request(self.cameras(), *span)

    def _on_data_arrived(self, data: TimelineData) -> None:
        """On the GUI thread: an answer of the worker; one a newer request superseded is dropped."""
        if data.token != self.queries.latest:
            return
        self._data_span = data.span
        self._events = list(data.events)
        for tile in self.tiles:
            tile.events, tile.events_span = self._events, data.span
        self.timebar.set_data(data)
        self.data_loaded.emit(data)

    # -- keys: the view takes its keys before the window's shortcuts (Space acknowledges on the wall) -
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
            if event.key() in KEYS and mods == Qt.KeyboardModifier.NoModifier:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        action = key_action(self, Qt.Key(event.key()), shift)
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def focus_goto(self) -> None:
        self.goto_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(self.position())))
        self.goto_edit.setFocus()
        self.goto_edit.setSelectedSection(QDateTimeEdit.Section.HourSection)


class _DataBridge(QObject):
    """Carries the worker's answers to the GUI thread (a queued connection)."""

    arrived = Signal(object)


def _speed_text(speed: float) -> str:
    return {0.25: "¼×", 0.5: "½×"}.get(speed, f"{speed:g}×")

