"""Recorder helpers: ffmpeg input arguments per source kind, codec probing, and the segment-list tail."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from app.clips import ffmpeg


def probe_codec(source: str, timeout: float = 20.0, transport: str = "auto") -> str:
    """Video codec name of a file or stream (``h264``, ``mjpeg``...), '' if it cannot be opened."""
    inputs = input_args(source, realtime=False, loop=False, transport=transport)
    args = [ffmpeg.find_ffmpeg(), "-hide_banner", *inputs, "-t", "0"]
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return ""
    m = re.search(r"Video: (\w+)", out.stderr)
    return m.group(1) if m else ""


def input_args(source: str, realtime: bool, loop: bool, transport: str = "auto") -> list[str]:
    """ffmpeg's input options for ``source``; rtsp:// uses the camera's ``transport`` (auto: TCP, as capture)."""
    low = source.lower()
    if low.startswith("rtsp://"):
        rtp = "udp" if transport == "udp" else "tcp"
        return ["-rtsp_transport", rtp, "-timeout", "5000000", "-i", source]
    if "://" in low:
        return ["-rw_timeout", "5000000", "-i", source]
    args = ["-re"] if realtime else []
    if loop:
        args += ["-stream_loop", "-1"]
    return [*args, "-i", source]


class SegmentList:
    """Tails ffmpeg's segment CSV (``name,start,end`` per finished segment) and maps offsets to UTC."""

    def __init__(self, path: Path, anchor: float | None) -> None:
        self._path = path
        self._done = 0
        self._anchor = anchor  # UTC of stream time 0; None: set from the first finished segment (live)
        self._live = anchor is None

    def new_entries(self) -> list[tuple[str, float, float]]:
        try:
            text = self._path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        lines = text.split("\n")[:-1]  # the last piece is incomplete (or empty)
        out: list[tuple[str, float, float]] = []
        for line in lines[self._done :]:
            parts = line.rsplit(",", 2)
            if len(parts) != 3:
                continue
            try:
                s_off, e_off = float(parts[1]), float(parts[2])
            except ValueError:
                continue
            now = time.time()
            if self._anchor is None:
                self._anchor = now - e_off  # the segment closed just now, at stream time e_off
            elif self._live and abs(now - (self._anchor + e_off)) > 2.0:
                self._anchor = now - e_off  # stream clock drifted from wall clock: re-anchor
            out.append((Path(parts[0].strip('"')).name, self._anchor + s_off, self._anchor + e_off))
        self._done = len(lines)
        return out
