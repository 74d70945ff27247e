"""Fast playback on a recording with a 4 s GOP (a key frame every 60 frames, as copy-mode cameras send):
at 16x backwards and forwards the tiles show key frames only, each the right frame for its time, moving on
and never holding up the GUI thread; at 2x backwards every frame is still decoded and shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from app.playback.keyframes import key_frame_indices
from tests.playback_media import frame_number, needs_ffmpeg, record_camera
from tests.qt.playback_views import shown_view
from widgets.playback.view import PlaybackView

pytestmark = needs_ffmpeg
FPS = 15
GOP = 4 * FPS
T0 = 1772370000.0  # 2026-03-01 13:00:00 UTC
SEGMENT = 30 * FPS  # frames per segment; each segment starts with a key frame


def is_key(n: int) -> bool:
    return (n % SEGMENT) % GOP == 0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cam0: 0-60 s as two 30 s segments with a key frame every 4 s."""
    d = tmp_path_factory.mktemp("fast")
    db, rec = d / "vigil.sqlite3", d / "recordings"
    segs = record_camera(rec, db, "cam0", T0, [(0, 60)], FPS, segment_s=30.0, gop=GOP)
    assert key_frame_indices(rec / segs[0].path) == list(range(0, SEGMENT, GOP))  # the index is read right
    return db, rec


@pytest.fixture
def view(qtbot, recorded: tuple[Path, Path]) -> PlaybackView:
    yield from shown_view(qtbot, *recorded, {"cam0": "Entrance"}, (900, 600))


def _watch(
    qtbot, view: PlaybackView, frames: int, timeout_ms: int = 20000
) -> tuple[list[tuple[float, int]], list[int]]:
    """(time, burned-in number) of the next ``frames`` distinct frames the tile shows, and how many times the
    GUI thread's 5 ms timer fired while waiting for each of them."""
    seen: list[tuple[float, int]] = []
    ticks = [0]
    per_frame: list[int] = []
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    probe.start()

    def next_frame() -> None:
        view.refresh()
        f = view.tiles[0].shown
        assert f is not None and (not seen or f.at != seen[-1][0])
        seen.append((f.at, frame_number(f.image)))
        per_frame.append(ticks[0])
        ticks[0] = 0

    try:
        for _ in range(frames):
            qtbot.waitUntil(next_frame, timeout=timeout_ms)
    finally:
        probe.stop()
    return seen, per_frame


def test_16x_backwards_shows_key_frames_only_moving_back_across_segments(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 58.0)
    view.play(-16.0)
    seen, ticks = _watch(qtbot, view, 8)
    view.pause()
    numbers = [n for _, n in seen[1:]]  # the first may be the paused frame of the opening
    assert all(is_key(n) for n in numbers), numbers  # key frames only
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)  # always backwards
    for at, n in seen[1:]:
        assert n == round((at - T0) * FPS)  # each shown at its own time
    assert min(numbers) < SEGMENT <= max(numbers)  # crossed into the earlier segment
    assert all(t > 0 for t in ticks[1:]), ticks  # the GUI thread ran its timer while every frame was decoded


def test_16x_forwards_shows_key_frames_only(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 1.0)
    view.play(16.0)
    seen, _ = _watch(qtbot, view, 6)
    view.pause()
    numbers = [n for _, n in seen[1:]]
    assert all(is_key(n) for n in numbers), numbers
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_2x_backwards_still_shows_every_frame(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 20.0)
    view.play(-2.0)
    seen, _ = _watch(qtbot, view, 12)
    view.pause()
    numbers = [n for _, n in seen[1:]]
    assert numbers == sorted(numbers, reverse=True)
    assert any(not is_key(n) for n in numbers), (
        numbers
    )  # frames between key frames: full decoding at low speed
