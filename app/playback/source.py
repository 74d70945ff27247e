"""PlaybackSource: one background thread per camera that follows the SyncClock over recorded segments.

The thread looks up the segment that holds the clock's position, decodes the frame for it (see
``SegmentReader``) and puts it into a ``LatestSlot``; the GUI only copies the newest frame onto the screen.
A newer position always wins: a scrub that moved on is never decoded to the end (stale work is dropped).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.capture.slot import LatestSlot
from app.playback import decoder
from app.playback.clock import SyncClock
from app.playback.decoder import DamagedRecordingError, DecodedFrame, SegmentReader
from app.playback.lookup import RecordingLookup

log = logging.getLogger("vigil.playback")
IDLE_WAIT_S = 0.004


class SourceState(enum.Enum):
    PLAYING = "playing"  # a frame of the clock's moment is shown
    NO_RECORDING = "no_recording"  # nothing was recorded at that moment (a gap)
    ERROR = "error"  # the file is missing or cannot be read
    DAMAGED = "damaged"  # the segment is there but truncated or garbled: skipped, playback goes on


@dataclass(frozen=True, slots=True)
class SourceStatus:
    state: SourceState
    message: str = ""
    asked: float = 0.0  # the clock position this status answers
    segment_start: float = 0.0  # DAMAGED: where the damaged segment starts (UTC)
    file: str = ""  # DAMAGED: its file name


class PlaybackSource:
    """Decodes ``camera_id``'s recordings at ``clock``'s position into ``frames``; ``start``/``stop``."""

    def __init__(self, camera_id: str, clock: SyncClock, lookup: RecordingLookup, recordings_dir: Path) -> None:
        self.camera_id = camera_id
        self.clock = clock
        self.frames: LatestSlot[DecodedFrame] = LatestSlot()
        self._lookup = RecordingLookup(lookup.path)  # own connection: used on this thread only
        self._dir = recordings_dir
        self._reader: SegmentReader | None = None
        self._status = SourceStatus(SourceState.NO_RECORDING)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._done_epoch = -1
        self._done_pos: float | None = None
        self._miss_until: tuple[float, float] | None = None  # a known gap, so it is not looked up again

    # -- public ------------------------------------------------------------------------------------
    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return self._status

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"playback-{self.camera_id}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """The clock jumped: look at it now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        if self._reader is not None and (self._thread is None or not self._thread.is_alive()):
            self._reader.close()
            self._reader = None
        self._lookup.close()

    def frame_period(self) -> float:
        reader = self._reader
        return reader.period if reader is not None else 1 / 15

    # -- thread ------------------------------------------------------------------------------------
    def _set(self, status: SourceStatus) -> None:
        with self._lock:
            self._status = status

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self._tick()
            except Exception as exc:  # a damaged file must not end playback of the others
                log.exception("playback %s failed", self.camera_id)
                self._set(SourceStatus(SourceState.ERROR, str(exc), self.clock.position()))
                self._close_reader()
                worked = False
                self._stop.wait(0.5)
            if not worked:
                self._wake.wait(IDLE_WAIT_S)
                self._wake.clear()

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _tick(self) -> bool:
        state = self.clock.state()
        pos = state.position
        shown = self.frames.peek()
        if state.epoch == self._done_epoch and self._done_pos is not None:
            if shown is not None and self._reader is not None and (
                shown.at <= pos < shown.at + self._reader.period
            ):
                return False  # the shown frame is still the right one
            if pos == self._done_pos:
                return False
        if self._miss_until is not None and self._miss_until[0] <= pos < self._miss_until[1]:
            self._done_epoch, self._done_pos = state.epoch, pos
            return False
        reader = self._reader
        if reader is None or not (reader.segment.start <= pos < reader.segment.end):
            self._close_reader()
            seg = self._lookup.segment_at(self.camera_id, pos)
            if seg is None:
                nxt = self._lookup.next_segment(self.camera_id, pos)
                prev = self._lookup.previous_segment(self.camera_id, pos)
                self._miss_until = (prev.end if prev else float("-inf"), nxt.start if nxt else float("inf"))
                self._set(SourceStatus(SourceState.NO_RECORDING, "", pos))
                self._done_epoch, self._done_pos = state.epoch, pos
                return False
            self._miss_until = None
            try:
                reader = SegmentReader(seg, self._dir)
            except DamagedRecordingError as exc:
                log.warning("playback %s: recording %s is %s; skipped", self.camera_id, seg.path, exc)
                self._set(SourceStatus(SourceState.DAMAGED, str(exc), pos, seg.start, Path(seg.path).name))
                self._miss_until = (seg.start, seg.end)
                self._done_epoch, self._done_pos = state.epoch, pos
                return False
            except OSError as exc:
                self._set(SourceStatus(SourceState.ERROR, str(exc), pos))
                self._miss_until = (seg.start, seg.end)
                self._done_epoch, self._done_pos = state.epoch, pos
                return False
            self._reader = reader
        backwards = state.playing and state.speed < 0
        if state.playing and abs(state.speed) >= decoder.KEY_FRAME_SPEED:
            frame = reader.key_frame_at(pos, backwards)  # key frames only: cheap, whatever the GOP
        else:
            frame = reader.frame_before(pos) if backwards else reader.frame_at(pos)
        if frame is None:
            seg = reader.segment
            log.warning("playback %s: no frame of %s can be decoded; skipped", self.camera_id, seg.path)
            self._set(SourceStatus(SourceState.DAMAGED, "no frame can be decoded", pos, seg.start, reader.path.name))
            self._miss_until = (reader.segment.start, reader.segment.end)
            self._close_reader()
        else:
            new = shown is None or shown.at != frame.at or shown.segment_id != frame.segment_id
            if new:
                self.frames.put(frame)
            self._set(SourceStatus(SourceState.PLAYING, "", pos))
            self._done_epoch, self._done_pos = state.epoch, pos
            return new  # the same frame again (a key frame held at 16x): wait a tick rather than spin
        self._done_epoch, self._done_pos = state.epoch, pos
        return True


def wait_for_frame(source: PlaybackSource, at: float, timeout: float = 5.0) -> DecodedFrame | None:
    """Block until ``source`` shows the frame of ``at`` (tests and the benchmark); None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = source.frames.peek()
        if f is not None and f.at <= at < f.at + source.frame_period() + 1e-6:
            return f
        if source.status.state is not SourceState.PLAYING and source.status.asked == at:
            return None
        time.sleep(0.002)
    return None
