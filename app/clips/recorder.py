"""Continuous recording of one camera into ~1-minute MP4 segments (one ffmpeg process per camera).

Modes: ``copy`` (H.264/HEVC network streams and files: ``-c copy``, no decoding, Frigate's way), ``transcode``
(other network codecs such as MJPEG: ffmpeg decodes the source itself and encodes H.264) and ``pipe`` (USB
cameras, which the capture thread holds open: its decoded frames are fed to an H.264 encoder at a fixed rate).
ffmpeg writes ``*.mp4.part`` files in ``<camera>/.incoming`` and lists each finished one in a CSV; only then
is the file renamed to ``<camera>/<YYYY-MM-DD>/<start>.mp4`` and indexed, so no half-written file looks complete.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from app.clips import ffmpeg
from app.clips.index import Segment, probe_video
from app.clips.naming import safe_component, utc_stamp
from app.clips.sources import SegmentList, input_args, probe_codec
from app.config import CameraConfig
from app.domain import Frame
from app.logs import redact

log = logging.getLogger("vigil.clips")

COPYABLE = {"h264", "hevc"}
# After a full disk the recorder starts again only once this much is free where it writes (a few seconds of
# 720p video), instead of retrying into a disk that fills again at once.
RESUME_FREE_BYTES = 2 * 2**20


class FrameFeed(Protocol):
    """The newest decoded frame of a camera (``LatestSlot[Frame]`` fits); read without consuming."""

    def peek(self) -> Frame | None: ...

    @property
    def version(self) -> int: ...


class RecordMode(enum.Enum):
    COPY = "copy"
    TRANSCODE = "transcode"
    PIPE = "pipe"


class RecorderState(enum.Enum):
    IDLE = "idle"
    RECORDING = "recording"
    WAITING = "waiting"  # source down, retrying with backoff
    FINISHED = "finished"  # a non-looping file ended
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    segment_s: float = 60.0
    fps: float = 15.0  # output rate in pipe mode
    realtime: bool = True  # read files at their native rate, like a live camera
    stale_s: float = (
        3.0  # pipe mode: no new frame for this long ends the segment (never record a frozen image)
    )


@dataclass(frozen=True, slots=True)
class RecorderStatus:
    camera_id: str
    state: RecorderState
    mode: RecordMode | None = None
    message: str = ""
    segments: int = 0


def camera_dir(recordings_dir: Path, camera_id: str) -> Path:
    return recordings_dir / safe_component(camera_id, "camera")


class Recorder:
    """Records one camera until stopped; each finished segment is handed to ``sink`` (e.g. the index)."""

    def __init__(
        self,
        camera: CameraConfig,
        recordings_dir: Path,
        sink: Callable[[Segment], None],
        settings: RecorderSettings | None = None,
        frames: FrameFeed | None = None,
    ) -> None:
        self.camera = camera
        self.settings = settings or RecorderSettings()
        self._root = recordings_dir
        self._dir = camera_dir(recordings_dir, camera.id)
        self._incoming = self._dir / ".incoming"
        self._sink = sink
        self._frames = frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status = RecorderStatus(camera.id, RecorderState.IDLE)
        self._run_no = 0

    # -- public -------------------------------------------------------------------------------------------
    @property
    def status(self) -> RecorderStatus:
        with self._lock:
            return self._status

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.camera.id}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask to stop without waiting (stop many recorders in parallel, then ``stop`` each)."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current segment (it is kept and indexed) and stop; kills ffmpeg past ``timeout``."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def wait_finished(self, timeout: float) -> bool:
        """For files that do not loop: wait until the whole file is recorded."""
        if self._thread:
            self._thread.join(timeout)
        return self.status.state is RecorderState.FINISHED

    # -- internals ----------------------------------------------------------------------------------------
    def _set(self, state: RecorderState, mode: RecordMode | None = None, message: str = "") -> None:
        with self._lock:
            s = self._status
            self._status = RecorderStatus(s.camera_id, state, mode or s.mode, message, s.segments)

    def _count_segment(self) -> None:
        with self._lock:
            s = self._status
            self._status = RecorderStatus(s.camera_id, s.state, s.mode, s.message, s.segments + 1)

    def _cleanup_incoming(self) -> None:
        """Delete leftovers of a crashed or killed run: unfinished parts are never valid files."""
        if self._incoming.is_dir():
            for p in self._incoming.iterdir():
                with contextlib.suppress(OSError):
                    p.unlink()

    def _choose_mode(self) -> RecordMode:
        src = self.camera.source.strip()
        if src.isdigit():
            return RecordMode.PIPE
        return RecordMode.COPY if probe_codec(src, transport=self.camera.transport) in COPYABLE else RecordMode.TRANSCODE

    def _run(self) -> None:
        backoff = 1.0
        try:
            self._incoming.mkdir(parents=True, exist_ok=True)
            self._cleanup_incoming()
        except OSError as exc:
            self._set(RecorderState.ERROR, message=f"cannot create {self._incoming}: {exc.strerror}")
            log.error("camera %s: recording disabled: %s", self.camera.id, exc)
            return
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                mode = self._choose_mode()
                if mode is RecordMode.PIPE and self._frames is None:
                    self._set(RecorderState.ERROR, mode, "USB camera: recording needs the capture frames")
                    return
                ended = self._session(mode)
            except ffmpeg.FfmpegMissingError as exc:
                self._set(RecorderState.ERROR, message=str(exc))
                log.error("camera %s: %s", self.camera.id, exc)
                return
            except Exception as exc:  # keep the station running; retry below
                log.exception("camera %s: recording failed", self.camera.id)
                self._set(RecorderState.WAITING, message=redact(str(exc)))
                ended = False
            finally:
                self._cleanup_incoming()
            if self._disk_full():
                self._wait_for_space()
                continue
            if (
                ended
                and not self.camera.loop
                and not self.camera.source.strip().isdigit()
                and "://" not in self.camera.source
            ):
                self._set(RecorderState.FINISHED, message="file recorded to its end")
                return
            if time.monotonic() - began > 30:
                backoff = 1.0
            if self._stop.wait(backoff):
                break
            backoff = min(30.0, backoff * 2)
        self._set(RecorderState.IDLE, message="stopped")

    def _disk_full(self) -> bool:
        st = self.status
        return st.state is RecorderState.ERROR and st.message.startswith("disk full")

    def _wait_for_space(self) -> None:
        """Stay paused (status unchanged) until space returns or the recorder is stopped."""
        while not self._stop.wait(1.0):
            try:
                free = shutil.disk_usage(self._incoming).free
            except OSError:
                continue
            if free >= RESUME_FREE_BYTES:
                log.info("camera %s: %d MB free again, recording resumes", self.camera.id, free // 2**20)
                return

    def _session(self, mode: RecordMode) -> bool:
        """One ffmpeg run. True when the source ended normally."""
        self._run_no += 1
        csv = self._incoming / f"run{self._run_no}.csv"
        pattern = self._incoming / f"run{self._run_no}_%06d.mp4.part"
        seg_args = [
            "-f", "segment", "-segment_time", f"{self.settings.segment_s:g}", "-segment_format", "mp4",
            "-reset_timestamps", "1", "-segment_list", str(csv), "-segment_list_type", "csv", str(pattern),
        ]  # fmt: skip
        src = self.camera.source.strip()
        if mode is RecordMode.PIPE:
            return self._pipe_session(csv, seg_args)
        codec = ["-c:v", "copy"] if mode is RecordMode.COPY else ffmpeg.h264_args(self.settings.fps)
        args = [
            *input_args(src, self.settings.realtime, self.camera.loop, self.camera.transport),
            "-map",
            "0:v:0",
            "-an",
            *codec,
            *seg_args,
        ]
        spawned = time.time()
        proc = ffmpeg.popen(args, stdin=subprocess.PIPE)
        tail = ffmpeg.StderrTail(proc)
        self._set(RecorderState.RECORDING, mode, "")
        log.info("camera %s: recording (%s) %s", self.camera.id, mode.value, redact(src))
        watcher = SegmentList(csv, anchor=None if self.settings.realtime else spawned)
        while proc.poll() is None and not self._stop.wait(1.0):  # a segment is listed within 1 s
            self._finish(watcher.new_entries())
        if proc.poll() is None:  # stop requested: 'q' lets ffmpeg close the last segment properly
            _close_ffmpeg(proc, b"q", timeout=8)
        tail.join()
        self._finish(watcher.new_entries())
        rc = proc.returncode
        if self._stop.is_set():
            return False
        if tail.disk_full:
            self._set(RecorderState.ERROR, mode, "disk full: recording paused until space is freed")
            log.error("camera %s: disk full while recording", self.camera.id)
            return False
        if rc != 0:
            self._set(RecorderState.WAITING, mode, f"ffmpeg exited ({rc}): {tail.last_error()}")
            log.warning("camera %s: recorder exited %s: %s", self.camera.id, rc, tail.last_error())
            return False
        return True

    def _pipe_session(self, csv: Path, seg_args: list[str]) -> bool:
        feed = self._frames
        assert feed is not None
        first = self._wait_frame(feed)
        if first is None:
            return False
        fps = self.settings.fps
        h, w = first.image.shape[:2]
        w, h = w - w % 2, h - h % 2
        args = ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "pipe:0",
                "-map", "0:v:0", *ffmpeg.h264_args(fps), *seg_args]  # fmt: skip
        proc = ffmpeg.popen(args, stdin=subprocess.PIPE)
        tail = ffmpeg.StderrTail(proc)
        self._set(RecorderState.RECORDING, RecordMode.PIPE, "")
        watcher = SegmentList(csv, anchor=first.captured_at)
        t0, written, last_version, last_new = time.monotonic(), 0, feed.version, time.monotonic()
        frame = first
        assert proc.stdin is not None
        try:
            while not self._stop.is_set() and proc.poll() is None:
                if feed.version != last_version:
                    last_version, last_new = feed.version, time.monotonic()
                    frame = feed.peek() or frame
                if time.monotonic() - last_new > self.settings.stale_s:
                    break  # camera stalled: end the segment rather than record a frozen picture
                due = int((time.monotonic() - t0) * fps) + 1
                img = _fit(frame.image, w, h)
                while written < due:  # a fixed output rate keeps the video's clock equal to real time
                    proc.stdin.write(img.tobytes())
                    written += 1
                self._finish(watcher.new_entries())
                self._stop.wait(0.5 / fps)
        except (BrokenPipeError, OSError):
            pass
        _close_ffmpeg(proc, b"", timeout=10)
        tail.join()
        self._finish(watcher.new_entries())
        if tail.disk_full:
            self._set(
                RecorderState.ERROR, RecordMode.PIPE, "disk full: recording paused until space is freed"
            )
            log.error("camera %s: disk full while recording", self.camera.id)
        elif proc.returncode not in (0, None) and not self._stop.is_set():
            self._set(RecorderState.WAITING, RecordMode.PIPE, f"encoder exited: {tail.last_error()}")
            log.warning(
                "camera %s: encoder exited %s: %s", self.camera.id, proc.returncode, tail.last_error()
            )
        return False

    def _wait_frame(self, feed: FrameFeed) -> Frame | None:
        self._set(RecorderState.WAITING, RecordMode.PIPE, "waiting for frames")
        while not self._stop.is_set():
            f = feed.peek()
            if f is not None and time.time() - f.captured_at < self.settings.stale_s:
                return f
            self._stop.wait(0.1)
        return None

    def _finish(self, entries: list[tuple[str, float, float]]) -> None:
        for name, start, end in entries:
            part = self._incoming / name
            if not part.is_file():
                continue
            info = probe_video(part)
            if info.frames <= 0:
                part.unlink(missing_ok=True)
                continue
            duration = info.duration or (end - start)
            # ffmpeg's list times include the codec delay after the first segment; the end is exact, so
            # start = end - duration keeps consecutive segments contiguous
            start = end - duration
            day = time.strftime("%Y-%m-%d", time.gmtime(start))
            dest_dir = self._dir / day
            dest_dir.mkdir(parents=True, exist_ok=True)
            dest = dest_dir / f"{utc_stamp(start, ms=True)}.mp4"
            n = 1
            while dest.exists():
                dest = dest_dir / f"{utc_stamp(start, ms=True)}_{n}.mp4"
                n += 1
            part.replace(dest)
            seg = Segment(
                camera_id=self.camera.id,
                start=start,
                end=start + duration,
                path=dest.relative_to(self._root).as_posix(),
                bytes=dest.stat().st_size,
                frames=info.frames,
                fps=info.fps,
                width=info.width,
                height=info.height,
                codec=info.codec,
            )
            try:
                self._sink(seg)
            except Exception:
                log.exception("camera %s: cannot index segment %s", self.camera.id, dest)
            self._count_segment()


def _fit(image: np.ndarray, w: int, h: int) -> np.ndarray:
    if image.shape[1] == w and image.shape[0] == h:
        return np.ascontiguousarray(image)
    import cv2

    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


def _close_ffmpeg(proc: subprocess.Popen[bytes], last_input: bytes, timeout: float) -> None:
    """Send ``last_input`` (b"q" asks ffmpeg to finish), close its stdin (end of piped frames), wait up to
    ``timeout`` for it to write the file's end, then kill it."""
    with contextlib.suppress(OSError):
        assert proc.stdin is not None
        if last_input:
            proc.stdin.write(last_input)
        proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
