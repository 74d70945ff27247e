"""CameraTile: zero-copy frames, verdict-coloured boxes, the stale-result rule, health overlays."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from app.domain import Health, MaskState
from tests.qt.scripted_station import ScriptedStation, face, grey_frame, make_config
from widgets.paint.overlay import OverlayOptions
from widgets.wall.camera_tile import CameraTile


@pytest.fixture
def station() -> ScriptedStation:
    return ScriptedStation(make_config(2))


@pytest.fixture
def tile(qtbot, station: ScriptedStation) -> CameraTile:
    t = CameraTile(0)
    qtbot.addWidget(t)
    t.resize(640, 360)
    t.set_feed(station.feed("cam0"), "Mall A")
    t.show()
    return t


def _grab(tile: CameraTile) -> QImage:
    return tile.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)


def _is_red(c: QColor) -> bool:
    return c.red() > 200 and c.green() < 90 and c.blue() < 90


def _is_green(c: QColor) -> bool:
    return c.green() > 160 and c.red() < 120 and c.blue() < 140


def test_qimage_points_at_frame_memory(tile: CameraTile, station: ScriptedStation) -> None:
    frame = station.feed("cam0").push_frame(grey_frame())
    assert tile.refresh(time.monotonic())
    image = tile.current_image()
    assert image is not None and image.width() == 640 and image.height() == 360
    address = np.frombuffer(image.constBits(), np.uint8).ctypes.data
    assert address == frame.image.__array_interface__["data"][0]
    assert tile.current_frame() is frame  # the tile keeps the array alive as long as the image


def test_no_mask_face_is_a_red_box_and_mask_face_green(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    frame = feed.push_frame(grey_frame())
    feed.push_result(
        frame, (face(100, 120, 200, 240, MaskState.NO_MASK, 1), face(400, 120, 500, 240, MaskState.MASK, 2))
    )
    tile.refresh(time.monotonic())
    img = _grab(tile)
    assert _is_red(img.pixelColor(100, 200))  # left edge of the no-mask box
    assert _is_green(img.pixelColor(400, 200))  # left edge of the mask box
    assert img.pixelColor(150, 200).red() == 60  # inside the box: the frame itself
    assert not _is_red(img.pixelColor(300, 200))


def test_boxes_scale_from_analysed_size_to_the_tile(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    frame = feed.push_frame(grey_frame(1280, 720))  # shown at half size in a 640x360 tile
    feed.push_result(frame, (face(200, 240, 400, 480, MaskState.NO_MASK),))
    tile.refresh(time.monotonic())
    img = _grab(tile)
    assert _is_red(img.pixelColor(100, 180))
    assert not _is_red(img.pixelColor(200, 300))


def test_settled_verdict_wins_over_frame_mask(tile: CameraTile, station: ScriptedStation) -> None:
    from dataclasses import replace

    feed = station.feed("cam0")
    frame = feed.push_frame(grey_frame())
    f = replace(face(100, 120, 200, 240, MaskState.NO_MASK), verdict=MaskState.MASK)
    feed.push_result(frame, (f,))
    tile.refresh(time.monotonic())
    assert _is_green(_grab(tile).pixelColor(100, 200))


def test_result_one_second_older_than_frame_is_not_drawn(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    old = feed.push_frame(grey_frame())
    feed.push_result(old, (face(100, 120, 200, 240, MaskState.NO_MASK),))
    feed.push_frame(grey_frame(), mono=old.captured_mono + 1.0)
    tile.refresh(time.monotonic())
    img = _grab(tile)
    assert not _is_red(img.pixelColor(100, 200))
    assert img.pixelColor(100, 200).red() == 60


def test_overlays_can_be_switched_off(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    frame = feed.push_frame(grey_frame())
    feed.push_result(frame, (face(100, 120, 200, 240, MaskState.NO_MASK),))
    tile.refresh(time.monotonic())
    tile.set_options(OverlayOptions(boxes=False, labels=False, info=False))
    img = _grab(tile)
    assert not _is_red(img.pixelColor(100, 200))
    assert img.pixelColor(5, 5).red() == 60  # no info bar either


def test_offline_state_shows_red_text_and_age(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    feed.push_frame(grey_frame(), mono=time.monotonic() - 42)
    feed.health = Health.OFFLINE
    tile.refresh(time.monotonic())
    img = _grab(tile)
    reds = sum(_is_red(img.pixelColor(x, y)) for x in range(160, 480, 2) for y in range(120, 240, 2))
    assert reds > 50  # the big red "OFFLINE" text
    texts: list[str] = []

    class Recorder(QPainter):
        def drawText(self, *args):  # noqa: N802
            texts.append(str(args[-1]))
            return super().drawText(*args)

    canvas = QImage(640, 360, QImage.Format.Format_RGB32)
    painter = Recorder(canvas)
    tile.paint_into(painter, time.monotonic())
    painter.end()
    assert "OFFLINE" in texts
    assert any(t.startswith("last frame 4") and t.endswith("s ago") for t in texts), texts


def test_connecting_and_reconnecting_states(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    feed.health = Health.CONNECTING
    tile.refresh(time.monotonic())
    img = _grab(tile)
    blue = sum(img.pixelColor(x, y).blue() > 200 for x in range(100, 540, 2) for y in range(140, 220, 2))
    assert blue > 30
    feed.push_frame(grey_frame())
    feed.health = Health.STALLED
    tile.refresh(time.monotonic())
    img = _grab(tile)
    amber = sum(
        img.pixelColor(x, y).red() > 200 and 120 < img.pixelColor(x, y).green() < 200
        for x in range(100, 540, 2)
        for y in range(120, 240, 2)
    )
    assert amber > 30


def test_tile_repaints_only_for_newer_frames(tile: CameraTile, station: ScriptedStation) -> None:
    feed = station.feed("cam0")
    feed.push_frame(grey_frame())
    now = time.monotonic()
    assert tile.refresh(now)
    assert not tile.refresh(now)
    feed.push_frame(grey_frame())
    assert tile.refresh(now)


def test_twenty_thousand_paints_complete(tile: CameraTile, station: ScriptedStation) -> None:
    # PySide6 6.12.0 on Python 3.11 aborts after a few thousand drawImage/fillRect calls.
    feed = station.feed("cam0")
    frame = feed.push_frame(grey_frame(160, 90))
    feed.push_result(frame, (face(20, 20, 60, 70, MaskState.NO_MASK),))
    tile.resize(160, 90)
    tile.refresh(time.monotonic())
    canvas = QImage(160, 90, QImage.Format.Format_RGB32)
    before = tile.paints
    for _ in range(20_000):
        painter = QPainter(canvas)
        tile.paint_into(painter, time.monotonic())
        painter.end()
    assert tile.paints - before == 20_000
    assert _is_red(canvas.pixelColor(20, 40))
