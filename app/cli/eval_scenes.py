"""``vigil eval-scenes DIR``: recall by face size, precision and speed of the face detector on VOC scenes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.analysis.scenes_eval import (
    SIZE_BUCKETS,
    Scene,
    ScenesReport,
    evaluate,
    find_scenes,
    read_image,
    time_720p,
)
from app.errors import UserError

NAME = "eval-scenes"
HELP = (
    "score face detection on a folder of Pascal VOC annotated images (recall by face size, precision, speed)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir", type=Path, help="folder with annotations/*.xml and images/, or xml next to images"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--preset",
        choices=("live", "fast", "balanced", "accurate"),
        default="accurate",
        help="detector preset (default: accurate; see README, Face detection)",
    )
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="score only the first N images")
    parser.add_argument(
        "--live",
        type=int,
        default=0,
        metavar="N",
        help="instead of a preset: the detection scheduler as the governor sets it for N cameras at 5 fps on "
        "this machine; each image is shown for 1 s (5 analysed frames), faces of the last frame are scored",
    )
    parser.add_argument("--min-score", type=float, default=None, help="override the preset's score threshold")
    parser.add_argument(
        "--no-mask", action="store_true", help="detection only (mask_accuracy null; no classifier run)"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="count every detection (face verifier off, as before v3)"
    )
    parser.add_argument(
        "--mask-model",
        choices=("default", "noncommercial"),
        default="default",
        help="bundled mask model (noncommercial: the opt-in model trained on CC BY-NC-SA data)",
    )


def main(args: argparse.Namespace) -> int:
    root: Path = args.dir
    if not root.is_dir():
        raise UserError(f"scenes folder not found: {root} (give a folder with annotations/*.xml and images/)")
    if args.limit < 0:
        raise UserError(f"--limit must be 0 (all) or a positive number of images, not {args.limit}")
    scenes, problems = find_scenes(root)
    if not scenes and not problems:
        raise UserError(f"no Pascal VOC .xml annotations in {root} or {root / 'annotations'}")
    if args.limit:
        scenes = scenes[: args.limit]
    if args.live < 0:
        raise UserError(f"--live must be a number of cameras (1 or more), not {args.live}")
    if args.live:
        return _live(args, scenes, problems)

    from models.face_detector import create_detector  # heavy (mediapipe), only when really evaluating

    detector = create_detector(args.preset, min_score=args.min_score)
    judge = None if args.no_mask else _MaskJudge(args.mask_model, verify=not args.no_verify)
    try:
        report = evaluate(
            scenes,
            detector.detect,
            judge.classify if judge else None,
            progress=_progress(len(scenes)),
            verify=judge.verify if judge and judge.has_verifier and judge.verifying else None,
        )
        report.problems[:0] = problems
        report.extra = {
            "preset": args.preset,
            "options": detector.describe(),
            "ms_per_720p": _time_720p(detector.detect, scenes),
        }
    finally:
        detector.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_table(report))
    return 0


def _live(args: argparse.Namespace, scenes: list[Scene], problems: list[Any]) -> int:
    from app.analysis.live_eval import LivePlan, evaluate_live

    classify = None if args.no_mask else _MaskJudge(args.mask_model, verify=not args.no_verify).classify
    report = evaluate_live(scenes, LivePlan(args.live), classify, progress=_progress(len(scenes)))
    report.problems[:0] = problems
    report.extra["preset"] = f"scheduled (live {args.live})"
    report.extra["ms_per_720p"] = report.extra["cpu_ms_per_frame"]
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_table(report))
        extra = report.extra
        print(
            f"live: {extra['live_cameras']} cameras, {extra['tiles_per_frame']} tiles per frame, "
            f"scan coverage {100 * extra['scan_coverage']:.0f} %/s, "
            f"detection CPU {extra['cpu_ms_per_frame']} ms per 720p frame"
        )
    return 0


def _time_720p(detect: object, scenes: list[Scene]) -> float | None:
    for scene in scenes:
        image = read_image(scene.image_path)
        if image is not None:
            return round(time_720p(detect, image), 2)  # type: ignore[arg-type]
    return None


def _progress(total: int):  # type: ignore[no-untyped-def]
    every = 25 if total > 50 else 0

    def report(n: int, scene: Scene) -> None:
        if every and n % every == 0:
            print(f"eval-scenes: {n}/{total} {scene.image_path.name}", file=sys.stderr, flush=True)

    return report


def _pct(x: float | None) -> str:
    return "   -" if x is None else f"{100 * x:5.1f} %"


def format_table(report: ScenesReport) -> str:
    """The human-readable report: one row per size bucket, then totals and timing."""
    data = report.to_json()
    lines = [f"{'face size':<10} {'faces':>6} {'found':>6} {'recall':>8}"]
    for b in SIZE_BUCKETS:
        n, f = report.faces_by_size[b], report.found_by_size[b]
        lines.append(f"{b + ' px':<10} {n:>6} {f:>6} {_pct(data['recall_by_size'][b]):>8}")
    lines.append(
        f"{'all':<10} {report.faces:>6} {sum(report.found_by_size.values()):>6} {_pct(data['recall']):>8}"
    )
    lines.append("")
    for label, r in sorted(data["recall_by_label"].items()):
        lines.append(f"recall {label}: {_pct(r)}")
    lines.append(
        f"precision: {_pct(data['precision'])} ({report.true_positives} of {report.detections} detections match a face)"
    )
    ms = data["ms_per_image"]
    lines.append(
        f"time: {ms:.1f} ms per image, {data.get('ms_per_720p')} ms per 720p frame" if ms else "time: -"
    )
    if data["verifier"]:
        lost = data["verifier_recall_lost"]
        lines.append(
            f"counted faces (face verifier on): {report.counted}, precision {_pct(data['counted_precision'])}; "
            f"real faces dropped by the verifier: {report.matched_dropped} ({_pct(lost)} of matched)"
        )
    mask = data["mask_accuracy"]
    lines.append(
        f"mask accuracy (faces >= 32 px): {_pct(mask) if mask is not None else 'n/a (no mask classifier)'}"
    )
    lines.append(f"images: {report.images}, preset: {data.get('preset')}")
    if report.problems:
        lines.append(f"unreadable ({len(report.problems)}):")
        lines.extend(f"  {p.path}: {p.reason}" for p in report.problems)
    return "\n".join(lines)


class _MaskJudge:
    """The run-time mask path (crop, quality gate, verifier, classifier): one batched call per image,
    shared by eval's ``verify`` and ``classify`` callbacks."""

    def __init__(self, choice: str, verify: bool = True) -> None:
        from app.config import AnalysisConfig
        from models.mask_classifier import MaskClassifier

        self._clf, self._cfg = MaskClassifier(choice=choice), AnalysisConfig()
        self.has_verifier = bool(self._clf.has_verifier)
        self._verify = self.verifying = verify
        self._last: tuple[int, list[Any]] | None = None

    def _judged(self, image: Any, detections: Any) -> list[Any]:
        if self._last is None or self._last[0] != id(image):
            self._last = (id(image), self._clf.judge_round([(image, detections)], self._cfg, self._verify)[0])
        return self._last[1]

    def verify(self, image: Any, detections: Any) -> list[bool]:
        return [j is not None for j in self._judged(image, detections)]

    def classify(self, image: Any, detections: Any) -> list[Any]:
        return [j[0] if j is not None else None for j in self._judged(image, detections)]
