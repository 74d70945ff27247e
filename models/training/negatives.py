"""Mine "not a face" crops for the face verifier (class 3 of the mask network), cached like the face crops.

Two kinds, both cropped with ``models.face_crop.crop_face`` exactly as at run time:

- **Hard negatives from the scenes** (``mask_scenes``, CC0): boxes of our own detector (preset
  ``accurate``, the most false faces) that overlap no annotated face at all (IoU < 0.05, neither box's
  centre inside the other). The annotations are not perfect: a few unannotated real faces may land here;
  ``--sheet`` writes a contact sheet to look at them.
- **Background from the clips** (``video/``): random boxes of face size in regions that stay static over
  the whole clip (temporal std of the grey frames below a threshold, so nobody walked through them) and
  lie far from every detection of every sampled frame (``fast`` preset, 2 frames per second); plus
  detector boxes that do not move for the whole clip with static pixels (posters, signs).

Boxes that BlazeFace short range, run again on the crop alone (upscaled), still calls a face with score
>= ``FACE_LIKE_SCORE`` near the crop's centre are left out (``drop_face_like``): the scene annotations miss
some real faces, and a real face labelled "not a face" would teach the verifier to drop people. This also
drops some hard signs; the contact sheet showed mostly hands, ears, backs of heads, signs and patterns left.

Split: by scene image (the same key as the scene faces) and by whole clip, with ``split.split_of``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from app.domain import BBox
from models.face_crop import CROP_SIZE, crop_face, read_image
from models.training.split import split_of

NOT_FACE = 3
STATIC_STD = 6.0  # grey levels: a region this still over a whole clip holds no passer-by
BACKGROUND_PER_CLIP = 60
FACE_LIKE_SCORE = 0.6


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _far_from_faces(box: BBox, faces: list[BBox]) -> bool:
    for f in faces:
        if box.iou(f) >= 0.05:
            return False
        cx, cy = box.center
        fx, fy = f.center
        if f.x1 <= cx <= f.x2 and f.y1 <= cy <= f.y2 or box.x1 <= fx <= box.x2 and box.y1 <= fy <= box.y2:
            return False
    return True


def scene_negatives(data: Path, detector) -> tuple[list[np.ndarray], list[str], list[float], list[str]]:
    from models.training.data import _voc_faces

    crops, groups, sizes, paths = [], [], [], []
    xmls = sorted((data / "mask_scenes" / "annotations").glob("*.xml"))
    for i, xml_path in enumerate(xmls):
        if i % 100 == 0:
            _progress(f"  negatives, mask_scenes: {i}/{len(xmls)}")
        image = read_image(data / "mask_scenes" / "images" / (xml_path.stem + ".png"))
        if image is None:
            continue
        h, w = image.shape[:2]
        truth = [b.clamp(w, h) for _, b in _voc_faces(xml_path)]
        for det in detector.detect(image):
            if det.bbox.size >= 8 and _far_from_faces(det.bbox, truth):
                crops.append(crop_face(image, det.bbox, det.keypoints))
                groups.append(f"scene:{xml_path.stem}")
                sizes.append(det.bbox.size)
                paths.append(f"mask_scenes/images/{xml_path.stem}.png")
    return crops, groups, sizes, paths


def _clip_frames(path: Path, every_s: float = 0.5) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    step = max(1, round(fps * every_s))
    frames, n = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if n % step == 0:
            frames.append(frame)
        n += 1
    cap.release()
    return frames


def clip_negatives(data: Path, detector, rng: np.random.Generator):
    crops, groups, sizes, paths = [], [], [], []
    for clip in sorted((data / "video").glob("*.mp4")):
        frames = _clip_frames(clip)
        if len(frames) < 4:
            continue
        h, w = frames[0].shape[:2]
        dets = [list(detector.detect(f)) for f in frames]
        faces = [d.bbox for ds in dets for d in ds]
        grey = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]).astype(np.float32)
        std = grey.std(axis=0)
        integral = cv2.integral(std)
        n_bg = 0
        for _ in range(2000):
            if n_bg >= BACKGROUND_PER_CLIP:
                break
            side = float(rng.uniform(0.04, 0.2) * min(w, h))
            side = max(side, 20.0)
            x1, y1 = rng.uniform(0, w - side), rng.uniform(0, h - side)
            box = BBox(x1, y1, x1 + side, y1 + side)
            a, b, c, d = int(y1), int(x1), int(y1 + side), int(x1 + side)
            mean_std = (integral[c, d] - integral[a, d] - integral[c, b] + integral[a, b]) / max(
                1, (c - a) * (d - b)
            )
            grown = [BBox(f.x1 - f.width, f.y1 - f.height, f.x2 + f.width, f.y2 + f.height) for f in faces]
            if mean_std > STATIC_STD or not _far_from_faces(box, grown):
                continue
            k = int(rng.integers(len(frames)))
            crops.append(crop_face(frames[k], box, ()))
            groups.append(f"clip:{clip.name}")
            sizes.append(side)
            paths.append(f"video/{clip.name}#{k}")
            n_bg += 1
        # detector boxes that never move and whose pixels never change: posters, signs, displays
        first = dets[0]
        for det in first:
            steady = sum(any(det.bbox.iou(o.bbox) > 0.85 for o in ds) for ds in dets) / len(dets)
            b = det.bbox.clamp(w, h)
            region = std[int(b.y1) : int(b.y2) + 1, int(b.x1) : int(b.x2) + 1]
            if steady >= 0.95 and region.size and float(region.mean()) < STATIC_STD:
                crops.append(crop_face(frames[0], det.bbox, det.keypoints))
                groups.append(f"clip:{clip.name}")
                sizes.append(det.bbox.size)
                paths.append(f"video/{clip.name}#static")
        _progress(f"  negatives, {clip.name}: {n_bg} background boxes")
    return crops, groups, sizes, paths


def build(data: Path) -> dict[str, np.ndarray]:
    from models.face_detector import create_detector

    rng = np.random.default_rng(0)
    out: dict[str, list] = {"crops": [], "group": [], "face_px": [], "path": [], "kind": []}
    for preset, fn in (("accurate", "scene"), ("fast", "clip")):
        detector = create_detector(preset)
        try:
            c, g, s, p = (
                scene_negatives(data, detector) if fn == "scene" else clip_negatives(data, detector, rng)
            )
        finally:
            detector.close()
        out["crops"] += c
        out["group"] += g
        out["face_px"] += s
        out["path"] += p
        out["kind"] += [fn] * len(c)
    n = len(out["crops"])
    arrays = {k: np.asarray(v) for k, v in out.items() if k != "crops"}
    arrays["crops"] = np.stack(out["crops"]) if n else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8)
    arrays["label"] = np.full(n, NOT_FACE)
    arrays["split"] = np.asarray([split_of(g) for g in out["group"]])
    arrays["detected"] = arrays["kind"] == "scene"
    arrays["gt_px"] = arrays["face_px"]
    arrays["mouth"] = np.full((n, 2), np.nan)
    return arrays


def drop_face_like(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Leave out negatives that still look like a face to BlazeFace on the crop alone (see module doc)."""
    from models.face_detector import MediaPipeFaceDetector

    keep = np.ones(len(arrays["crops"]), bool)
    for model in ("short", "full"):
        det = MediaPipeFaceDetector(model, FACE_LIKE_SCORE)
        try:
            for i, crop in enumerate(arrays["crops"]):
                if not keep[i]:
                    continue
                big = cv2.resize(crop, (192, 192), interpolation=cv2.INTER_CUBIC)
                for d in det.detect(big):
                    cx, cy = d.bbox.center
                    if 48 <= cx <= 144 and 48 <= cy <= 144 and d.bbox.size >= 48:
                        keep[i] = False
                        break
        finally:
            det.close()
    _progress(f"  negatives: {int((~keep).sum())} of {len(keep)} still look like a face, left out")
    return {k: (v[keep] if v.ndim and len(v) == len(keep) else v) for k, v in arrays.items()}


