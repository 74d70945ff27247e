"""Build the crop cache from ../shared/data by running our own face detector, exactly as at run time.

Face-crop photos (``mask/``, ``mask_synthetic/``): ``models.face_crop.photo_face``: the largest detection
of at least ``min_face_px`` is the face; when there is none, the whole image is the face box and the sample
is flagged ``detected=False``. Scene photos (``mask_scenes/``): every annotated face is matched to a
detection (IoU >= 0.3); matched faces are cropped from the detection (box + eye keypoints, as at run time),
unmatched ones from the annotated box (training only; they never reach the classifier at run time and are
left out of the scene figures).

The cache is one .npz per source under ``.work/mask_crops/`` (git-ignored); delete it to rebuild.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.analysis.quality import blur_score, turn_score
from app.domain import BBox, Detection
from models.face_crop import CROP_SIZE, crop_face, photo_face, read_image
from models.training.split import base_group, group_near_duplicates, split_of

CLASSES = ("mask", "no_mask", "incorrect")
FOLDER_CLASS = {
    ("mask", "with_mask"): 0,
    ("mask", "without_mask"): 1,
    ("mask_synthetic", "correct"): 0,
    ("mask_synthetic", "incorrect"): 2,
}
SCENE_CLASS = {"with_mask": 0, "without_mask": 1, "mask_weared_incorrect": 2}
MATCH_IOU = 0.3
# a face photo's face is its largest detection of at least this size (else the whole image): the size the
# crop cache was built with, kept when the run-time gate (AnalysisConfig.min_face_px) went to 20
PHOTO_MIN_FACE_PX = 24


@dataclass
class _Rows:
    crops: list[np.ndarray] = field(default_factory=list)
    cols: dict[str, list] = field(default_factory=dict)

    def add(self, crop: np.ndarray, **values: object) -> None:
        self.crops.append(crop)
        for k, v in values.items():
            self.cols.setdefault(k, []).append(v)

    def arrays(self) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v) for k, v in self.cols.items()}
        out["crops"] = (
            np.stack(self.crops) if self.crops else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8)
        )
        return out


def _mouth_in_crop(det: Detection, crop_box: BBox) -> tuple[float, float]:
    """Approximate mouth position in crop coordinates (0..1); NaN when there are no keypoints."""
    if len(det.keypoints) < 4:
        return (float("nan"), float("nan"))
    from models.face_crop import MARGIN

    cx, cy = crop_box.center
    side = max(crop_box.width, crop_box.height, 1.0) * (1.0 + 2.0 * MARGIN)
    mx, my = det.keypoints[3]
    return ((mx - cx) / side + 0.5, (my - cy) / side + 0.5)


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build_face_crops(data: Path, source: str, detector) -> dict[str, np.ndarray]:
    """Crops of the face-crop folders of one source (``mask`` or ``mask_synthetic``)."""
    rows = _Rows()
    names, groups, thumbs_src = [], [], []
    folders = [(sub, cls) for (src, sub), cls in FOLDER_CLASS.items() if src == source]
    for sub, cls in folders:
        files = sorted(p for p in (data / source / sub).iterdir() if p.is_file())
        for i, path in enumerate(files):
            if i % 200 == 0:
                _progress(f"  {source}/{sub}: {i}/{len(files)}")
            image = read_image(path)
            if image is None:
                _progress(f"  unreadable, skipped: {path}")
                continue
            h, w = image.shape[:2]
            det, detected = photo_face(detector.detect(image), w, h, PHOTO_MIN_FACE_PX)
            crop = crop_face(image, det.bbox, det.keypoints)
            rows.add(
                crop,
                label=cls,
                path=f"{source}/{sub}/{path.name}",
                detected=detected,
                face_px=det.bbox.size,
                blur=blur_score(crop, det.bbox.size),
                turn=turn_score(det.keypoints),
                mouth=_mouth_in_crop(det, det.bbox),
                gt_px=det.bbox.size,
            )
            names.append(path.name)
            groups.append(base_group(source, path.name))
            thumbs_src.append(image)
    links = 0
    if source == "mask":
        groups, links = group_near_duplicates(names, groups, thumbs_src)
    out = rows.arrays()
    out["group"] = np.asarray(groups)
    out["split"] = np.asarray([split_of(g) for g in groups])
    out["near_dup_links"] = np.asarray(links)
    return out


def _voc_faces(xml_path: Path) -> list[tuple[int, BBox]]:
    root = ET.parse(xml_path).getroot()
    out = []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        if name not in SCENE_CLASS or box is None:
            continue
        x1, y1, x2, y2 = (float(box.findtext(k) or 0) for k in ("xmin", "ymin", "xmax", "ymax"))
        out.append((SCENE_CLASS[name], BBox(x1, y1, x2, y2)))
    return out


def match_detections(truth: list[BBox], dets: list[Detection]) -> list[Detection | None]:
    """Greedy one-to-one matching by IoU (>= MATCH_IOU); one entry per true box."""
    pairs = sorted(
        ((t.iou(d.bbox), ti, di) for ti, t in enumerate(truth) for di, d in enumerate(dets)),
        reverse=True,
    )
    out: list[Detection | None] = [None] * len(truth)
    used: set[int] = set()
    for iou, ti, di in pairs:
        if iou < MATCH_IOU:
            break
        if out[ti] is None and di not in used:
            out[ti] = dets[di]
            used.add(di)
    return out


def build_scene_crops(data: Path, detector) -> dict[str, np.ndarray]:
    """Crops of every annotated face in mask_scenes (detection-matched where the detector found it)."""
    rows = _Rows()
    groups = []
    xmls = sorted((data / "mask_scenes" / "annotations").glob("*.xml"))
    for i, xml_path in enumerate(xmls):
        if i % 50 == 0:
            _progress(f"  mask_scenes: {i}/{len(xmls)}")
        image = read_image(data / "mask_scenes" / "images" / (xml_path.stem + ".png"))
        if image is None:
            continue
        h, w = image.shape[:2]
        faces = [(c, b.clamp(w, h)) for c, b in _voc_faces(xml_path)]
        dets = detector.detect(image)
        matched = match_detections([b for _, b in faces], dets)
        for (cls, gt), det in zip(faces, matched, strict=True):
            if gt.size < 4:
                continue
            use = det if det is not None else Detection(gt, 0.0, ())
            crop = crop_face(image, use.bbox, use.keypoints)
            rows.add(
                crop,
                label=cls,
                path=f"mask_scenes/images/{xml_path.stem}.png",
                detected=det is not None,
                face_px=use.bbox.size,
                blur=blur_score(crop, use.bbox.size),
                turn=turn_score(use.keypoints),
                mouth=_mouth_in_crop(use, use.bbox),
                gt_px=gt.size,
            )
            groups.append(f"scene:{xml_path.stem}")
    out = rows.arrays()
    out["group"] = np.asarray(groups)
    out["split"] = np.asarray([split_of(g) for g in groups])
    return out


def load_or_build(data: Path, cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per-source crop arrays, from the cache when present."""
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict[str, np.ndarray]] = {}
    detector = None
    try:
        for source in ("mask", "mask_synthetic", "mask_scenes"):
            f = cache / f"{source}.npz"
            if not f.exists():
                if detector is None:
                    from models.face_detector import MediaPipeFaceDetector

                    detector = MediaPipeFaceDetector()
                _progress(f"building crop cache for {source} (face detector on every image)")
                arrays = (
                    build_scene_crops(data, detector)
                    if source == "mask_scenes"
                    else build_face_crops(data, source, detector)
                )
                np.savez_compressed(f, **arrays)
            with np.load(f, allow_pickle=False) as z:
                out[source] = {k: z[k] for k in z.files}
    finally:
        if detector is not None:
            detector.close()
    return out
