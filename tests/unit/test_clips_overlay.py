"""Pure drawing and face-selection functions used by exports."""

from __future__ import annotations

import numpy as np

from app.clips.naming import inside, safe_component
from app.clips.overlay import (
    OverlayFrame,
    OverlayTimeline,
    draw_overlays,
    faces_to_blur,
    redact_regions,
    scaled_faces,
)
from app.domain import BBox, Face, MaskState
from app.errors import UserError


def test_draw_overlays_returns_a_new_image_and_leaves_the_input_alone() -> None:
    img = np.zeros((240, 320, 3), np.uint8)
    img.setflags(write=False)
    faces = [Face(BBox(50, 50, 120, 130), 0.9, track_id=3, verdict=MaskState.NO_MASK)]
    out = draw_overlays(img, faces, "Entrance", 1_700_000_000.0)
    assert out is not img and not img.any()
    assert out[50, 80].any()  # the box edge is drawn
    assert out[230, 20].any()  # the time/camera label at the bottom


def test_redact_fills_each_box_with_one_colour() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (100, 100, 3), np.uint8)
    out = redact_regions(img, [BBox(10, 10, 40, 50)])
    patch = out[10:50, 10:40].reshape(-1, 3)
    assert (patch == patch[0]).all()
    assert (out[60:, 60:] == img[60:, 60:]).all()


def test_faces_to_blur_spares_only_the_kept_person() -> None:
    a, b = BBox(0, 0, 50, 50), BBox(100, 0, 150, 50)
    assert faces_to_blur([a, b], [BBox(5, 5, 52, 48)]) == [b]
    assert faces_to_blur([a, b], []) == [a, b]


def test_overlay_timeline_uses_recent_analysis_only_and_scales_boxes() -> None:
    frame = OverlayFrame(100.0, (640, 480), (Face(BBox(64, 48, 128, 96), 0.9),))
    tl = OverlayTimeline([frame], max_age_s=1.0)
    assert tl.at(99.9) is None and tl.at(100.5) is frame and tl.at(101.5) is None
    [scaled] = scaled_faces(frame, (320, 240))
    assert scaled.bbox == BBox(32, 24, 64, 48)


def test_safe_names_cannot_traverse(tmp_path) -> None:
    for evil in ("../../etc", "..", "/abs/path", "a\\..\\b", "CON", "", "..\x00x"):
        name = safe_component(evil)
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert inside(tmp_path, name).parent == tmp_path.resolve()
    try:
        inside(tmp_path, "../x")
    except UserError:
        pass
    else:
        raise AssertionError("inside() accepted a path outside the folder")
