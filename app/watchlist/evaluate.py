"""``vigil eval-match``: identification rate, false matches, similarity histogram and speed on a gallery
(one folder per identity) and labelled probe images (CSV: file, identities separated by ';')."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import UserError
from app.watchlist.faces import detect_faces, make_refiner, plausible_face, read_image, refine_keypoints
from app.watchlist.gallery import Gallery, IdentityInfo
from app.watchlist.records import DEFAULT_THRESHOLD, DEFAULT_UNCERTAIN_BAND
from models.face_detector import FaceDetector
from models.face_embedder import FaceEmbedder, align_face

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
BINS = [round(-0.2 + 0.1 * i, 1) for i in range(13)]  # -0.2 .. 1.0


@dataclass(slots=True)
class FaceResult:
    """One probe face: its best identity and the decision at the threshold."""

    file: str
    box: tuple[int, int, int, int]
    best: str
    similarity: float
    margin: float
    decision: str  # match / uncertain / no_match
    correct: bool | None  # best is one of the file's identities (None: file has only unknown people)


@dataclass(slots=True)
class MatchReport:
    """``genuine``: for each labelled (file, identity) the best score of any face in the file;
    ``impostor``: every face's score for identities not in its file."""

    identities: list[str]
    gallery_faces: int = 0
    labelled: int = 0  # (file, known identity) pairs
    identified: int = 0
    missed: list[str] = field(default_factory=list)
    false_matches: list[str] = field(default_factory=list)
    uncertain: int = 0
    faces: list[FaceResult] = field(default_factory=list)
    genuine: list[float] = field(default_factory=list)
    impostor: list[float] = field(default_factory=list)
    ms_detect_per_image: float = 0.0
    ms_embed_per_face: float = 0.0
    problems: list[str] = field(default_factory=list)
    skipped: int = 0  # detections the match stage would not embed (too small, not frontal)
    threshold: float = DEFAULT_THRESHOLD

    def to_json(self) -> dict[str, Any]:
        lo_gen = min(self.genuine) if self.genuine else None
        hi_imp = max(self.impostor) if self.impostor else None
        return {
            "identities": self.identities,
            "gallery_faces": self.gallery_faces,
            "labelled": self.labelled,
            "identified": self.identified,
            "identification_rate": self.identified / self.labelled if self.labelled else None,
            "missed": self.missed,
            "false_matches": self.false_matches,
            "uncertain": self.uncertain,
            "skipped_not_frontal": self.skipped,
            "threshold": self.threshold,
            "genuine_min": lo_gen,
            "genuine_mean": float(np.mean(self.genuine)) if self.genuine else None,
            "impostor_max": hi_imp,
            "separation": (lo_gen - hi_imp) if lo_gen is not None and hi_imp is not None else None,
            "min_margin_of_matches": min(
                (f.margin for f in self.faces if f.decision == "match"), default=None
            ),
            "histogram": {"bins": BINS, "genuine": _hist(self.genuine), "impostor": _hist(self.impostor)},
            "ms_detect_per_image": round(self.ms_detect_per_image, 2),
            "ms_embed_per_face": round(self.ms_embed_per_face, 2),
            "faces": [
                {
                    "file": f.file,
                    "box": f.box,
                    "best": f.best,
                    "similarity": round(f.similarity, 3),
                    "margin": round(f.margin, 3),
                    "decision": f.decision,
                    "correct": f.correct,
                }
                for f in self.faces
            ],  # fmt: skip
            "problems": self.problems,
        }


def _hist(values: list[float]) -> list[int]:
    counts, _ = np.histogram(np.clip(values, -0.2, 0.9999), bins=np.array(BINS))
    return [int(c) for c in counts]


