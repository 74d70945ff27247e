"""Calibrate the face verifier and the abstention gate on the validation split only; store them in the ONNX.

- ``not_face_threshold``: the lowest ``not_face`` probability (on a grid) at which at most
  ``MAX_FACE_LOSS`` of the val faces the detector found would be dropped.
- ``min_confidence_by_size``: per face-size bin (``SIZE_BINS``: < 32, 32-64, >= 64 px) the lowest top
  probability (on a grid) at which the val faces of that bin that pass the quality gate are judged right in
  at least ``TARGET_ACCURACY`` of cases. The val faces are the real detected ones plus degraded copies of the
  val face crops shrunk into the bin (16-31 px and 32-63 px, with JPEG/blur/low light), since real
  small val faces are few.

Both go into the model's ONNX metadata (so the SHA-256 in models/SHA256SUMS covers them too) and are read
by ``models.mask_classifier.MaskClassifier``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from app.analysis.quality import blur_score, contrast_score, judge_scores
from app.config import AnalysisConfig

SIZE_BINS = (32.0, 64.0)
TARGET_ACCURACY = 0.97
MAX_FACE_LOSS = 0.01
CONF_GRID = tuple(round(x, 2) for x in np.arange(0.5, 0.99, 0.025))
NOT_FACE_GRID = tuple(round(x, 2) for x in np.arange(0.3, 0.99, 0.025))


def _degraded(crops: np.ndarray, lo: int, hi: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from models.training.augment import degrade

    rng = np.random.default_rng(seed)
    out, sizes = [], []
    for c in crops:
        n = int(rng.integers(lo, hi))
        small = cv2.resize(c, (n, n), interpolation=cv2.INTER_AREA)
        out.append(degrade(cv2.resize(small, (c.shape[1], c.shape[0])), rng, small=(n, n + 1)))
        sizes.append(float(n))
    return np.stack(out), np.asarray(sizes)


def validation_faces(
    data: dict[str, dict[str, np.ndarray]], sources: tuple[str, ...], split: str = "val", seed: int = 7
) -> dict[str, np.ndarray]:
    """Crops, labels, sizes and whether the quality gate lets them through, for one split."""
    cfg = AnalysisConfig()
    crops, labels, sizes, passes = [], [], [], []
    for source in sources:
        if source == "not_face":
            continue
        a = data[source]
        keep = (a["split"] == split) & a["detected"]
        idx = np.nonzero(keep)[0]
        crops.append(a["crops"][idx])
        labels.append(a["label"][idx])
        sizes.append(a["face_px"][idx].astype(float))
        passes.append(
            np.array(
                [
                    judge_scores(
                        float(a["face_px"][i]),
                        float(a["blur"][i]),
                        float(a["turn"][i]),
                        cfg,
                        contrast_score(a["crops"][i]),
                    )
                    is None
                    for i in idx
                ],
                bool,
            )
        )
        if source == "mask_scenes":
            continue
        base = a["crops"][np.nonzero(a["split"] == split)[0]]
        base_labels = a["label"][np.nonzero(a["split"] == split)[0]]
        for k, (lo, hi) in enumerate(((16, 32), (32, 64))):
            d, s = _degraded(base, lo, hi, seed + k)
            crops.append(d)
            labels.append(base_labels)
            sizes.append(s)
            passes.append(
                np.array(
                    [
                        judge_scores(float(n), blur_score(c, float(n)), float("nan"), cfg, contrast_score(c))
                        is None
                        for c, n in zip(d, s, strict=True)
                    ],
                    bool,
                )
            )
    return {
        "crops": np.concatenate(crops),
        "label": np.concatenate(labels),
        "face_px": np.concatenate(sizes),
        "passes": np.concatenate(passes),
    }


def size_bin(face_px: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(SIZE_BINS), face_px, side="right")


def calibrate(
    model: Path, data: dict[str, dict[str, np.ndarray]], sources: tuple[str, ...]
) -> dict[str, str]:
    from models.mask_classifier import MaskClassifier

    clf = MaskClassifier(model, threads=2)
    v = validation_faces(data, sources)
    full = np.concatenate(
        [clf.classify_full(list(v["crops"][s : s + 512])) for s in range(0, len(v["crops"]), 512)]
    )
    face = full[:, :3] / np.maximum(full[:, :3].sum(axis=1, keepdims=True), 1e-9)
    top, pred = face.max(axis=1), face.argmax(axis=1)
    right = pred == v["label"]
    bins = size_bin(v["face_px"])
    min_conf = []
    for b in range(len(SIZE_BINS) + 1):
        sel = (bins == b) & v["passes"]
        chosen = CONF_GRID[-1]
        for t in CONF_GRID:
            judged = sel & (top >= t)
            if judged.sum() >= 5 and right[judged].mean() >= TARGET_ACCURACY:
                chosen = t
                break
        min_conf.append(float(chosen))
    nf = data["not_face"]
    neg = nf["crops"][nf["split"] == "val"]
    neg_p = clf.classify_full(list(neg))[:, 3] if len(neg) else np.zeros(0)
    real_idx = _real_index(data, sources)
    face_p = full[real_idx, 3]
    threshold = NOT_FACE_GRID[-1]
    for t in NOT_FACE_GRID:
        if (face_p >= t).mean() <= MAX_FACE_LOSS:
            threshold = t
            break
    return {
        "min_confidence_by_size": json.dumps({"bins": list(SIZE_BINS), "min_confidence": min_conf}),
        "not_face_threshold": f"{threshold:g}",
        "calibration": (
            f"val split only: {int(v['passes'].sum())} gated-through val faces (real + degraded copies), "
            f"{len(neg)} val not-face boxes; verifier drops {100 * float((face_p >= threshold).mean()):.1f} % "
            f"of val faces and rejects {100 * float((neg_p >= threshold).mean()):.1f} % of val not-face boxes"
        ),
    }


def _real_index(data: dict[str, dict[str, np.ndarray]], sources: tuple[str, ...]) -> np.ndarray:
    """Positions of the real detected val faces in ``validation_faces``' arrays (degraded copies excluded)."""
    pos, out = 0, []
    for source in sources:
        if source == "not_face":
            continue
        a = data[source]
        n = int(((a["split"] == "val") & a["detected"]).sum())
        out.extend(range(pos, pos + n))
        pos += n
        if source != "mask_scenes":
            pos += 2 * int((a["split"] == "val").sum())
    return np.asarray(out, int)


def write_metadata(model: Path, meta: dict[str, str]) -> None:
    import onnx

    m = onnx.load(str(model))
    keep = [p for p in m.metadata_props if p.key not in meta]
    del m.metadata_props[:]
    m.metadata_props.extend(keep)
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(model))


def write_manifest(
    model: Path, sources: tuple[str, ...], licences: dict[str, str], data: dict[str, dict[str, np.ndarray]]
) -> None:
    """``<model>.manifest.json``: what the model was trained on, with licences and sample counts."""
    rows = {
        s: {"licence": licences[s], "train_samples": int((data[s]["split"] == "train").sum())}
        for s in sources
    }
    out = model.with_suffix(".manifest.json")
    out.write_text(json.dumps({"model": model.name, "sources": rows}, indent=2) + "\n", encoding="utf-8")
