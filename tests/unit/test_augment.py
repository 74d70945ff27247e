"""Training augmentations of the mask classifier (models/training/augment.py): painted masks change the
label the way a person would label the face, occluders and not-a-face boxes keep theirs."""

from __future__ import annotations

import numpy as np

from models.training.augment import (
    DEFAULT_MOUTH,
    INCORRECT,
    MASK,
    NO_MASK,
    NOT_FACE,
    augment,
    painted_mask,
)

S = 64


def _face() -> np.ndarray:
    """A flat mid-grey 64x64 crop: every pixel a painted mask touches changes."""
    return np.full((S, S, 3), 128, np.uint8)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(after.astype(int) - before.astype(int)).sum(axis=2) > 20


def test_a_worn_mask_covers_nose_and_mouth_an_incorrect_one_leaves_the_nose() -> None:
    mx, my = DEFAULT_MOUTH
    mouth, nose = (int(my * S), int(mx * S)), (int((my - 0.13) * S), int(mx * S))
    for seed in range(20):
        worn = _changed(_face(), painted_mask(_face(), DEFAULT_MOUTH, np.random.default_rng(seed), worn=True))
        low = _changed(_face(), painted_mask(_face(), DEFAULT_MOUTH, np.random.default_rng(seed), worn=False))
        assert worn[mouth] and worn[nose], seed
        assert low[mouth] and not low[nose], seed
        assert not worn[int(0.35 * S), int(mx * S)], "the eyes stay visible"


def test_painted_masks_relabel_no_mask_faces_and_nothing_else() -> None:
    rng = np.random.default_rng(0)
    labels = [augment(_face(), NO_MASK, DEFAULT_MOUTH, rng, occlude_p=0.0, paint_mask_p=1.0)[1] for _ in range(400)]
    assert set(labels) == {MASK, INCORRECT}
    assert 0.6 < labels.count(MASK) / len(labels) < 0.9  # 3 in 4 worn
    for label in (MASK, INCORRECT, NOT_FACE):
        out = {augment(_face(), label, DEFAULT_MOUTH, rng, occlude_p=0.3, paint_mask_p=1.0)[1] for _ in range(50)}
        assert out == {label}  # a masked face stays masked; a sign with a mask-like patch is still not a face


def test_without_painting_no_mask_faces_keep_their_label() -> None:
    rng = np.random.default_rng(1)
    labels = {augment(_face(), NO_MASK, DEFAULT_MOUTH, rng, occlude_p=1.0)[1] for _ in range(100)}
    assert labels == {NO_MASK}  # hands, beards and scarves are not masks