def read_labels(path: Path) -> dict[Path, set[str]]:
    """Probe file (resolved against the CSV's folder) -> identities in it."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UserError(f"cannot read the labels file {path}: {exc.strerror or exc}") from None
    if rows and not {"file", "identities"} <= set(rows[0]):
        raise UserError(f"{path} needs the columns file,identities (identities separated by ';')")
    return {
        (path.parent / r["file"]).resolve(): {s.strip() for s in r["identities"].split(";") if s.strip()}
        for r in rows
    }


def evaluate(
    gallery_dir: Path,
    probes_dir: Path,
    labels_csv: Path,
    detector: FaceDetector,
    embedder: FaceEmbedder,
    threshold: float = DEFAULT_THRESHOLD,
    band: float = DEFAULT_UNCERTAIN_BAND,
    gallery_detector: FaceDetector | None = None,
) -> MatchReport:
    """Enrol every gallery folder (whole-image detector, as ``vigil watchlist add`` does: a photo with
    several faces is skipped), then match every face ``detector`` finds in the labelled probes."""
    folders = sorted(p for p in gallery_dir.iterdir() if p.is_dir())
    if not folders:
        raise UserError(f"{gallery_dir} has no identity folders (expected one folder of photos per person)")
    report = MatchReport([p.name for p in folders], threshold=threshold)
    infos: dict[int, IdentityInfo] = {}
    positives: list[tuple[int, np.ndarray]] = []
    for iid, folder in enumerate(folders):
        infos[iid] = IdentityInfo(iid, folder.name, 0, "eval", "#ff00ff", threshold, band)
        for img_path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            try:
                image = read_image(img_path)
            except UserError as exc:
                report.problems.append(str(exc))
                continue
            faces = detect_faces(gallery_detector or detector, image)
            if len(faces) != 1:
                report.problems.append(f"{len(faces)} faces in gallery photo {img_path}; skipped")
                continue
            positives.append((iid, embedder.embed([align_face(image, faces[0].keypoints)])[0]))
            report.gallery_faces += 1
    gallery = Gallery(infos, positives)
    refiner = make_refiner()  # the match stage's keypoint refinement, so probes go the station's way
    try:
        _probe(report, gallery, probes_dir, labels_csv, detector, refiner, embedder)
    finally:
        refiner.close()
    return report


def _probe(
    report: MatchReport,
    gallery: Gallery,
    probes_dir: Path,
    labels_csv: Path,
    detector: FaceDetector,
    refiner: FaceDetector,
    embedder: FaceEmbedder,
) -> None:
    labels = read_labels(labels_csv)
    names = {i.label for i in gallery.identities.values()}
    t_detect = t_embed = 0.0
    n_images = n_faces = 0
    for path in sorted(p for p in probes_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        truth = labels.get(path.resolve())
        if truth is None:
            report.problems.append(f"{path.name} is not in {labels_csv.name}; skipped")
            continue
        try:
            image = read_image(path)
        except UserError as exc:
            report.problems.append(str(exc))
            continue
        t0 = time.perf_counter()
        detected = detect_faces(detector, image)
        faces = [refine_keypoints(refiner, image, d) for d in detected if plausible_face(d)]
        report.skipped += len(detected) - len(faces)
        t1 = time.perf_counter()
        vectors = embedder.embed([align_face(image, d.keypoints) for d in faces])
        t_detect, t_embed = t_detect + (t1 - t0), t_embed + (time.perf_counter() - t1)
        n_images, n_faces = n_images + 1, n_faces + len(faces)
        known = truth & set(names)
        found: set[str] = set()
        best_for: dict[str, float] = {}
        for det, vec in zip(faces, vectors, strict=True):
            ranked = gallery.scores(vec)
            match = gallery.decide(vec)
            best = ranked[0]
            decision = match.decision.value if match else "no_match"
            correct = best.identity.label in known if known else None
            b = det.bbox
            report.faces.append(
                FaceResult(path.name, (int(b.x1), int(b.y1), int(b.x2), int(b.y2)), best.identity.label,
                           best.score, match.margin if match else 0.0, decision, correct)
            )  # fmt: skip
            for s in ranked:
                if s.identity.label in known:
                    best_for[s.identity.label] = max(best_for.get(s.identity.label, -1.0), s.score)
                else:
                    report.impostor.append(s.score)
            if decision == "uncertain":
                report.uncertain += 1
            if decision == "match":
                if best.identity.label in known:
                    found.add(best.identity.label)
                else:
                    report.false_matches.append(f"{path.name}: a face matched {best.identity.label}")
        report.genuine.extend(best_for.values())
        report.labelled += len(known)
        report.identified += len(found)
        report.missed.extend(f"{path.name}: {who}" for who in sorted(known - found))
    report.ms_detect_per_image = 1000 * t_detect / max(1, n_images)
    report.ms_embed_per_face = 1000 * t_embed / max(1, n_faces)
