"""CameraCapture: one thread per camera that opens the source, reads the newest frame into a LatestSlot,
reports health changes and reconnects with exponential backoff. Nothing here ever raises into the caller.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.capture.lag import LagMonitor
from app.capture.opener import OpenFailed, StreamEnded, is_mjpeg, open_source
from app.capture.slot import LatestSlot
from app.capture.source import SourceKind, source_kind, validate_source
from app.capture.watchdog import stall_watch
from app.config import CameraConfig
from app.domain import CameraStatus, CaptureStats, Frame, Health
from app.logs import redact

log = logging.getLogger("vigil.capture")

StatusCallback = Callable[[CameraStatus], None]


@dataclass(frozen=True, slots=True)
class CaptureOptions:
    """Timeouts and retry pacing of one capture (seconds)."""

    open_timeout_s: float = 10.0
    read_timeout_s: float = 8.0  # a network stream silent this long is dropped and reopened
    stall_after_s: float = 3.0  # connected but no frame this long: STALLED
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    jitter: float = 0.2  # +-20 % so that many cameras do not retry in lock-step
    max_width: int | None = None  # downscale wider frames after decoding (saves memory and analysis time)
    threads: int = 1  # decoder threads per capture: one each beats OpenCV's default with many streams
    max_lag_s: float = 3.0  # a live stream read this far behind its own timestamps drops its backlog
    hang_after_s: float = 20.0  # one open() or read() blocked this long: the thread is hung in the codec


def backoff_delay(attempt: int, options: CaptureOptions, rand: float = 0.5) -> float:
    """Delay before retry number ``attempt`` (0-based); ``rand`` in [0, 1) applies the jitter."""
    base = min(options.backoff_max_s, options.backoff_initial_s * 2.0 ** min(attempt, 30))
    return max(0.0, base * (1.0 + options.jitter * (2.0 * rand - 1.0)))


def _secs(s: float) -> str:
    return f"{s:.0f} s" if s >= 1.0 else f"{s:.1f} s"


MAX_HUNG_THREADS = 3  # hung threads a camera may leave behind before it asks for a restart of Vigil


class CameraCapture:
    """Reads one camera in its own thread. ``frames`` holds the newest Frame; ``on_status`` is called (from
    a worker thread) with a one-line, password-free message on every health change."""

    def __init__(
        self,
        camera: CameraConfig,
        on_status: StatusCallback | None = None,
        options: CaptureOptions | None = None,
    ) -> None:
        self.camera = camera
        self.options = options or CaptureOptions()
        self.frames: LatestSlot[Frame] = LatestSlot()
        self._on_status = on_status
        self._label = f"{camera.id} '{camera.name}'"
        src = camera.source
        usb = source_kind(src) is SourceKind.USB and validate_source(src) is None
        self._shown = f"USB camera {src.removeprefix('/dev/video')}" if usb else redact(src)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._status = CameraStatus(camera.id, Health.CONNECTING, time.time(), f"{self._label}: not started")
        self._cause = ""
        self._closed = False
        self._connected = False
        self._seq = 0
        self._skipped = 0
        self._reconnects = 0
        self._recent: deque[float] = deque(maxlen=64)
        self._last_frame_mono: float | None = None
        self._blocked_since: float | None = None  # the current thread is inside open() or read() since
        self._abandoned: list[threading.Thread] = []  # threads hung in a codec, replaced by the watchdog

    # ------------------------------------------------------------ public

    def start(self, delay_s: float = 0.0) -> None:
        """Start the thread (once). ``delay_s`` staggers the first open when many cameras start together."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, args=(delay_s,), name=f"capture-{self.camera.id}", daemon=True
        )
        stall_watch.add(self)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end without waiting (see ``stop``)."""
        self._stop.set()
        stall_watch.discard(self)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and wait up to ``timeout``; the thread releases the camera itself. Health becomes STOPPED."""
        self.request_stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():  # blocked inside OpenCV (open timeout); it exits when that returns
                log.warning(
                    "%s: capture thread still busy after %.1f s; it will exit on its own",
                    self._label,
                    timeout,
                )
        with self._lock:
            self._closed = True
            done = self._status.health is Health.STOPPED
        if not done:
            self._set(Health.STOPPED, "stopped")

    @property
    def health(self) -> Health:
        with self._lock:
            return self._status.health

    def status(self) -> CameraStatus:
        with self._lock:
            return self._status

    def stats(self) -> CaptureStats:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._recent if now - t <= 2.0]
            fps = (
                (len(recent) - 1) / (recent[-1] - recent[0])
                if len(recent) > 1 and recent[-1] > recent[0]
                else 0.0
            )
            return CaptureStats(
                frames_in=self._seq,
                frames_dropped=self.frames.dropped + self._skipped,
                frames_skipped=self._skipped,
                reconnects=self._reconnects,
                fps=fps,
                last_frame_mono=self._last_frame_mono,
            )

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ status

    def _set(self, health: Health, detail: str, cause: str | None = None) -> None:
        """Record a status; notify when the health or the cause (detail without retry timing) changed."""
        status = CameraStatus(self.camera.id, health, time.time(), redact(f"{self._label}: {detail}"))
        with self._lock:
            if self._stale() or (self._closed and health is not Health.STOPPED):
                return
            changed = health is not self._status.health or (cause or detail) != self._cause
            self._status, self._cause = status, cause or detail
        if changed:
            self._notify(status)

    def _notify(self, status: CameraStatus) -> None:
        level = logging.WARNING if status.health in (Health.OFFLINE, Health.STALLED) else logging.INFO
        log.log(level, "%s", status.message)
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # a listener bug must not kill the camera
                log.error("status listener failed:\n%s", redact(traceback.format_exc()))

    def check_stall(self, now: float) -> None:
        """Called by the watchdog: LIVE with no frame for ``stall_after_s`` becomes STALLED; a thread blocked
        in one open() or read() for ``hang_after_s`` is replaced (``hung``)."""
        since = self._blocked_since
        if since is not None and now - since >= self.options.hang_after_s and not self._stop.is_set():
            self._replace_hung(now - since)
            return
        with self._lock:
            last = self._last_frame_mono
            stalled = (
                self._connected
                and not self._closed
                and self._status.health is Health.LIVE
                and last is not None
                and now - last >= self.options.stall_after_s
            )
            if stalled:
                detail = f"no frames for {_secs(now - last)} from {self._shown}; waiting for the camera"  # type: ignore[operator]
                self._status = CameraStatus(
                    self.camera.id, Health.STALLED, time.time(), f"{self._label}: {detail}"
                )
                self._cause = "stalled"
                status = self._status
        if stalled:
            self._notify(status)

    def _replace_hung(self, blocked_s: float) -> None:
        """The capture thread is stuck inside the decoder (a Python thread cannot be killed): leave it, mark
        it stale so that it can never publish, and read the camera with a new thread."""
        with self._lock:
            if self._closed or self._thread is None:
                return
            self._abandoned = [t for t in self._abandoned if t.is_alive()]
            self._abandoned.append(self._thread)
            stuck = len(self._abandoned)
            self._blocked_since = None
            self._connected = False
            self._reconnects += 1
        where = f"inside the video decoder for {_secs(blocked_s)} reading {self._shown}"
        if stuck > MAX_HUNG_THREADS:
            self._set(
                Health.OFFLINE,
                f"capture stuck {where} again ({stuck} threads hung); restart Vigil to read this camera",
                cause="hung",
            )
            return
        thread = threading.Thread(
            target=self._run, args=(0.0,), name=f"capture-{self.camera.id}-r{stuck}", daemon=True
        )
        with self._lock:
            self._thread = thread
        self._set(Health.OFFLINE, f"capture thread hung {where}; replaced it with a new one", cause="hung")
        thread.start()

    def _stale(self) -> bool:
        """True on a thread the watchdog replaced: whatever it reads afterwards is dropped."""
        return threading.current_thread() in self._abandoned

    def _running(self) -> bool:
        return not self._stop.is_set() and not self._stale()

    def _blocking(self, on: bool) -> None:
        if not self._stale():
            self._blocked_since = time.monotonic() if on else None

    # ------------------------------------------------------------ thread

    def _run(self, delay_s: float) -> None:
        try:
            if delay_s > 0 and self._stop.wait(delay_s):
                return
            err = validate_source(self.camera.source)
            if err:  # a config mistake: retrying cannot help until the config changes
                self._set(Health.OFFLINE, f"invalid source: {err}; fix it in the configuration")
                return
            self._set(Health.CONNECTING, f"connecting to {self._shown}")
            self._loop(source_kind(self.camera.source))
        except Exception:  # a bug: log it, report it, never let it escape the thread
            log.error("%s: capture failed:\n%s", self._label, redact(traceback.format_exc()))
            self._set(Health.OFFLINE, "internal error in capture (details in the log file)")

    def _loop(self, kind: SourceKind) -> None:
        attempt, first = 0, True
        while self._running():
            if not first:
                with self._lock:
                    self._reconnects += 1
            first = False
            try:
                cap = self._open(kind)
            except OpenFailed as exc:
                cause = str(exc)
                verb = "retrying"
            else:
                frames_before = self._seq
                try:
                    self._read(cap, kind)
                    return  # stop requested
                except StreamEnded as end:
                    if end.eof:
                        self._set(Health.STOPPED, f"end of file {self._shown}")
                        return
                    cause, verb = str(end), "reconnecting"
                except Exception:
                    log.error("%s: read failed:\n%s", self._label, redact(traceback.format_exc()))
                    cause, verb = "internal error while reading (details in the log file)", "reconnecting"
                finally:
                    self._blocking(False)
                    if not self._stale():
                        with self._lock:
                            self._connected = False
                    cap.release()
                if self._seq > frames_before:
                    attempt = 0  # it worked for a while: start the backoff again from the beginning
            if not self._running():
                return
            delay = backoff_delay(attempt, self.options, random.random())
            attempt += 1
            self._set(Health.OFFLINE, f"{cause}; {verb} in {_secs(delay)}", cause=cause)
            self._stop.wait(delay)

    def _open(self, kind: SourceKind) -> cv2.VideoCapture:
        c = self.camera
        return open_source(kind, c.source, self._shown, c.transport, self.options, self._blocking)

    def _read(self, cap: cv2.VideoCapture, kind: SourceKind) -> None:
        with self._lock:
            self._connected = True
        if kind is SourceKind.FILE:
            self._read_file(cap)
            return
        # MJPEG over HTTP has no real timestamps (FFmpeg invents them), so its lag cannot be measured.
        lag = LagMonitor() if kind is SourceKind.NETWORK and not is_mjpeg(cap) else None
        while self._running():
            started = time.monotonic()
            self._blocking(True)
            ok, img = cap.read()
            self._blocking(False)
            if lag is not None and ok:
                behind = lag.update(time.monotonic(), cap.get(cv2.CAP_PROP_POS_MSEC))
                if behind > self.options.max_lag_s:
                    with self._lock:
                        self._skipped += 1
                    raise StreamEnded(
                        f"{self._shown}: decoding fell {behind:.1f} s behind the stream; dropped the backlog"
                    )
            if not ok or img is None:
                if kind is SourceKind.USB:
                    raise StreamEnded(f"{self._shown} stopped sending frames (unplugged?)")
                waited = time.monotonic() - started
                why = (
                    f"no frames for {_secs(waited)}"
                    if waited >= self.options.read_timeout_s * 0.9
                    else "stream ended"
                )
                raise StreamEnded(f"lost {self._shown} ({why})")
            self._publish(img)

    def _read_file(self, cap: cv2.VideoCapture) -> None:
        """Play at the file's own frame rate like a live camera; when behind, skip with grab()."""
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if 1.0 <= fps <= 240.0 else 25.0
        interval, max_skip = 1.0 / fps, int(fps * 2)
        due = time.monotonic()
        in_pass = 0
        while self._running():
            now = time.monotonic()
            if now < due:
                if self._stop.wait(due - now):
                    return
            elif (late := int((now - due) / interval)) > 0:
                skipped = 0
                while skipped < min(late, max_skip) and cap.grab():
                    skipped += 1
                with self._lock:
                    self._skipped += skipped
                due = due + late * interval if late <= max_skip else now  # a long hiccup: resync
            self._blocking(True)
            ok, img = cap.read()
            self._blocking(False)
            if not ok or img is None:
                if in_pass == 0:
                    raise StreamEnded(f"cannot read frames from video file {self._shown} (empty or damaged)")
                if not self.camera.loop:
                    raise StreamEnded("end of file", eof=True)
                in_pass = 0
                if not cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    raise StreamEnded(f"cannot rewind video file {self._shown}")
                continue
            in_pass += 1
            self._publish(img)
            due += interval

    def _publish(self, img: np.ndarray) -> None:
        w = img.shape[1]
        if self.options.max_width and w > self.options.max_width:
            h = max(1, round(img.shape[0] * self.options.max_width / w))
            img = cv2.resize(img, (self.options.max_width, h), interpolation=cv2.INTER_AREA)
        now = time.monotonic()
        with self._lock:
            if self._stale():
                return
            self._seq += 1
            seq = self._seq
            self._recent.append(now)
            self._last_frame_mono = now
            live = self._status.health is Health.LIVE
        self.frames.put(Frame(self.camera.id, seq, img, captured_at=time.time(), captured_mono=now))
        if not live:
            self._set(Health.LIVE, f"live ({img.shape[1]}x{img.shape[0]})", cause="live")
