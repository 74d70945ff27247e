"""Pre-roll buffer bounds and event clips cut from it (real JPEG encoding, real MP4 written)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.capture.slot import LatestSlot
from app.clips.preroll import ClipResult, ClipSettings, EventClipper, PrerollBuffer
from app.domain import Frame


def _frame(cam: str, seq: int, at: float, noise: bool = False) -> Frame:
    rng = np.random.default_rng(seq)
    img = (
        rng.integers(0, 255, (240, 320, 3), np.uint8)
        if noise
        else np.full((240, 320, 3), seq % 255, np.uint8)
    )
    return Frame(cam, seq, img, at, time.monotonic())


def test_buffer_never_exceeds_its_byte_bound_and_keeps_the_newest() -> None:
    buf = PrerollBuffer(seconds=100.0, max_bytes=300_000, max_fps=10.0)
    for i in range(60):  # noise does not compress: ~100-200 kB per JPEG
        buf.push(_frame("c", i, 1000.0 + i * 0.1, noise=True))
        assert buf.nbytes <= 300_000
    span = buf.span()
    assert span is not None and span[1] == pytest.approx(1000.0 + 59 * 0.1)
    assert 1 <= len(buf) < 60


def test_buffer_keeps_only_the_last_seconds_at_the_capped_rate() -> None:
    buf = PrerollBuffer(seconds=2.0, max_bytes=50_000_000, max_fps=5.0)
    for i in range(100):  # 25 fps for 4 s
        buf.push(_frame("c", i, 1000.0 + i * 0.04))
    span = buf.span()
    assert span is not None and span[1] - span[0] <= 2.0
    assert 9 <= len(buf) <= 11  # ~5 fps over 2 s


def test_event_clip_covers_before_and_after_the_event(tmp_path: Path) -> None:
    done: list[ClipResult] = []
    clipper = EventClipper(
        {}, tmp_path, ClipSettings(pre_s=1.0, post_s=1.0, buffer_s=3.0, fps=10.0), done.append
    )
    t0 = 5000.0
    for i in range(40):  # 4 s of 10 fps frames
        clipper.push(_frame("cam", i, t0 + i * 0.1))
    result = clipper.write_clip("cam", t0 + 2.0, "evt/../42")
    assert result.path == tmp_path / "evt_.._42_clip.mp4" and result.path.is_file()
    cap = cv2.VideoCapture(str(result.path))
    n = 0
    while cap.grab():
        n += 1
    assert 19 <= n <= 21  # t-1 s .. t+1 s at 10 fps
    assert not list(tmp_path.glob("*.part*"))


def test_event_clipper_thread_writes_the_clip_after_the_post_roll(tmp_path: Path) -> None:
    slot: LatestSlot[Frame] = LatestSlot()
    done: list[ClipResult] = []
    settings = ClipSettings(pre_s=0.5, post_s=0.5, buffer_s=2.0, fps=10.0)
    clipper = EventClipper({"cam": slot}, tmp_path, settings, done.append)
    clipper.start()
    try:
        start = time.time()
        event_at = start + 0.6
        path = None
        while time.time() < start + 1.2:
            slot.put(_frame("cam", int((time.time() - start) * 100), time.time()))
            if path is None and time.time() >= event_at:
                path = clipper.request("cam", event_at, "e1")
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while not done and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        clipper.stop(5)
    assert done and done[0].path == path and path is not None and path.is_file()
    assert done[0].frames >= 5


def test_clip_without_buffered_frames_says_so(tmp_path: Path) -> None:
    clipper = EventClipper({}, tmp_path)
    result = clipper.write_clip("cam", 1000.0, "e")
    assert result.path is None and "no frames" in result.message
