"""The shipped mask model on real faces from the held-aside test split (skips without shared data)."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import AnalysisConfig
from app.domain import BBox, Detection, MaskState
from models.face_crop import crop_face, photo_face, read_image
from models.face_detector import MediaPipeFaceDetector
from models.mask_classifier import MaskClassifier, classify_faces

# Drawn at random (seed 7) from the test split of models/training/split.py before the model was trained.
CASES = {
    MaskState.MASK: (
        "mask/with_mask",
        [
            "0_0_0 copy 84.jpg", "0_0_6055_191105090631_1.jpg", "with_mask192.jpg", "with_mask365.jpg",
            "66.jpg", "with_mask356.png", "with_mask046.jpg", "264.jpg", "0_0_26 copy.jpg", "210.jpg",
        ],
    ),
    MaskState.NO_MASK: (
        "mask/without_mask",
        [
            "395.jpg", "1_0_anhu_0124.jpg", "172.jpg", "1_0_anhu_0003.jpg", "1_0_anhu_0106.jpg",
            "1_0_fanyichen_0026.jpg", "1_0_anhu_0168.jpg", "augmented_image_85.jpg",
            "augmented_image_53.jpg", "1_0_anhu_0137.jpg",
        ],
    ),
    MaskState.INCORRECT: (
        "mask_synthetic/incorrect",
        [
            "05580_Mask_Mouth_Chin.jpg", "05273_Mask_Mouth_Chin.jpg", "05067_Mask_Mouth_Chin.jpg",
            "05081_Mask_Mouth_Chin.jpg", "05232_Mask_Mouth_Chin.jpg", "05427_Mask_Mouth_Chin.jpg",
            "05344_Mask_Mouth_Chin.jpg", "05718_Mask_Mouth_Chin.jpg", "05656_Mask_Mouth_Chin.jpg",
            "05300_Mask_Mouth_Chin.jpg",
        ],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def clf() -> MaskClassifier:
    return MaskClassifier()  # the bundled model, SHA-256 checked


@pytest.fixture(scope="module")
def real_faces(shared_data):
    """(image, detection, true state) as in eval-mask: the whole image is the face when none is detected."""
    out = []
    with MediaPipeFaceDetector() as det:
        for state, (folder, names) in CASES.items():
            for name in names:
                img = read_image(shared_data / folder / name)
                face, _ = photo_face(
                    det.detect(img), img.shape[1], img.shape[0], AnalysisConfig().min_face_px
                )
                out.append((img, face, state))
    return out


def test_shipped_model_classifies_real_test_faces(clf, real_faces):
    cfg = AnalysisConfig()
    hits = {s: 0 for s in CASES}
    for img, face, truth in real_faces:
        [(state, probs)] = classify_faces(clf, img, [face], cfg)
        hits[truth] += state is truth
    # The default model is trained on commercially usable data only; without the non-commercial synthetic
    # set its worn-incorrectly recall is about 53 % (model card), so 4 of these 10 is the floor for that class.
    assert hits[MaskState.MASK] >= 9 and hits[MaskState.NO_MASK] >= 9, hits
    assert hits[MaskState.INCORRECT] >= 4, hits


def test_batching_gives_the_same_probabilities_as_single_calls(clf, real_faces):
    crops = [crop_face(img, d.bbox, d.keypoints) for img, d, _ in real_faces[::2]]
    batched = clf.classify(crops)
    single = np.concatenate([clf.classify([c]) for c in crops])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert batched.shape == (len(crops), 3)


def test_one_round_batches_several_frames_and_gates_tiny_faces(clf, real_faces):
    cfg = AnalysisConfig()
    (img_a, det_a, truth_a), (img_b, det_b, truth_b) = real_faces[0], real_faces[-1]
    tiny = Detection(BBox(0, 0, cfg.min_face_px - 4, cfg.min_face_px - 4), 0.9)
    out = clf.classify_round([(img_a, [det_a, tiny]), (img_b, [det_b])], cfg)
    assert [len(r) for r in out] == [2, 1]
    assert out[0][1] == (MaskState.UNCERTAIN, None)  # too small: never sent to the model
    assert out[0][0][0] is truth_a and out[1][0][0] is truth_b
    assert abs(sum(out[0][0][1]) - 1.0) < 1e-4


@pytest.mark.xfail(strict=True, reason="flip averaging (an evaluation option, off by default) does not yet renormalise the 4-output not-face model")
def test_flip_averaging_gives_a_face_and_its_mirror_the_same_probabilities(real_faces):
    """The ``flip_average`` option (used to evaluate test-time augmentation); without it the model alone
    answers a face and its mirror differently, so this can fail."""
    cfg = AnalysisConfig()
    crops = [crop_face(img, d.bbox, d.keypoints) for img, d, _ in real_faces[::3]]
    mirrored = [np.ascontiguousarray(c[:, ::-1]) for c in crops]
    averaged, plain = MaskClassifier(flip_average=True), MaskClassifier()
    np.testing.assert_allclose(averaged.classify(crops), averaged.classify(mirrored), atol=1e-6)
    assert np.abs(plain.classify(crops) - plain.classify(mirrored)).max() > 1e-3  # crops are not symmetric
    # the average is exactly the mean of the two plain answers, and still a probability per face
    want = (plain.classify(crops) + plain.classify(mirrored)) / 2.0
    np.testing.assert_allclose(averaged.classify(crops), want, atol=1e-6)
    img, face, truth = real_faces[0]
    [(state, probs)] = averaged.classify_faces(img, [face], cfg)
    assert state is truth and probs is not None and abs(sum(probs) - 1.0) < 1e-4
