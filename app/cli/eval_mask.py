"""``vigil eval-mask DIR``: accuracy of detector + crop + mask classifier on a folder of labelled images.

DIR holds one subfolder per class (``with_mask``/``mask``/``correct``, ``without_mask``/``no_mask``,
``incorrect``/``mask_weared_incorrect``). Every image goes through the run-time path: face detector, the
largest face, ``crop_face``, the quality gate, the classifier. When the detector finds no face of at least
``min_face_px`` the image is taken as the face crop it is: the whole image is the face box
(``--no-fallback``: judged uncertain instead).
Uncertain faces count as wrong in ``accuracy``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.config import AnalysisConfig
from app.domain import Detection
from app.errors import UserError

NAME = "eval-mask"
HELP = "measure mask-classifier accuracy on a folder with one subfolder per class"

CLASS_NAMES = ("mask", "no_mask", "incorrect")
FOLDERS = {
    "with_mask": "mask",
    "mask": "mask",
    "correct": "mask",
    "without_mask": "no_mask",
    "no_mask": "no_mask",
    "incorrect": "incorrect",
    "mask_weared_incorrect": "incorrect",
}
PRED_NAMES = (*CLASS_NAMES, "uncertain")
BATCH = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR", help="folder with one subfolder per class")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the bundled one)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads (default 1)")
    parser.add_argument(
        "--no-fallback",
        action="store_true",
        help="images where no face is detected are judged uncertain (default: the whole image is the face)",
    )


@dataclass
class _Tally:
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((3, 4), np.int64))
    unreadable: list[str] = field(default_factory=list)
    no_face: int = 0
    classify_s: float = 0.0
    faces: int = 0
    detect_s: float = 0.0
    images: int = 0


def collect(root: Path) -> list[tuple[Path, int]]:
    """(file, true class index) for every file in the recognised class subfolders."""
    if not root.is_dir():
        raise UserError(
            f"{root} is not a folder; give a folder with subfolders such as with_mask/ without_mask/"
        )
    items: list[tuple[Path, int]] = []
    skipped = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        cls = FOLDERS.get(sub.name.lower())
        if cls is None:
            skipped.append(sub.name)
            continue
        items += [(f, CLASS_NAMES.index(cls)) for f in sorted(sub.iterdir()) if f.is_file()]
    if skipped:
        print(f"eval-mask: ignoring subfolders {skipped} (not a class name)", file=sys.stderr)
    if not items:
        raise UserError(
            f"{root} has no files in class subfolders; expected e.g. {root}/with_mask, {root}/without_mask, "
            f"{root}/incorrect (names: {', '.join(sorted(FOLDERS))})"
        )
    return items


def evaluate(items: list[tuple[Path, int]], args: argparse.Namespace) -> _Tally:
    from models.face_crop import crop_face, photo_face, read_image
    from models.face_detector import MediaPipeFaceDetector
    from models.mask_classifier import MaskClassifier

    cfg = AnalysisConfig()
    clf = MaskClassifier(args.model, threads=args.threads)
    tally = _Tally()
    pending: list[tuple[np.ndarray, Detection, int]] = []
    with MediaPipeFaceDetector(min_score=cfg.detector_min_score or 0.5) as detector:
        for n, (path, truth) in enumerate(items, 1):
            if n % 50 == 0 or n == len(items):
                print(f"eval-mask: {n}/{len(items)} images", file=sys.stderr, flush=True)
            image = read_image(path)
            if image is None:
                tally.unreadable.append(str(path))
                continue
            t0 = time.perf_counter()
            dets = detector.detect(image)
            tally.detect_s += time.perf_counter() - t0
            tally.images += 1
            det, found = photo_face(dets, image.shape[1], image.shape[0], cfg.min_face_px)
            if not found:
                tally.no_face += 1
                if args.no_fallback:
                    tally.confusion[truth, 3] += 1
                    continue
            pending.append((image, det, truth))
            if len(pending) == BATCH:
                _flush(clf, pending, cfg, tally, crop_face)
        _flush(clf, pending, cfg, tally, crop_face)
    return tally


def _flush(clf, pending, cfg: AnalysisConfig, tally: _Tally, crop_face) -> None:
    from app.analysis.quality import assess

    if not pending:
        return
    t0 = time.perf_counter()
    crops = [crop_face(img, det.bbox, det.keypoints) for img, det, _ in pending]
    judged = [
        i
        for i, ((_, det, _), crop) in enumerate(zip(pending, crops, strict=True))
        if assess(det, crop, cfg) is None
    ]
    probs = clf.classify([crops[i] for i in judged])
    tally.classify_s += time.perf_counter() - t0
    tally.faces += len(pending)
    preds = np.full(len(pending), 3)
    for k, i in enumerate(judged):
        top = int(np.argmax(probs[k]))
        if probs[k][top] >= cfg.min_mask_confidence:
            preds[i] = top
    for (_, _, truth), pred in zip(pending, preds, strict=True):
        tally.confusion[truth, int(pred)] += 1
    pending.clear()


def figures(t: _Tally) -> dict[str, object]:
    conf = t.confusion
    n = int(conf.sum())
    per_class = {}
    for c, name in enumerate(CLASS_NAMES):
        predicted = int(conf[:, c].sum())
        actual = int(conf[c].sum())
        per_class[name] = {
            "precision": round(float(conf[c, c]) / predicted, 4) if predicted else None,
            "recall": round(float(conf[c, c]) / actual, 4) if actual else None,
            "n": actual,
        }
    return {
        "n": n,
        "accuracy": round(float(np.trace(conf[:, :3])) / n, 4) if n else None,
        "per_class": per_class,
        "confusion": {
            CLASS_NAMES[r]: {PRED_NAMES[c]: int(conf[r, c]) for c in range(4)}
            for r in range(3)
            if conf[r].sum()
        },
        "uncertain": int(conf[:, 3].sum()),
        "no_face_detected": t.no_face,
        "no_face_policy": "whole image used as the face (no detection of at least min_face_px)",
        "unreadable": t.unreadable,
        "ms_per_face": round(1000.0 * t.classify_s / t.faces, 3) if t.faces else None,
        "detector_ms_per_image": round(1000.0 * t.detect_s / t.images, 2) if t.images else None,
    }


def _pct(x: object) -> str:
    return "-" if x is None else f"{100.0 * float(x):5.1f} %"  # type: ignore[arg-type]


def print_text(r: dict[str, object]) -> None:
    print(f"faces: {r['n']}   accuracy: {_pct(r['accuracy'])}   uncertain: {r['uncertain']}")
    print(f"{'class':<10} {'n':>6} {'precision':>10} {'recall':>10}")
    for name, v in r["per_class"].items():  # type: ignore[attr-defined]
        print(f"{name:<10} {v['n']:>6} {_pct(v['precision']):>10} {_pct(v['recall']):>10}")
    print("confusion (rows: truth; columns: " + ", ".join(PRED_NAMES) + "):")
    for name, row in r["confusion"].items():  # type: ignore[attr-defined]
        print(f"  {name:<10} " + " ".join(f"{row[p]:>6}" for p in PRED_NAMES))
    print(f"no face detected: {r['no_face_detected']} ({r['no_face_policy']})")
    print(f"ms per face (crop + quality gate + classifier, batch {BATCH}): {r['ms_per_face']}")
    print(f"detector ms per image: {r['detector_ms_per_image']}")
    unreadable = r["unreadable"]
    if unreadable:
        print(f"unreadable files ({len(unreadable)}):")  # type: ignore[arg-type]
        for f in unreadable:  # type: ignore[attr-defined]
            print(f"  {f}")


def main(args: argparse.Namespace) -> int:
    items = collect(args.dir)
    tally = evaluate(items, args)
    result = figures(tally)
    if args.no_fallback:
        result["no_face_policy"] = "judged uncertain"
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_text(result)
    return 0
