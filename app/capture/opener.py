"""Opening a camera source with OpenCV: timeouts, the per-camera RTSP transport, and a one-line cause
when the open fails (an RTSP probe names a wrong password or stream path)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import cv2

from app.capture.rtsp import probe_rtsp
from app.capture.source import SourceKind, diagnose_network
from app.logs import redact

FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
TRANSPORTS = ("auto", "tcp", "udp")


class OpenFailed(Exception):
    """The source could not be opened; ``args[0]`` is the user-facing cause."""


class StreamEnded(Exception):
    """A connected source stopped giving frames; ``args[0]`` is the cause. ``eof``: a non-looping file ended."""

    def __init__(self, cause: str, eof: bool = False) -> None:
        super().__init__(cause)
        self.eof = eof


class OpenTimeouts(Protocol):
    """What an open needs of CaptureOptions."""

    @property
    def open_timeout_s(self) -> float: ...
    @property
    def read_timeout_s(self) -> float: ...
    @property
    def threads(self) -> int: ...


class _EnvGate:
    """OpenCV reads ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` (process-wide) when it opens a stream. Opens that want
    the same value run together; an open that needs another value waits until those have returned."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: str | None = None
        self._users = 0

    @contextmanager
    def holding(self, value: str | None) -> Iterator[None]:
        with self._cond:
            while self._users and value != self._value:
                self._cond.wait()
            if not self._users:
                self._value = value
                if value is None:
                    os.environ.pop(FFMPEG_OPTIONS_ENV, None)
                else:
                    os.environ[FFMPEG_OPTIONS_ENV] = value
            self._users += 1
        try:
            yield
        finally:
            with self._cond:
                self._users -= 1
                if not self._users:
                    self._restore()
                    self._cond.notify_all()

    def _restore(self) -> None:
        if _USER_OPTIONS is None:
            os.environ.pop(FFMPEG_OPTIONS_ENV, None)
        else:
            os.environ[FFMPEG_OPTIONS_ENV] = _USER_OPTIONS


_USER_OPTIONS = os.environ.get(FFMPEG_OPTIONS_ENV)  # what the user set for "auto" cameras
_gate = _EnvGate()


def ffmpeg_options(transport: str, user_options: str | None = None) -> str | None:
    """The ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` value for an RTSP open with ``transport``: the user's own options
    with ``rtsp_transport`` replaced (``auto``: left as the user set them)."""
    user_options = _USER_OPTIONS if user_options is None else user_options
    if transport == "auto":
        return user_options or None
    kept = [kv for kv in (user_options or "").split("|") if kv and not kv.startswith("rtsp_transport;")]
    return "|".join([*kept, f"rtsp_transport;{transport}"])


def open_network(source: str, transport: str, params: list[int]) -> cv2.VideoCapture:
    """cv2.VideoCapture for a network URL; an rtsp:// open uses ``transport`` (auto | tcp | udp)."""
    if urlsplit(source).scheme.lower() not in ("rtsp", "rtsps"):
        return cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
    with _gate.holding(ffmpeg_options(transport)):
        return cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)


def why_network_failed(source: str, timeout: float) -> str:
    """A short phrase (no URL, no password) saying why a network source did not open."""
    if urlsplit(source).scheme.lower() == "rtsp":
        return probe_rtsp(source, timeout).reason
    return diagnose_network(source, timeout)


def open_source(
    kind: SourceKind,
    source: str,
    shown: str,
    transport: str,
    o: OpenTimeouts,
    blocking: Callable[[bool], None],
) -> cv2.VideoCapture:
    """Open ``source`` or raise OpenFailed with a one-line cause. ``blocking(True/False)`` brackets the calls
    that may block in the decoder (the watchdog watches them)."""
    src = source
    try:
        if kind is SourceKind.FILE:
            path = Path(src).expanduser()
            if not path.is_file():
                what = "is a folder, not a video file" if path.is_dir() else "not found"
                raise OpenFailed(f"video file {what}: {src}")
            blocking(True)
            cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, o.threads])
            if not cap.isOpened():
                raise OpenFailed(f"cannot open video file {src} (not a video, or an unsupported format)")
        elif kind is SourceKind.USB:
            index = int(src) if src.isdigit() else int(src.removeprefix("/dev/video"))
            cap = cv2.VideoCapture(index)
            if not cap.isOpened():
                raise OpenFailed(f"no USB camera at index {index}")
        else:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(o.open_timeout_s * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(o.read_timeout_s * 1000),
                cv2.CAP_PROP_N_THREADS, o.threads,
            ]  # fmt: skip
            blocking(True)
            cap = open_network(src, transport, params)
            if not cap.isOpened():
                why = why_network_failed(src, min(3.0, o.open_timeout_s))
                raise OpenFailed(f"cannot open {shown} ({why})")
    except cv2.error as exc:
        raise OpenFailed(f"cannot open {shown} ({redact(str(exc).strip().splitlines()[-1])})") from None
    finally:
        blocking(False)
    return cap


def is_mjpeg(cap: cv2.VideoCapture) -> bool:
    """True when an opened stream is MJPEG (FFmpeg invents its timestamps)."""
    code = int(cap.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    return bytes((code >> (8 * i)) & 0xFF for i in range(4)).upper() in (b"MJPG", b"MJPEG"[:4])
