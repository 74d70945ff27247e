"""A truncated and a garbled segment in the middle of a recording: the tile says in one line that the
recording is damaged at that time, playing on reaches the next good segment and shows its frames, and the
other camera is not disturbed. Real ffmpeg-made files, damaged in the test."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.playback.source import SourceState
from tests.faults.test_damaged_segments import FPS, T0, damage
from tests.playback_media import frame_number, needs_ffmpeg, record_camera
from tests.qt.playback_views import shown_view
from widgets.playback.view import PlaybackView

pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cam0: 0-40 s in four 10 s segments, the second truncated and the third garbled; cam1: 0-40 s whole."""
    d = tmp_path_factory.mktemp("damaged")
    db, rec = d / "vigil.sqlite3", d / "recordings"
    segs = record_camera(rec, db, "cam0", T0, [(0, 40)], FPS, segment_s=10.0)
    record_camera(rec, db, "cam1", T0, [(0, 40)], FPS, segment_s=10.0)
    damage(rec, segs[1], "truncated")
    damage(rec, segs[2], "garbled")
    return db, rec


@pytest.fixture
def view(qtbot, recorded: tuple[Path, Path]) -> PlaybackView:
    yield from shown_view(qtbot, *recorded, {"cam0": "Entrance", "cam1": "Food court"}, (1200, 600))


@pytest.mark.parametrize(
    ("offset", "segment_start", "why"), [(14.0, 10.0, "truncated"), (25.0, 20.0, "garbled")]
)
def test_the_tile_says_the_recording_is_damaged_at_that_time(qtbot, view: PlaybackView, offset: float,
                                                              segment_start: float, why: str) -> None:  # fmt: skip
    view.open(["cam0", "cam1"], T0 + offset)
    tile = view.tiles[0]

    def damaged() -> None:
        view.refresh()  # the tile takes the source's state here: wait for what the tile shows, not the source
        assert tile.source.status.state is SourceState.DAMAGED and tile.message().startswith(
            "Recording damaged"
        )

    qtbot.waitUntil(damaged, timeout=5000)
    line = tile.message()
    when = time.strftime("%H:%M:%S", time.localtime(T0 + segment_start))
    assert line.startswith(f"Recording damaged at {when}") and why in line and "\n" not in line
    assert "Traceback" not in line
    qtbot.waitUntil(lambda: (view.refresh(), view.tiles[1].shown is not None)[1], timeout=5000)
    assert frame_number(view.tiles[1].shown.image) == round(offset * FPS)  # the other camera plays on


def test_playing_on_reaches_the_next_good_segment(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 27.0)  # inside the garbled segment
    tile = view.tiles[0]
    qtbot.waitUntil(
        lambda: (view.refresh(), tile.source.status.state is SourceState.DAMAGED)[1], timeout=5000
    )
    view.play(4.0)

    def next_segment() -> None:
        view.refresh()
        assert tile.source.status.state is SourceState.PLAYING and tile.shown is not None
        assert frame_number(tile.shown.image) >= 30 * FPS

    qtbot.waitUntil(next_segment, timeout=10000)
    view.pause()
    assert tile.shown is not None and frame_number(tile.shown.image) == round((tile.shown.at - T0) * FPS)
