"""Deterministic train/val/test split by a hash of a group key, with near-duplicates grouped together.

Groups keep a test split honest: RMFD photos (``N_N_<name>_NNNN``) group by person, the
``augmented_image_*`` copies join the photo they were made from (found by thumbnail correlation under
rotation and flipping), exact/near copies join each other, MaskedFace-Net images group by FFHQ number
(the same face appears worn correctly and incorrectly), scene faces group by scene image.
"""

from __future__ import annotations

import hashlib
import re

import cv2
import numpy as np

TEST_PERCENT = 20
VAL_PERCENT = 10

_RMFD = re.compile(r"^\d+_\d+_([a-z]+)_\d+", re.IGNORECASE)
_FFHQ = re.compile(r"^(\d{5})_")
_THUMB = 16
_ROTATIONS = tuple(range(-45, 50, 5))


def split_of(group: str) -> str:
    """'test', 'val' or 'train' for a group key; stable across runs and machines."""
    h = int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 100
    if h < TEST_PERCENT:
        return "test"
    if h < TEST_PERCENT + VAL_PERCENT:
        return "val"
    return "train"


def base_group(source: str, name: str) -> str:
    """Group key from the file name alone."""
    if source == "mask_synthetic":
        m = _FFHQ.match(name)
        return f"ffhq:{m.group(1)}" if m else f"synthetic:{name}"
    if source == "mask":
        m = _RMFD.match(name)
        if m:
            return f"rmfd:{m.group(1).lower()}"
    return f"{source}:{name}"


def thumbnail(image_bgr: np.ndarray, angle: float = 0.0, flip: bool = False) -> np.ndarray:
    """Zero-mean unit-norm 16x16 grey thumbnail of the central part (rotated/flipped as asked)."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    if flip:
        grey = grey[:, ::-1]
    if angle:
        m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
        grey = cv2.warpAffine(grey, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    s = int(min(h, w) * 0.6)
    y0, x0 = (h - s) // 2, (w - s) // 2
    t = cv2.resize(grey[y0 : y0 + s, x0 : x0 + s], (_THUMB, _THUMB), interpolation=cv2.INTER_AREA)
    v = t.astype(np.float32).ravel()
    v -= v.mean()
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-6 else v


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def group_near_duplicates(
    names: list[str], groups: list[str], images: list[np.ndarray], threshold: float = 0.92
) -> tuple[list[str], int]:
    """Merge the groups of near-duplicate images; returns new group keys and how many links were made."""
    n = len(names)
    plain = np.stack([thumbnail(im) for im in images])
    flipped = np.stack([thumbnail(im, flip=True) for im in images])
    uf = _Union(n)
    first: dict[str, int] = {}
    for i, g in enumerate(groups):
        if g in first:
            uf.join(i, first[g])
        else:
            first[g] = i
    links = 0
    sims = np.maximum(plain @ plain.T, plain @ flipped.T)
    np.fill_diagonal(sims, -1.0)
    for i, j in zip(*np.nonzero(np.triu(sims > threshold)), strict=True):
        uf.join(int(i), int(j))
        links += 1
    # augmented_image_* are rotated/noisy copies: also try rotating them back.
    aug = [i for i, nm in enumerate(names) if nm.startswith("augmented_image_")]
    if aug:
        others = np.array([i for i in range(n) if i not in set(aug)])
        ref = plain[others]
        for i in aug:
            variants = np.stack([thumbnail(images[i], a, f) for a in _ROTATIONS for f in (False, True)])
            best = (variants @ ref.T).max(axis=0)
            j = int(np.argmax(best))
            if best[j] > threshold - 0.07:
                uf.join(i, int(others[j]))
                links += 1
    root_of = [uf.find(i) for i in range(n)]
    key: dict[int, str] = {}
    for i, r in enumerate(root_of):
        key[r] = min(key.get(r, groups[i]), groups[i])
    return [key[r] for r in root_of], links
