"""Figures for the model card, measured with the exported ONNX model on the cached run-time crops.

The quality gate and the confidence threshold are the station's defaults (``AnalysisConfig()``) with the
model's own per-size calibration; 'uncertain' counts as wrong in every accuracy. With a verifier model the
``not_face`` figures are measured too (mined negatives of the split against its detected real faces).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.analysis.quality import contrast_score, judge_scores
from app.config import AnalysisConfig
from models.mask_classifier import MaskClassifier, benchmark_ms_per_face

CLASSES = ("mask", "no_mask", "incorrect")
UNCERTAIN = 3


@dataclass
class Scores:
    n: int
    accuracy: float
    uncertain: float
    judged_accuracy: float
    precision: list[float]
    recall: list[float]
    counts: list[int]
    confusion: list[list[int]]  # rows: truth; columns: mask, no_mask, incorrect, uncertain


def predict(clf: MaskClassifier, arrays: dict[str, np.ndarray], idx: np.ndarray, cfg: AnalysisConfig):
    """Predicted class per sample (3 = uncertain) and the probabilities."""
    probs = np.zeros((len(idx), 3), np.float32)
    for s in range(0, len(idx), 256):
        chunk = idx[s : s + 256]
        probs[s : s + len(chunk)] = clf.classify([arrays["crops"][i] for i in chunk])
    pred = probs.argmax(axis=1)
    for k, i in enumerate(idx):
        gate = judge_scores(
            float(arrays["face_px"][i]),
            float(arrays["blur"][i]),
            float(arrays["turn"][i]),
            cfg,
            contrast_score(arrays["crops"][i]),
        )
        if gate is not None or probs[k].max() < clf.min_confidence(float(arrays["face_px"][i]), cfg):
            pred[k] = UNCERTAIN
    return pred, probs


def score(truth: np.ndarray, pred: np.ndarray) -> Scores:
    conf = np.zeros((3, 4), int)
    for t, p in zip(truth, pred, strict=True):
        conf[int(t), int(p)] += 1
    n = int(len(truth))
    correct = int(np.trace(conf[:, :3]))
    judged = int(conf[:, :3].sum())
    prec = [float(conf[c, c] / max(1, conf[:, c].sum())) for c in range(3)]
    rec = [float(conf[c, c] / max(1, conf[c].sum())) for c in range(3)]
    return Scores(
        n=n,
        accuracy=correct / max(1, n),
        uncertain=float(conf[:, 3].sum()) / max(1, n),
        judged_accuracy=correct / max(1, judged),
        precision=prec,
        recall=rec,
        counts=[int(conf[c].sum()) for c in range(3)],
        confusion=conf.tolist(),
    )


def evaluate(model: Path, data: dict[str, dict[str, np.ndarray]], split: str = "test") -> dict[str, object]:
    """All target figures on one split."""
    cfg = AnalysisConfig()
    clf = MaskClassifier(model, threads=1)
    out: dict[str, object] = {}
    m = data["mask"]
    idx = np.nonzero(m["split"] == split)[0]
    pred, _ = predict(clf, m, idx, cfg)
    out["mask"] = score(m["label"][idx], pred)
    det = m["detected"][idx]
    out["mask_detected"] = score(m["label"][idx][det], pred[det])
    out["mask_fallback"] = score(m["label"][idx][~det], pred[~det])
    out["mask_detect_rate"] = float(det.mean())
    s = data["mask_synthetic"]
    idx = np.nonzero(s["split"] == split)[0]
    pred, _ = predict(clf, s, idx, cfg)
    truth = s["label"][idx]
    tp = int(((pred == 2) & (truth == 2)).sum())
    out["synthetic"] = score(truth, pred)
    out["incorrect_recall"] = tp / max(1, int((truth == 2).sum()))
    out["incorrect_precision"] = tp / max(1, int((pred == 2).sum()))
    out["synthetic_counts"] = (int((truth == 0).sum()), int((truth == 2).sum()))
    sc = data["mask_scenes"]
    base = (sc["split"] == split) & sc["detected"]
    idx = np.nonzero(base & (sc["gt_px"] >= 32))[0]
    pred, _ = predict(clf, sc, idx, cfg)
    out["scenes32"] = score(sc["label"][idx], pred)
    idx = np.nonzero(base)[0]
    pred, _ = predict(clf, sc, idx, cfg)
    out["scenes_all_detected"] = score(sc["label"][idx], pred)
    all_faces = sc["split"] == split
    out["scenes_detect_rate"] = float(sc["detected"][all_faces].mean())
    out["scenes_detect_rate32"] = float(sc["detected"][all_faces & (sc["gt_px"] >= 32)].mean())
    out["occluders"] = occluder_check(clf, m, split)
    out["verifier"] = verifier_check(clf, data, split)
    out["reliability"], out["by_size"] = reliability(clf, data, split, cfg)
    out["ms_per_face"] = benchmark_ms_per_face(clf, batch=16, repeats=200)
    return out


def occluder_check(
    clf: MaskClassifier, m: dict[str, np.ndarray], split: str
) -> dict[str, tuple[float, float]]:
    """Share of the split's no_mask face crops still called no_mask / called mask with each painted occluder.

    The occluders come from the same generator as in training, so this checks the model learnt them, not
    that it handles real hands, beards or scarves.
    """
    from models.training.augment import DEFAULT_MOUTH, OCCLUDERS

    idx = np.nonzero((m["split"] == split) & (m["label"] == 1))[0]
    out = {}
    for paint in OCCLUDERS:
        rng = np.random.default_rng(123)
        crops = []
        for i in idx:
            mouth = tuple(m["mouth"][i]) if np.isfinite(m["mouth"][i][0]) else DEFAULT_MOUTH
            crops.append(paint(m["crops"][i], mouth, rng))
        pred = clf.classify(crops).argmax(axis=1)
        out[paint.__name__] = (float((pred == 1).mean()), float((pred == 0).mean()))
    out["none"] = (float((clf.classify([m["crops"][i] for i in idx]).argmax(axis=1) == 1).mean()), 0.0)
    return out


def verifier_check(
    clf: MaskClassifier, data: dict[str, dict[str, np.ndarray]], split: str
) -> dict[str, float]:
    """Share of the split's mined not-face boxes rejected, and of its detected real faces wrongly rejected."""
    if not clf.has_verifier or "not_face" not in data:
        return {}
    nf = data["not_face"]
    out: dict[str, float] = {"threshold": clf.not_face_threshold}
    for kind in ("scene", "clip"):
        sel = (nf["split"] == split) & (nf["kind"] == kind)
        p = clf.classify_full(list(nf["crops"][sel]))[:, 3] if sel.any() else np.zeros(0)
        out[f"rejected_{kind}"] = float((p >= clf.not_face_threshold).mean()) if len(p) else float("nan")
        out[f"n_{kind}"] = float(len(p))
    for source in ("mask", "mask_scenes"):
        a = data[source]
        sel = (a["split"] == split) & a["detected"]
        p = clf.classify_full(list(a["crops"][sel]))[:, 3]
        out[f"faces_lost_{source}"] = float((p >= clf.not_face_threshold).mean()) if len(p) else float("nan")
        out[f"n_faces_{source}"] = float(len(p))
    return out


