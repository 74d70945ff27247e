"""Cutting a time range out of recorded segments: stream copy (fast) or decode, render, encode.

Stream copy cannot start between keyframes, so a copied clip starts at the keyframe at or before the
requested start (recordings made by Vigil have one a second) and may end up to a GOP after the requested end:
it holds at least the requested range, never less. The re-encoding path is frame-exact.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.clips import ffmpeg
from app.clips.encoder import open_encoder, part_path
from app.clips.index import Segment

Renderer = Callable[[np.ndarray, float], np.ndarray]  # (image, UTC time) -> image to write
Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class CutJob:
    segments: tuple[Segment, ...]  # oldest first, all overlapping [start, end)
    recordings_dir: Path
    start: float
    end: float
    out: Path

    def paths(self) -> list[Path]:
        return [self.recordings_dir / s.path for s in self.segments]

    @property
    def covered_s(self) -> float:
        return sum(max(0.0, min(s.end, self.end) - max(s.start, self.start)) for s in self.segments)


def can_copy(segments: Sequence[Segment]) -> bool:
    """The concat demuxer copies only streams with identical parameters."""
    return len({(s.width, s.height, s.codec) for s in segments}) == 1


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def concat_list(job: CutJob) -> str:
    lines = ["ffconcat version 1.0"]
    for seg, path in zip(job.segments, job.paths(), strict=True):
        lines.append(f"file {_quote(path)}")
        if job.start > seg.start:
            lines.append(f"inpoint {job.start - seg.start:.3f}")
        if job.end < seg.end:
            lines.append(f"outpoint {job.end - seg.start:.3f}")
    return "\n".join(lines) + "\n"


def copy_cut(job: CutJob, progress: Progress | None = None, cancel: threading.Event | None = None) -> Path:
    """Concatenate and trim the segments without re-encoding into ``job.out`` (via ``.part``)."""
    part = part_path(job.out)
    listing = job.out.with_name(job.out.name + ".concat.txt")
    listing.write_text(concat_list(job), encoding="utf-8")
    try:
        args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v:0", "-c", "copy",
                "-movflags", "+faststart", "-f", "mp4", "-y", str(part)]  # fmt: skip
        ffmpeg.run_ffmpeg(args, job.covered_s, progress, cancel)
        part.replace(job.out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        listing.unlink(missing_ok=True)
    return job.out


def expected_frames(job: CutJob) -> float:
    """About how many frames ``iter_frames`` yields (for progress)."""
    return max(1.0, job.covered_s * (job.segments[0].fps or 15.0))


def iter_frames(
    job: CutJob, cancel: threading.Event | None = None
) -> Generator[tuple[np.ndarray, float], None, None]:
    """Decode the range frame by frame: ``(image, UTC time)``, oldest first; the same frames on every call.

    Raises CancelledError as soon as ``cancel`` is set, OSError when a segment cannot be opened.
    """
    fps = job.segments[0].fps or 15.0
    for seg, path in zip(job.segments, job.paths(), strict=True):
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            raise OSError(f"cannot read recording {path}")
        seg_fps = seg.fps or fps
        i = 0
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise ffmpeg.CancelledError("export cancelled")
                t = seg.start + i / seg_fps
                i += 1
                if t >= job.end:
                    break
                if t < job.start:
                    if not cap.grab():
                        break
                    continue
                ok, img = cap.read()
                if not ok:
                    break
                yield img, t
        finally:
            cap.release()


def render_cut(
    job: CutJob, render: Renderer, progress: Progress | None = None, cancel: threading.Event | None = None
) -> int:
    """Decode the range frame by frame, apply ``render`` and encode H.264 into ``job.out``; returns frames."""
    first = job.segments[0]
    fps = first.fps or 15.0
    size = (first.width, first.height)
    expected = expected_frames(job)
    enc = None
    written = 0
    try:
        with contextlib.closing(iter_frames(job, cancel)) as frames:
            for img, t in frames:
                if enc is None:
                    if size[0] <= 0:
                        size = (img.shape[1], img.shape[0])
                    enc = open_encoder(job.out, size, fps)
                enc.write(render(img, t))
                written += 1
                if progress and written % 15 == 0:
                    progress(min(1.0, written / expected))
        if enc is None:
            raise OSError("no frames could be decoded in the range")
        enc.close()
        enc = None
    finally:
        if enc is not None:
            enc.abort()
    return written
