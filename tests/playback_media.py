"""Recorded segments for the playback tests: real H.264 files made with ffmpeg whose frames carry their own
frame number (16 black/white blocks, readable after compression) and a burned-in local clock."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.clips.ffmpeg import FfmpegMissingError, find_ffmpeg
from app.clips.index import Segment, add_segment, probe_video
from app.clips.naming import utc_stamp
from app.store.db import open_db

BITS = 16
BLOCK = 16
try:
    FFMPEG: str | None = find_ffmpeg()
except FfmpegMissingError:
    FFMPEG = None
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="needs ffmpeg (apt-get install ffmpeg)")


def coded_frame(number: int, size: tuple[int, int], shade: int = 60) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), shade, np.uint8)
    img[h // 2 :, :, 1] = (number * 7) % 200 + 30  # some motion so the encoder has work to do
    for bit in range(BITS):
        on = (number >> bit) & 1
        x = 4 + bit * (BLOCK + 2)
        img[4 : 4 + BLOCK, x : x + BLOCK] = 255 if on else 0
    return img


def frame_number(image: np.ndarray) -> int:
    """The number coded into a decoded frame."""
    n = 0
    for bit in range(BITS):
        x = 4 + bit * (BLOCK + 2)
        block = image[4 + 3 : 4 + BLOCK - 3, x + 3 : x + BLOCK - 3]
        if float(block.mean()) > 128:
            n |= 1 << bit
    return n


def write_segment(
    path: Path, first: int, count: int, start: float, fps: int = 15, size: tuple[int, int] = (352, 288),
    gop: int | None = None,
) -> Path:
    """Frames ``first`` .. ``first+count-1`` as an H.264 MP4 (a key frame every ``gop`` frames, default a
    second), the clock burned in."""
    assert FFMPEG
    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    clock = f"drawtext=text='%{{pts\\:localtime\\:{start:.3f}\\:%H\\\\\\:%M\\\\\\:%S}}':x=8:y=h-40:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6"
    args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
            "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:0", "-vf", clock, "-c:v", "libx264", "-preset", "ultrafast",
            "-g", str(gop or fps), "-keyint_min", str(gop or fps), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            str(path)]  # fmt: skip
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    for n in range(first, first + count):
        proc.stdin.write(coded_frame(n, size).tobytes())
    proc.stdin.close()
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        if b"drawtext" in err or b"Font" in err or b"font" in err:  # no fonts: the code blocks still number frames
            args[args.index("-vf") : args.index("-vf") + 2] = []
            proc = subprocess.Popen(args, stdin=subprocess.PIPE)
            assert proc.stdin is not None
            for n in range(first, first + count):
                proc.stdin.write(coded_frame(n, size).tobytes())
            proc.stdin.close()
            assert proc.wait() == 0
        else:
            raise AssertionError(err.decode(errors="replace"))
    return path


def record_camera(
    rec_dir: Path,
    db_path: Path,
    camera_id: str,
    start: float,
    pieces: list[tuple[float, float]],
    fps: int = 15,
    segment_s: float = 10.0,
    size: tuple[int, int] = (352, 288),
    gop: int | None = None,
) -> list[Segment]:
    """Record ``camera_id`` over ``pieces`` (offsets in seconds from ``start``; nothing between them: gaps)
    as segments of ``segment_s`` and index them. Frame number n is shown at ``start + n / fps``."""
    db = open_db(db_path)
    out = []
    try:
        for a, b in pieces:
            t = a
            while t < b - 1e-6:
                length = min(segment_s, b - t)
                first, count = round(t * fps), round(length * fps)
                seg_start = start + first / fps
                day = utc_stamp(seg_start, ms=True)
                path = write_segment(rec_dir / camera_id / f"{day}.mp4", first, count, seg_start, fps, size, gop)
                info = probe_video(path)
                seg = Segment(camera_id, seg_start, seg_start + info.frames / fps,
                              path.relative_to(rec_dir).as_posix(), path.stat().st_size, info.frames, float(fps),
                              info.width, info.height, info.codec)  # fmt: skip
                out.append(Segment(**{**_fields(seg), "id": add_segment(db, seg)}))
                t += length
    finally:
        db.conn.close()
    return out


def _fields(seg: Segment) -> dict:
    return {k: getattr(seg, k) for k in Segment.__slots__}  # type: ignore[attr-defined]


SHARED_VIDEO = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "video"


def record_clip(rec_dir: Path, db_path: Path, camera_id: str, start: float, src: Path, fps: int = 15) -> Segment:
    """One segment of real video (``src`` re-encoded like the recorder: H.264, a key frame a second), indexed
    as ``camera_id``'s recording from ``start``."""
    assert FFMPEG
    out = rec_dir / camera_id / f"{utc_stamp(start, ms=True)}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-an", "-vf", f"fps={fps}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p", str(out)],
                   check=True)  # fmt: skip
    info = probe_video(out)
    seg = Segment(camera_id, start, start + info.frames / fps, out.relative_to(rec_dir).as_posix(),
                  out.stat().st_size, info.frames, float(fps), info.width, info.height, info.codec)  # fmt: skip
    db = open_db(db_path)
    try:
        return Segment(**{**_fields(seg), "id": add_segment(db, seg)})
    finally:
        db.conn.close()
