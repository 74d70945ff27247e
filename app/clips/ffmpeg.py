"""Finding and running the ffmpeg binary that records, cuts and encodes clips.

Order: ``VIGIL_FFMPEG`` (a path), the binary shipped in the ``imageio-ffmpeg`` wheel (same build on every
platform, has libx264), then ``ffmpeg`` on PATH. H.264 in MP4 is what Windows, browsers and police systems
open, so libx264 is preferred; without it the best available encoder is used and a warning is logged.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence

from app.errors import UserError
from app.logs import redact

log = logging.getLogger("vigil.clips")

_NO_SPACE = ("No space left on device", "Disk quota exceeded")


class FfmpegMissingError(UserError):
    """No ffmpeg binary could be found."""


class DiskFullError(UserError):
    """The disk filled up while writing video."""


class CancelledError(UserError):
    """The user cancelled a long operation."""


@functools.lru_cache(maxsize=1)
def find_ffmpeg() -> str:
    """Path of the ffmpeg binary; raises FfmpegMissingError with the fix when there is none."""
    env = os.environ.get("VIGIL_FFMPEG")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise FfmpegMissingError(f"VIGIL_FFMPEG={env} is not an executable file; fix or unset it")
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]

        exe = str(imageio_ffmpeg.get_ffmpeg_exe())
        if exe:
            return exe
    except Exception:  # not installed, or its binary is missing for this platform
        pass
    found = shutil.which("ffmpeg")
    if found:
        return found
    raise FfmpegMissingError(
        "ffmpeg not found: recording and export need it; `pip install imageio-ffmpeg`, install ffmpeg "
        "(apt-get install ffmpeg) or set VIGIL_FFMPEG to its path"
    )


def ffmpeg_available() -> bool:
    try:
        find_ffmpeg()
    except FfmpegMissingError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    out = subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-version"], capture_output=True, text=True, timeout=30
    )
    m = re.search(r"ffmpeg version (\S+)", out.stdout)
    return m.group(1) if m else "unknown"


@functools.lru_cache(maxsize=1)
def _encoders() -> frozenset[str]:
    out = subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30
    )
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] == "V":
            names.add(parts[1])
    return frozenset(names)


def h264_args(fps: float, quality: int = 23) -> list[str]:
    """Output codec arguments: libx264 veryfast (cheap, plays everywhere), else a fallback encoder."""
    gop = str(max(1, round(fps)))  # one keyframe a second: stream-copy cuts land within a second
    if "libx264" in _encoders():
        return [
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            str(quality),
            "-g",
            gop,
            "-pix_fmt",
            "yuv420p",
        ]
    log.warning("ffmpeg has no libx264: clips are MPEG-4 part 2 (VLC plays them; browsers may not)")
    return ["-c:v", "mpeg4", "-q:v", "4", "-g", gop, "-pix_fmt", "yuv420p"]


class StderrTail:
    """Drains a process's stderr in a thread (a full pipe would stall ffmpeg) and keeps the last lines."""

    def __init__(self, proc: subprocess.Popen[bytes], lines: int = 30) -> None:
        self._lines: deque[str] = deque(maxlen=lines)
        self._thread = threading.Thread(target=self._drain, args=(proc,), name="ffmpeg-stderr", daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            self._lines.append(redact(raw.decode("utf-8", "replace").rstrip()))

    def join(self, timeout: float = 2.0) -> None:
        self._thread.join(timeout)

    @property
    def text(self) -> str:
        return "\n".join(self._lines)

    @property
    def disk_full(self) -> bool:
        return any(s in line for line in self._lines for s in _NO_SPACE)

    def last_error(self) -> str:
        for line in reversed(self._lines):
            if line.strip():
                return line.strip()
        return ""


def popen(args: Sequence[str], stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start ffmpeg with ``args`` (without the binary), at low priority on POSIX, stdout captured."""
    cmd = [find_ffmpeg(), "-hide_banner", "-nostats", "-loglevel", "error", *args]
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )


def run_ffmpeg(
    args: Sequence[str],
    duration_s: float,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Run ffmpeg to completion, reporting the fraction done (from ``-progress``); raises on failure,
    DiskFullError when the disk filled, CancelledError when ``cancel`` was set."""
    proc = popen(["-progress", "pipe:1", *args])
    tail = StderrTail(proc)
    assert proc.stdout is not None
    cancelled = False
    for raw in proc.stdout:
        line = raw.decode("ascii", "replace").strip()
        if cancel is not None and cancel.is_set():
            cancelled = True
            proc.kill()
            break
        if progress and line.startswith("out_time_us=") and duration_s > 0:
            try:
                done = int(line.split("=", 1)[1]) / 1e6
            except ValueError:
                continue
            progress(min(1.0, max(0.0, done / duration_s)))
    rc = proc.wait()
    tail.join()
    if cancelled:
        raise CancelledError("export cancelled")
    if tail.disk_full:
        raise DiskFullError(f"disk full while writing video: {tail.last_error()}; free space and retry")
    if rc != 0:
        raise RuntimeError(f"ffmpeg failed (exit {rc}): {tail.last_error()}")
