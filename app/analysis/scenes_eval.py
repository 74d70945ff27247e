"""Scoring a face detector (and later a mask classifier) on Pascal VOC annotated scenes.

Greedy IoU matching per image; recall per face-size bucket (longer side of the annotated box), precision,
time per image. ``classify`` is an optional callback ``(image_bgr, detections) -> [MaskState | None]`` so a
mask classifier can be scored on the same faces once it exists.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.domain import BBox, Detection, MaskState

SIZE_BUCKETS = ("<16", "16-32", "32-64", ">=64")
LABELS = {
    "with_mask": MaskState.MASK,
    "without_mask": MaskState.NO_MASK,
    "mask_weared_incorrect": MaskState.INCORRECT,
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
MATCH_IOU = 0.3
MASK_MIN_SIZE = 32.0  # mask accuracy is scored on matched faces at least this large

Detect = Callable[[np.ndarray], Sequence[Detection]]
Classify = Callable[[np.ndarray, Sequence[Detection]], Sequence[MaskState | None]]
Verify = Callable[[np.ndarray, Sequence[Detection]], Sequence[bool]]  # True: a face, kept and counted


@dataclass(frozen=True, slots=True)
class TruthFace:
    """One annotated face: its box (clamped to the image) and the raw VOC label."""

    bbox: BBox
    label: str

    @property
    def mask(self) -> MaskState | None:
        return LABELS.get(self.label)


@dataclass(frozen=True, slots=True)
class Scene:
    """One annotated image."""

    image_path: Path
    xml_path: Path
    faces: tuple[TruthFace, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be used, with the reason (listed in the report, never fatal)."""

    path: Path
    reason: str


def size_bucket(box: BBox) -> str:
    """Size bucket of a face by the longer side of its box."""
    s = box.size
    return "<16" if s < 16 else "16-32" if s < 32 else "32-64" if s < 64 else ">=64"


