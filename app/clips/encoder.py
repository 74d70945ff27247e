"""Encoding decoded frames to an MP4 file (event clips, exports with overlays or blur).

``open_encoder`` pipes raw BGR frames into ffmpeg (H.264); without ffmpeg it falls back to OpenCV's
MPEG-4 part 2 writer (VLC plays it, browsers may not). The file is written as ``<name>.part`` and renamed
only by ``close()``; ``abort()`` deletes it, so no half-written file ever looks complete.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.clips import ffmpeg

log = logging.getLogger("vigil.clips")


class FrameEncoder(Protocol):
    def write(self, image: np.ndarray) -> None: ...

    def close(self) -> Path: ...

    def abort(self) -> None: ...


def part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


class FfmpegEncoder:
    """H.264 (or the best available codec) through an ffmpeg subprocess fed on stdin."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self.path = path
        self._size = size
        self._part = part_path(path)
        w, h = size
        args = [
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", f"{fps:.3f}", "-i", "pipe:0",
            "-an", *ffmpeg.h264_args(fps), "-movflags", "+faststart", "-f", "mp4", "-y", str(self._part),
        ]  # fmt: skip
        self._proc = ffmpeg.popen(args, stdin=subprocess.PIPE)
        self._tail = ffmpeg.StderrTail(self._proc)

    def write(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        if (w, h) != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(image).tobytes())
        except (BrokenPipeError, OSError) as exc:
            self._proc.wait()
            self._tail.join()
            self.abort()
            if self._tail.disk_full:
                raise ffmpeg.DiskFullError(
                    f"disk full while writing {self.path.name}; free space and retry"
                ) from exc
            raise RuntimeError(f"encoder stopped: {self._tail.last_error() or exc}") from exc

    def close(self) -> Path:
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        rc = self._proc.wait()
        self._tail.join()
        if rc != 0:
            self.abort()
            if self._tail.disk_full:
                raise ffmpeg.DiskFullError(f"disk full while writing {self.path.name}; free space and retry")
            raise RuntimeError(f"ffmpeg encoder failed (exit {rc}): {self._tail.last_error()}")
        self._part.replace(self.path)
        return self.path

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        with contextlib.suppress(OSError):
            if self._proc.stdin:
                self._proc.stdin.close()
        self._part.unlink(missing_ok=True)


class Cv2Encoder:
    """Fallback when there is no ffmpeg: OpenCV's bundled MPEG-4 part 2 writer."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self.path = path
        self._size = size
        self._part = part_path(path)
        # OpenCV picks the container from the extension, so write to a temporary .mp4 name
        self._tmp = path.with_name(path.stem + ".part.mp4")
        self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            raise OSError(f"cannot write video {path}")

    def write(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        if (w, h) != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        self._writer.write(image)

    def close(self) -> Path:
        self._writer.release()
        self._tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        self._writer.release()
        self._tmp.unlink(missing_ok=True)


def open_encoder(path: Path, size: tuple[int, int], fps: float) -> FrameEncoder:
    """An encoder writing ``path`` (MP4) at ``size`` (w, h) and ``fps``; even sizes are required by H.264."""
    w, h = size
    size = (max(2, w - w % 2), max(2, h - h % 2))
    if ffmpeg.ffmpeg_available():
        return FfmpegEncoder(path, size, fps)
    log.warning("no ffmpeg: writing %s with OpenCV's MPEG-4 part 2 encoder", path.name)
    return Cv2Encoder(path, size, fps)
