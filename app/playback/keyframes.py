"""Key frames only, for fast playback (8x-16x either way), as Milestone and Genetec do.

Decoding every GOP forward to show it backwards, or every frame at 16x, costs a GOP of decoding per shown
frame; a key frame (I-frame) decodes on its own. ``app.clips.mp4.key_frame_indices`` reads which frames are
key frames from the MP4's sync-sample table (no decoding), and ``decode_key_frames`` has ffmpeg decode only the
key frames of a stretch (``-skip_frame nokey``: the decoder drops every other frame unread) in one process.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np

from app.clips.mp4 import key_frame_indices

__all__ = ["decode_key_frames", "key_frame_indices"]
log = logging.getLogger("vigil.playback")


def decode_key_frames(
    ffmpeg: str, path: Path, first_key_time: float, count: int, size: tuple[int, int], timeout: float = 10.0
) -> list[np.ndarray]:
    """Decode ``count`` key frames from the one at ``first_key_time`` (seconds into the file) on; fewer at
    the end of the file or on damage. One ffmpeg process; only key frames are decoded."""
    w, h = size
    if count <= 0 or w <= 0 or h <= 0:
        return []
    # -vsync passthrough (not its newer name -fps_mode, ffmpeg >= 5.1): older builds take it too; without it the
    # raw output repeats each key frame to fill the frame rate
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-skip_frame", "nokey",
            "-ss", f"{max(0.0, first_key_time):.4f}", "-noaccurate_seek", "-i", str(path), "-map", "0:v:0",
            "-frames:v", str(count), "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]  # fmt: skip
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("key frames of %s: %s", path.name, exc)
        return []
    frame_bytes = w * h * 3
    n = len(done.stdout) // frame_bytes
    data = bytearray(done.stdout)  # writable frames, like OpenCV's
    return [np.frombuffer(data, np.uint8, frame_bytes, i * frame_bytes).reshape(h, w, 3) for i in range(n)]