def parse_voc(xml_path: Path, image_dir: Path) -> Scene:
    """Read one Pascal VOC file; boxes are clamped to the stated image size. Raises ValueError if unusable."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"unreadable annotation: {exc}") from exc
    name = (root.findtext("filename") or "").strip()
    image_path = _find_image(image_dir, name, xml_path.stem)
    if image_path is None:
        raise ValueError(f"no image for it in {image_dir} (filename {name!r})")
    w = _num(root.findtext("size/width"))
    h = _num(root.findtext("size/height"))
    faces = []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        if bb is None:
            continue
        try:
            box = BBox(*(float(bb.findtext(k) or "") for k in ("xmin", "ymin", "xmax", "ymax")))
        except ValueError as exc:
            raise ValueError(f"bad box in {xml_path.name}: {exc}") from exc
        if w and h:
            box = box.clamp(int(w), int(h))
        faces.append(TruthFace(box, (obj.findtext("name") or "").strip()))
    return Scene(image_path, xml_path, tuple(faces))


def _num(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def _find_image(image_dir: Path, filename: str, stem: str) -> Path | None:
    if filename and (image_dir / filename).is_file():
        return image_dir / filename
    for suffix in IMAGE_SUFFIXES:
        for cand in (image_dir / (stem + suffix), image_dir / (stem + suffix.upper())):
            if cand.is_file():
                return cand
    return None


def find_scenes(root: Path) -> tuple[list[Scene], list[Problem]]:
    """Scenes under ``root``: ``annotations/*.xml`` with ``images/``, or xml files next to their images."""
    if (root / "annotations").is_dir():
        xmls, image_dir = sorted((root / "annotations").glob("*.xml")), root / "images"
    else:
        xmls, image_dir = sorted(root.glob("*.xml")), root
    scenes: list[Scene] = []
    problems: list[Problem] = []
    for xml_path in sorted(xmls, key=_natural_key):
        try:
            scenes.append(parse_voc(xml_path, image_dir))
        except ValueError as exc:
            problems.append(Problem(xml_path, str(exc)))
    return scenes, problems


def _natural_key(p: Path) -> tuple[str, int, str]:
    digits = "".join(c for c in p.stem if c.isdigit())
    return (p.stem.rstrip("0123456789"), int(digits) if digits else -1, p.name)


def match_greedy(
    truth: Sequence[BBox], found: Sequence[BBox], iou: float = MATCH_IOU
) -> list[tuple[int, int]]:
    """Pairs (truth index, found index), best IoU first, each box used once, IoU at least ``iou``."""
    pairs = [(t.iou(f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)]
    pairs = sorted((p for p in pairs if p[0] >= iou), reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((i, j))
    return out


@dataclass
class ScenesReport:
    """Counts gathered over the scenes; ``to_json()`` is the documented ``vigil eval-scenes --json`` shape."""

    faces_by_size: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIZE_BUCKETS, 0))
    found_by_size: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIZE_BUCKETS, 0))
    faces_by_label: dict[str, int] = field(default_factory=dict)
    found_by_label: dict[str, int] = field(default_factory=dict)
    images: int = 0
    detections: int = 0
    true_positives: int = 0
    detect_seconds: float = 0.0
    mask_scored: int = 0
    mask_correct: int = 0
    mask_undecided: int = 0
    classifier: bool = False
    verifier: bool = False
    counted: int = 0  # detections the face verifier keeps (all detections without a verifier)
    counted_true: int = 0  # of those, matched to an annotated face
    matched_dropped: int = 0  # matched (real) faces the verifier dropped
    problems: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(
        self, truth: Sequence[TruthFace], found: Sequence[Detection], seconds: float
    ) -> list[tuple[int, int]]:
        """Score one image; returns the matched (truth, found) index pairs."""
        pairs = match_greedy([t.bbox for t in truth], [d.bbox for d in found])
        matched = {i for i, _ in pairs}
        for i, t in enumerate(truth):
            b = size_bucket(t.bbox)
            self.faces_by_size[b] += 1
            self.faces_by_label[t.label] = self.faces_by_label.get(t.label, 0) + 1
            if i in matched:
                self.found_by_size[b] += 1
                self.found_by_label[t.label] = self.found_by_label.get(t.label, 0) + 1
        self.images += 1
        self.detections += len(found)
        self.true_positives += len(pairs)
        self.detect_seconds += seconds
        return pairs

    def add_mask(self, truth: TruthFace, predicted: MaskState | None) -> None:
        """Score one mask verdict on a matched face (``None``: the classifier declined, counted as wrong)."""
        if truth.mask is None or truth.bbox.size < MASK_MIN_SIZE:
            return
        self.mask_scored += 1
        self.mask_correct += int(predicted == truth.mask)
        self.mask_undecided += int(predicted is None)

    @property
    def faces(self) -> int:
        return sum(self.faces_by_size.values())

    def recall_by_size(self) -> dict[str, float | None]:
        return {b: _ratio(self.found_by_size[b], self.faces_by_size[b]) for b in SIZE_BUCKETS}

    def to_json(self) -> dict[str, Any]:
        return {
            "recall_by_size": self.recall_by_size(),
            "precision": _ratio(self.true_positives, self.detections),
            "ms_per_image": _ratio(1000.0 * self.detect_seconds, self.images),
            "mask_accuracy": _ratio(self.mask_correct, self.mask_scored) if self.classifier else None,
            "recall": _ratio(sum(self.found_by_size.values()), self.faces),
            "recall_by_label": {
                k: _ratio(self.found_by_label.get(k, 0), n) for k, n in self.faces_by_label.items()
            },
            "faces_by_size": dict(self.faces_by_size),
            "found_by_size": dict(self.found_by_size),
            "images": self.images,
            "faces": self.faces,
            "detections": self.detections,
            "true_positives": self.true_positives,
            "mask_scored": self.mask_scored,
            "mask_undecided": self.mask_undecided,
            "verifier": self.verifier,
            "counted": self.counted,
            "counted_precision": _ratio(self.counted_true, self.counted),
            "verifier_recall_lost": _ratio(self.matched_dropped, self.true_positives)
            if self.verifier
            else None,
            "unreadable": [{"path": str(p.path), "reason": p.reason} for p in self.problems],
            **self.extra,
        }


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def read_image(path: Path) -> np.ndarray | None:
    """BGR uint8 image, or None when the file cannot be decoded (handles non-ASCII paths)."""
    try:
        data = np.fromfile(str(path), np.uint8)
    except OSError:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return img if img is not None and img.size else None


def evaluate(
    scenes: Iterable[Scene],
    detect: Detect,
    classify: Classify | None = None,
    progress: Callable[[int, Scene], None] | None = None,
    verify: Verify | None = None,
) -> ScenesReport:
    """Run ``detect`` (and ``classify``, ``verify``) on every scene and score it against the annotations.

    With ``verify``, boxes it rejects are not counted; a rejected real face gets no mask verdict (wrong)."""
    report = ScenesReport(classifier=classify is not None, verifier=verify is not None)
    for n, scene in enumerate(scenes):
        if progress is not None:
            progress(n, scene)
        image = read_image(scene.image_path)
        if image is None:
            report.problems.append(Problem(scene.image_path, "cannot decode the image"))
            continue
        t0 = time.perf_counter()
        found = list(detect(image))
        pairs = report.add(scene.faces, found, time.perf_counter() - t0)
        keep = list(verify(image, found)) if verify is not None and found else [True] * len(found)
        report.counted += sum(keep)
        report.counted_true += sum(1 for _, j in pairs if keep[j])
        report.matched_dropped += sum(1 for _, j in pairs if not keep[j])
        if classify is not None and pairs:
            labels = list(classify(image, found))
            for i, j in pairs:
                label = labels[j] if j < len(labels) and keep[j] else None
                report.add_mask(scene.faces[i], label)
    return report


def time_720p(detect: Detect, image: np.ndarray, runs: int = 5) -> float:
    """Median ms of ``detect`` on a 1280x720 frame made from ``image`` (content matters little, size does)."""
    frame = cv2.resize(image, (1280, 720), interpolation=cv2.INTER_LINEAR)
    detect(frame)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        detect(frame)
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))
