"""``vigil eval-match GALLERY PROBES``: how well watchlist matching identifies people, and how fast."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.errors import UserError

NAME = "eval-match"
HELP = "score watchlist matching: gallery (a folder per person) vs labelled probe photos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("gallery", type=Path, help="folder with one sub-folder of photos per identity")
    parser.add_argument("probes", type=Path, help="folder of probe photos")
    parser.add_argument("--labels", type=Path, default=None, help="CSV file,identities (default: labels.csv "
                        "in PROBES or next to it)")  # fmt: skip
    parser.add_argument("--model", default=None, help="embedding model (default: analysis.embedding_model)")
    parser.add_argument("--config", type=Path, default=None, help="settings file")
    parser.add_argument("--threshold", type=float, default=None, help="match threshold (default 0.40)")
    parser.add_argument(
        "--detector", choices=("whole", "fast", "accurate"), default="whole",
        help="for the probes: whole-image BlazeFace (default, as for enrolment) or the station's tiled presets "
        "(the gallery always uses whole-image detection)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")


def _labels(args: argparse.Namespace) -> Path:
    if args.labels is not None:
        return args.labels
    for cand in (args.probes / "labels.csv", args.probes.parent / "labels.csv"):
        if cand.is_file():
            return cand
    raise UserError(f"no labels.csv in {args.probes} or its parent; pass --labels CSV")


def main(args: argparse.Namespace) -> int:
    for p in (args.gallery, args.probes):
        if not p.is_dir():
            raise UserError(f"folder not found: {p}")
    labels = _labels(args)
    model, sha = args.model, ""
    if not model:
        from app.config import load_config

        cfg = load_config(args.config)
        model, sha = cfg.analysis.embedding_model, cfg.analysis.embedding_sha256
        if not model:
            raise UserError("no face embedding model: pass --model PATH or set analysis.embedding_model")
    from app.watchlist.evaluate import evaluate
    from app.watchlist.faces import make_enrolment_detector
    from app.watchlist.records import DEFAULT_THRESHOLD, DEFAULT_UNCERTAIN_BAND
    from models.face_detector import FaceDetector, create_detector
    from models.face_embedder import OnnxFaceEmbedder

    embedder = OnnxFaceEmbedder(model, sha)
    gallery_detector = make_enrolment_detector()
    detector: FaceDetector = gallery_detector if args.detector == "whole" else create_detector(args.detector)
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    try:
        report = evaluate(args.gallery, args.probes, labels, detector, embedder, threshold,
                          min(DEFAULT_UNCERTAIN_BAND, threshold * 0.99), gallery_detector)  # fmt: skip
    finally:
        detector.close()
        if gallery_detector is not detector:
            gallery_detector.close()
    data = report.to_json()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for f in report.faces:
        mark = {True: "ok", False: "WRONG", None: "stranger"}[f.correct]
        print(f"{f.file:<28} {f.box!s:<26} best {f.best:<20} {f.similarity:6.3f} margin {f.margin:6.3f} "
              f"{f.decision:<9} {mark}")  # fmt: skip
    rate = data["identification_rate"]
    print()
    print(f"identified: {report.identified}/{report.labelled} labelled people"
          + (f" ({100 * rate:.1f} %)" if rate is not None else ""))  # fmt: skip
    print(
        f"false matches at threshold {threshold:.2f}: {len(report.false_matches)}; uncertain: {report.uncertain}"
    )
    for line in report.false_matches + [f"missed {m}" for m in report.missed]:
        print(f"  {line}")
    print(f"genuine similarity: min {_f(data['genuine_min'])}, mean {_f(data['genuine_mean'])}; "
          f"impostor max {_f(data['impostor_max'])}; separation {_f(data['separation'])}")  # fmt: skip
    hist = data["histogram"]
    print("similarity    genuine impostor")
    for lo, g, i in zip(hist["bins"], hist["genuine"], hist["impostor"], strict=False):
        print(f"{lo:+.1f}..{lo + 0.1:+.1f}  {g:>8} {i:>8}")
    print(f"time: {report.ms_detect_per_image:.1f} ms detection per image, {report.ms_embed_per_face:.1f} ms "
          "alignment + embedding per face")  # fmt: skip
    for p in report.problems:
        print(f"note: {p}")
    return 0 if not report.false_matches else 1


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
