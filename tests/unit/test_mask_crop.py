"""Face crops and image normalisation shared by training and run time; the quality gate."""

from __future__ import annotations

import cv2
import numpy as np

from app.analysis.quality import QualityIssue, assess, blur_score, contrast_score, turn_score
from app.config import AnalysisConfig
from app.domain import BBox, Detection
from models.face_crop import (
    CROP_SIZE,
    crop_face,
    photo_face,
    read_image,
    roll_degrees,
    to_bgr8,
    whole_image_box,
)


def test_crop_is_square_and_centred_on_the_box():
    img = np.zeros((200, 300, 3), np.uint8)
    img[90:110, 190:210] = (0, 0, 255)  # a red square at the box centre
    crop = crop_face(img, BBox(170, 70, 230, 130))
    assert crop.shape == (CROP_SIZE, CROP_SIZE, 3) and crop.dtype == np.uint8
    c = CROP_SIZE // 2
    assert tuple(crop[c, c]) == (0, 0, 255)
    assert tuple(crop[2, 2]) == (0, 0, 0)


def test_crop_levels_tilted_eyes():
    # a bar through both eyes, tilted 30 degrees: after alignment it must be horizontal
    img = np.zeros((200, 200, 3), np.uint8)
    eye_r, eye_l = (80.0, 80.0), (80 + 40 * np.cos(np.pi / 6), 80 + 40 * np.sin(np.pi / 6))
    cv2.line(img, (int(eye_r[0]), int(eye_r[1])), (int(eye_l[0]), int(eye_l[1])), (255, 255, 255), 3)
    assert abs(roll_degrees((eye_r, eye_l)) - 30.0) < 1.0
    assert abs(roll_degrees((eye_l, eye_r)) - 30.0) < 1.0  # either keypoint order
    box = BBox(60, 60, 140, 140)
    aligned = crop_face(img, box, (eye_r, eye_l))
    ys, xs = np.nonzero(aligned[:, :, 0] > 128)
    assert np.ptp(ys) < 6 < np.ptp(xs)
    plain = crop_face(img, box)
    ys, xs = np.nonzero(plain[:, :, 0] > 128)
    assert np.ptp(ys) > 10


def test_whole_image_box_crops_the_whole_image():
    img = np.random.default_rng(0).integers(0, 255, (80, 80, 3), dtype=np.uint8)
    crop = crop_face(img, whole_image_box(80, 80))
    expected = cv2.resize(img, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)
    assert np.abs(crop.astype(int) - expected.astype(int)).mean() < 3


def test_to_bgr8_normalises_grey_alpha_and_16_bit():
    grey = np.full((5, 6), 100, np.uint8)
    assert to_bgr8(grey).shape == (5, 6, 3)
    rgba = np.zeros((5, 6, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: white
    assert (to_bgr8(rgba) == 255).all()
    deep = np.full((5, 6, 3), 65535, np.uint16)
    out = to_bgr8(deep)
    assert out.dtype == np.uint8 and (out == 255).all()


def test_read_image_detects_format_by_content_and_rejects_junk(tmp_path):
    img = np.full((20, 30, 3), 40, np.uint8)
    ok, png = cv2.imencode(".png", img)
    lying = tmp_path / "photo wíth spaces.jpg"  # a PNG named .jpg, non-ASCII name
    lying.write_bytes(png.tobytes())
    assert read_image(lying).shape == (20, 30, 3)
    junk = tmp_path / "notes.jpg"
    junk.write_text("not an image")
    assert read_image(junk) is None
    assert read_image(tmp_path / "missing.png") is None


def test_quality_gate_small_blurred_flat_turned():
    cfg = AnalysisConfig()
    rng = np.random.default_rng(1)
    sharp = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    frontal = ((40.0, 50.0), (80.0, 50.0), (60.0, 70.0))
    big = Detection(BBox(20, 20, 100, 100), 0.9, frontal)
    assert assess(big, sharp, cfg) is None
    assert assess(Detection(BBox(0, 0, 12, 12), 0.9), sharp, cfg) is QualityIssue.SMALL
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert blur_score(flat, 80) < cfg.blur_threshold
    assert assess(big, flat, cfg) is QualityIssue.BLURRED
    dark = np.clip(20 + rng.normal(0, 5, (64, 64, 3)), 0, 255).astype(np.uint8)  # edges, no contrast
    assert blur_score(dark, 80) >= cfg.blur_threshold and contrast_score(dark) < cfg.min_face_contrast
    assert assess(big, dark, cfg) is QualityIssue.LOW_CONTRAST
    assert contrast_score(sharp) >= cfg.min_face_contrast
    profile = ((40.0, 50.0), (50.0, 50.0), (75.0, 70.0))  # nose far outside the eyes: turned away
    assert turn_score(profile) > cfg.max_face_turn
    assert assess(Detection(big.bbox, 0.9, profile), sharp, cfg) is QualityIssue.TURNED
    assert turn_score(frontal) < 0.1


def test_photo_face_ignores_tiny_false_faces():
    big = Detection(BBox(10, 10, 90, 90), 0.8)
    tiny = Detection(BBox(0, 0, 12, 12), 0.99)
    assert photo_face([tiny, big], 100, 100, 24) == (big, True)
    face, found = photo_face([tiny], 100, 100, 24)
    assert not found and face.bbox == whole_image_box(100, 100)
