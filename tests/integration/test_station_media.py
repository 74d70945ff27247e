"""Event clips and recording follow the cameras of a running station: added, removed, or switched to the
sub-stream by the window."""

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.bootstrap import LiveStation, StationOptions
from app.clips.preroll import EventClipper
from app.config import CameraConfig, SiteConfig, StationConfig
from tests.integration.capture_helpers import wait_for
from tests.media import make_clip


def _newest_size(clipper: EventClipper, camera_id: str) -> tuple[int, int] | None:
    frames = clipper.buffer(camera_id).frames_between(0, float("inf"))
    if not frames:
        return None
    image = cv2.imdecode(np.frombuffer(frames[-1].jpeg, np.uint8), cv2.IMREAD_COLOR)
    return int(image.shape[1]), int(image.shape[0])


@pytest.fixture
def station(tmp_path: Path):
    clip = make_clip(tmp_path / "door.mp4", frames=60, size=(160, 120), fps=15)
    cfg = StationConfig(
        sites=(SiteConfig("m", "Mall"),), cameras=(CameraConfig("cam1", "Door", "m", str(clip)),)
    )
    options = StationOptions(
        db_path=tmp_path / "e.db", analysis_mode="thread", mask_enabled=False, media_dir=tmp_path
    )
    st = LiveStation(cfg, options).start()
    yield st
    st.stop()


def test_camera_added_at_run_time_gets_event_clips_and_recording(
    station: LiveStation, tmp_path: Path
) -> None:
    clipper = station.clipper
    assert clipper is not None and station.recorder is None  # nothing recorded at start
    side = make_clip(tmp_path / "side.mp4", frames=60, size=(128, 96), fps=15)
    added = CameraConfig("cam2", "Side door", "m", str(side), record=True)
    station.apply_config(replace(station.config(), cameras=(*station.config().cameras, added)))

    wait_for(lambda: len(clipper.buffer("cam2")) >= 5, what="pre-roll frames of the added camera")
    result = clipper.write_clip("cam2", time.time() - 0.3, "added-cam")
    assert result.path is not None and result.frames > 0, result
    assert station.recorder is not None and "cam2" in station.recorder.recorders

    station.apply_config(replace(station.config(), cameras=station.config().cameras[:1]))
    assert "cam2" not in station.recorder.recorders
    frozen = len(clipper.buffer("cam2"))
    time.sleep(0.5)
    assert len(clipper.buffer("cam2")) == frozen  # a removed camera is no longer buffered

    def indexed() -> bool:
        with sqlite3.connect(tmp_path / "e.db") as con:
            return bool(con.execute("select count(*) from recordings where camera_id='cam2'").fetchone()[0])

    wait_for(indexed, timeout=20, what="the removed camera's last segment indexed")


def test_pre_roll_follows_the_capture_onto_the_sub_stream(tmp_path: Path) -> None:
    main = make_clip(tmp_path / "main.mp4", frames=60, size=(160, 120), fps=15)
    sub = make_clip(tmp_path / "sub.mp4", frames=60, size=(96, 72), fps=15)
    cam = CameraConfig("cam1", "Door", "m", str(main), sub_source=str(sub))
    options = StationOptions(
        db_path=tmp_path / "e.db", analysis_mode="thread", mask_enabled=False, media_dir=tmp_path
    )
    station = LiveStation(StationConfig(sites=(SiteConfig("m", "Mall"),), cameras=(cam,)), options).start()
    try:
        clipper = station.clipper
        assert clipper is not None
        wait_for(lambda: _newest_size(clipper, "cam1") == (160, 120), what="main-stream frames buffered")
        station.set_stream_preference("cam1", main=False)  # the window shows the camera in a small tile
        wait_for(lambda: _newest_size(clipper, "cam1") == (96, 72), what="sub-stream frames buffered")
    finally:
        station.stop()