CONF_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)
SIZE_BINS = (("< 32 px", 0.0, 32.0), ("32-64 px", 32.0, 64.0), (">= 64 px", 64.0, 1e9))


def reliability(
    clf: MaskClassifier, data: dict[str, dict[str, np.ndarray]], split: str, cfg: AnalysisConfig
) -> tuple[list[tuple[str, int, float, float]], list[tuple[str, int, float, float, float]]]:
    """Accuracy vs. confidence (real detected faces of the split, gate passed, before the confidence gate)
    and accuracy/uncertain per face size (real detected scene faces plus degraded copies of the face crops
    shrunk to 16-31 and 32-63 px; uncertain counts wrong)."""
    from models.training.calibrate import validation_faces

    v = validation_faces(data, ("mask", "mask_scenes"), split=split, seed=11)
    probs = np.concatenate(
        [clf.classify(list(v["crops"][s : s + 512])) for s in range(0, len(v["crops"]), 512)]
    )
    top, right = probs.max(axis=1), probs.argmax(axis=1) == v["label"]
    rel = []
    for lo, hi in zip(CONF_BINS[:-1], CONF_BINS[1:], strict=True):
        sel = v["passes"] & (top >= lo) & (top < hi)
        n = int(sel.sum())
        rel.append(
            (
                f"{lo:.2f}-{min(hi, 1.0):.2f}",
                n,
                float(top[sel].mean()) if n else float("nan"),
                float(right[sel].mean()) if n else float("nan"),
            )
        )
    judged = v["passes"] & np.array(
        [t >= clf.min_confidence(float(px), cfg) for t, px in zip(top, v["face_px"], strict=True)]
    )
    sizes = []
    for name, lo, hi in SIZE_BINS:
        sel = (v["face_px"] >= lo) & (v["face_px"] < hi)
        n = int(sel.sum())
        if not n:
            continue
        acc = float((right & judged)[sel].mean())
        unc = float((~judged)[sel].mean())
        wrong = float((~right & judged)[sel].mean())
        sizes.append((name, n, acc, unc, wrong))
    return rel, sizes


def pct(x: float) -> str:
    return f"{100.0 * x:.1f} %"


def scores_table(s: Scores) -> str:
    lines = [
        "| class | n | precision | recall |",
        "|---|---|---|---|",
    ]
    for c, name in enumerate(CLASSES):
        if s.counts[c]:
            lines.append(f"| {name} | {s.counts[c]} | {pct(s.precision[c])} | {pct(s.recall[c])} |")
    lines.append("")
    lines.append("Confusion (rows: truth; columns: mask, no_mask, incorrect, uncertain):")
    lines.append("")
    for c, name in enumerate(CLASSES):
        if s.counts[c]:
            lines.append(f"- {name}: {s.confusion[c]}")
    return "\n".join(lines)


def summary_lines(r: dict[str, object]) -> list[str]:
    """One line per target, for the console."""
    m, sc = r["mask"], r["scenes32"]
    assert isinstance(m, Scores) and isinstance(sc, Scores)
    return [
        f"face crops (mask/ test, n={m.n}): accuracy {pct(m.accuracy)}, uncertain {pct(m.uncertain)}",
        f"worn incorrectly (synthetic test): recall {pct(float(r['incorrect_recall']))}, "  # type: ignore[arg-type]
        f"precision {pct(float(r['incorrect_precision']))}",  # type: ignore[arg-type]
        f"real scenes (detected, >= 32 px, n={sc.n}): accuracy {pct(sc.accuracy)} "
        f"(judged only {pct(sc.judged_accuracy)}, uncertain {pct(sc.uncertain)})",
        f"speed: {float(r['ms_per_face']):.3f} ms per face (1 thread, batch 16)",  # type: ignore[arg-type]
    ]
