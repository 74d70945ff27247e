"""The shipped mask model's face verifier, calibrated abstention and licence, on real images from ../shared."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.scenes_eval import parse_voc
from app.analysis.spec import EngineSpec, make_mask_stage
from app.config import AnalysisConfig
from app.domain import BBox, Detection, Frame, MaskState
from app.errors import ModelError
from models.face_crop import read_image
from models.face_detector import create_detector
from models.mask_classifier import NONCOMMERCIAL_MODEL_FILE, MaskClassifier
from models.weights import sha256_file

REPO = Path(__file__).resolve().parents[2]
# a test-split scene (never trained on) where the detector boxes a sign/object that is no annotated face
SIGN_SCENE = "maksssksksss0"
CFG = AnalysisConfig()


@pytest.fixture(scope="module")
def clf() -> MaskClassifier:
    return MaskClassifier()


def _false_boxes(scene_dir: Path, stem: str) -> tuple[np.ndarray, list[Detection], list[Detection]]:
    """The scene image, detections overlapping no annotated face, and detections matching one."""
    scene = parse_voc(scene_dir / "annotations" / f"{stem}.xml", scene_dir / "images")
    image = read_image(scene.image_path)
    assert image is not None
    det = create_detector("accurate")
    try:
        found = list(det.detect(image))
    finally:
        det.close()
    truth = [f.bbox for f in scene.faces]
    false = [d for d in found if all(d.bbox.iou(t) < 0.05 for t in truth)]
    real = [d for d in found if any(d.bbox.iou(t) >= 0.5 for t in truth)]
    return image, false, real


def test_verifier_drops_a_detected_sign_and_keeps_the_real_faces(clf, shared_data: Path) -> None:
    image, false, real = _false_boxes(shared_data / "mask_scenes", SIGN_SCENE)
    assert false and real, "the scene should give the detector both a false box and real faces"
    judged = clf.judge_round([(image, false + real)], CFG)[0]
    dropped_false = sum(j is None for j in judged[: len(false)])
    kept_real = sum(j is not None for j in judged[len(false) :])
    assert dropped_false >= 1
    assert kept_real == len(real)


def test_verifier_keeps_real_faces_of_photos(clf, shared_data: Path) -> None:
    det = create_detector("fast")
    try:
        kept = total = 0
        for path in sorted((shared_data / "faces" / "probe").glob("*.jpg"))[:8]:
            image = read_image(path)
            assert image is not None
            faces = [d for d in det.detect(image) if d.bbox.size >= 40]
            judged = clf.judge_round([(image, faces)], CFG)[0]
            total += len(faces)
            kept += sum(j is not None for j in judged)
    finally:
        det.close()
    assert total >= 8
    assert kept == total


def test_engine_does_not_track_or_count_the_sign(shared_data: Path) -> None:
    image, false, real = _false_boxes(shared_data / "mask_scenes", SIGN_SCENE)

    class FixedDetector:
        def detect(self, img):  # type: ignore[no-untyped-def]
            return false + real

        def close(self) -> None:
            pass

    engine = AnalysisEngine(EngineParts(detector=FixedDetector, mask=lambda: make_mask_stage(EngineSpec())))
    t0, m0 = time.time(), time.monotonic()
    out = engine.analyse([Frame("cam1", 0, image, t0, m0)])[0]
    boxes = [f.bbox for f in out.result.faces]
    assert len(boxes) < len(false) + len(real)
    for d in real:
        assert d.bbox in boxes


def _degraded_tiny_face(shared_data: Path) -> tuple[np.ndarray, Detection]:
    """A real unmasked face shrunk to 26 px, JPEG quality 8, motion-blurred and dark, on a grey frame."""
    face = read_image(shared_data / "faces" / "probe" / "obama-240p.jpg")
    if face is None:
        face = read_image(sorted((shared_data / "mask" / "without_mask").iterdir())[0])
    assert face is not None
    side = 26
    h, w = face.shape[:2]
    s = min(h, w)
    crop = face[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    k = np.zeros((5, 5), np.float32)
    k[2, :] = 0.2
    small = cv2.filter2D(small, -1, k)
    small = np.clip(small.astype(np.float32) * 0.35, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 8])
    assert ok
    small = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    frame = np.full((240, 320, 3), 30, np.uint8)
    frame[100 : 100 + side, 150 : 150 + side] = small
    return frame, Detection(BBox(150, 100, 150 + side, 100 + side), 0.9, ())


def test_heavily_degraded_tiny_face_is_uncertain_not_a_guess(clf, shared_data: Path) -> None:
    """An unmasked face, dark and crushed by JPEG: the model calls it 'mask' at 0.87 (its block edges pass the
    blur gate); the contrast gate makes it 'uncertain'. Without the gate (min_face_contrast 0) it is judged."""
    frame, det = _degraded_tiny_face(shared_data)
    state, _ = clf.classify_faces(frame, [det], CFG)[0]
    assert state is MaskState.UNCERTAIN
    unguarded, _ = clf.classify_faces(frame, [det], replace(CFG, min_face_contrast=0.0))[0]
    assert unguarded is not MaskState.UNCERTAIN


def test_calibration_is_per_size_and_stricter_for_small_faces(clf) -> None:
    assert clf.size_bins == [32.0, 64.0]
    assert len(clf.size_min_conf) == 3
    assert clf.min_confidence(20, CFG) >= CFG.min_mask_confidence
    assert clf.min_confidence(28, CFG) >= clf.min_confidence(100, CFG)


def test_default_model_is_trained_on_commercial_licences_only() -> None:
    manifest = json.loads((REPO / "models" / "mask_classifier.manifest.json").read_text(encoding="utf-8"))
    assert "mask_synthetic" not in manifest["sources"]
    assert not any("NC" in s["licence"] or "NON-COMMERCIAL" in s["licence"] for s in manifest["sources"].values())
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(REPO / "models" / "mask_classifier.onnx")).metadata_props}
    assert meta["commercial_use"] == "yes"
    assert "mask_synthetic" not in meta["training_sources"]
    nc = {p.key: p.value for p in onnx.load(str(REPO / "models" / NONCOMMERCIAL_MODEL_FILE)).metadata_props}
    assert nc["commercial_use"] == "no"
    assert "mask_synthetic" in nc["training_sources"]


def test_noncommercial_model_is_opt_in_and_sha_checked(tmp_path: Path, monkeypatch) -> None:
    default = MaskClassifier()
    assert default.path.name == "mask_classifier.onnx"
    monkeypatch.setenv("VIGIL_MASK_MODEL", "noncommercial")
    assert MaskClassifier().path.name == NONCOMMERCIAL_MODEL_FILE
    monkeypatch.delenv("VIGIL_MASK_MODEL")
    assert MaskClassifier(choice="noncommercial").path.name == NONCOMMERCIAL_MODEL_FILE
    sums = (REPO / "models" / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"{sha256_file(REPO / 'models' / NONCOMMERCIAL_MODEL_FILE)}  {NONCOMMERCIAL_MODEL_FILE}" in sums
    tampered = tmp_path / "m.onnx"
    data = bytearray((REPO / "models" / "mask_classifier.onnx").read_bytes())
    data[-1] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelError):
        MaskClassifier(tampered, expected_sha256=sha256_file(REPO / "models" / "mask_classifier.onnx"))