def load_or_build(data: Path, cache: Path) -> dict[str, np.ndarray]:
    f = cache / "not_face.npz"
    if not f.exists():
        _progress("building not-a-face crops (detector on scenes and clips)")
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(f, **drop_face_like(build(data)))
    with np.load(f, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def contact_sheet(arrays: dict[str, np.ndarray], out: Path, cell: int = 48, cols: int = 30) -> None:
    """All crops in one image, to look for real faces among the negatives."""
    crops = arrays["crops"]
    rows = (len(crops) + cols - 1) // cols
    sheet = np.zeros((rows * cell, cols * cell, 3), np.uint8)
    for i, c in enumerate(crops):
        r, q = divmod(i, cols)
        sheet[r * cell : (r + 1) * cell, q * cell : (q + 1) * cell] = cv2.resize(c, (cell, cell))
    cv2.imwrite(str(out), sheet)


if __name__ == "__main__":
    repo = Path(__file__).resolve().parents[2]
    a = load_or_build(repo.parent / "shared" / "data", repo / ".work" / "mask_crops")
    kinds, counts = np.unique(a["kind"], return_counts=True)
    print(dict(zip(kinds.tolist(), counts.tolist(), strict=True)), np.unique(a["split"], return_counts=True))
    if "--sheet" in sys.argv:
        contact_sheet(a, repo / ".work" / "not_face_sheet.png")
