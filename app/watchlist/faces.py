"""Faces for enrolment and evaluation: read an image file, find its faces (the station's BlazeFace
detector), ask which one when there are several, align and embed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.domain import BBox, Detection
from app.errors import UserError
from models.face_detector import FaceDetector, as_bgr
from models.face_embedder import FaceEmbedder, align_face


class FaceChoiceError(UserError):
    """An image has no face, or several and nobody said which (``faces`` lists them, largest first)."""

    def __init__(self, message: str, path: str, faces: Sequence[Detection] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.faces = tuple(faces)


@dataclass(frozen=True, slots=True)
class FoundFace:
    """One face of one image, with the embedding of its aligned crop."""

    source: str
    detection: Detection
    embedding: np.ndarray


def read_image(path: Path | str) -> np.ndarray:
    """A BGR image from a file (format from the content, not the extension); UserError if it is not one."""
    p = Path(path)
    try:
        data = np.fromfile(str(p), dtype=np.uint8)
    except OSError as exc:
        raise UserError(f"cannot read {p}: {exc.strerror or exc}; check the path") from None
    return decode_image(data.tobytes(), str(p))


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if image is None or image.size == 0:
        raise UserError(f"{name} is not an image Vigil can read; give a JPEG, PNG, WebP or BMP photo")
    if image.dtype != np.uint8:  # 16-bit PNG
        image = (image / 257).astype(np.uint8)
    return as_bgr(image)


MIN_MATCH_FACE_PX = 32.0


def plausible_face(det: Detection, min_px: float = MIN_MATCH_FACE_PX) -> bool:
    """A face worth embedding: large enough, and keypoints laid out like a roughly frontal face (eye
    distance 25-60 % of the box width; nose and mouth below the eye line in that order). Rejects most
    false detections and profiles, which would only give meaningless similarities."""
    if det.bbox.size < min_px or len(det.keypoints) < 4 or det.bbox.width <= 0:
        return False
    k = np.asarray(det.keypoints[:4], dtype=np.float64)
    eyes = k[1] - k[0]
    dist = float(np.hypot(*eyes))
    if dist <= 0:
        return False
    down = np.array([-eyes[1], eyes[0]]) / dist  # perpendicular to the eye line, pointing to the chin
    mid = (k[0] + k[1]) / 2.0
    nose, mouth = float((k[2] - mid) @ down) / dist, float((k[3] - mid) @ down) / dist
    return (
        0.25 <= dist / det.bbox.width <= 0.6
        and 0.25 <= nose <= 1.0
        and 0.75 <= mouth <= 1.6
        and mouth - nose >= 0.2
    )


def describe_faces(faces: Sequence[Detection]) -> str:
    return "; ".join(
        f"[{i}] box ({d.bbox.x1:.0f},{d.bbox.y1:.0f})-({d.bbox.x2:.0f},{d.bbox.y2:.0f}) {d.bbox.size:.0f} px"
        for i, d in enumerate(faces)
    )


def detect_faces(detector: FaceDetector, image: np.ndarray) -> list[Detection]:
    """Faces with keypoints, largest first (stable order for ``--face N``)."""
    found = [d for d in detector.detect(image) if len(d.keypoints) >= 4]
    return sorted(found, key=lambda d: (-d.bbox.area, d.bbox.x1))


def choose_face(faces: Sequence[Detection], source: str, index: int | None) -> Detection:
    if not faces:
        raise FaceChoiceError(f"no face found in {source}; use a sharper, frontal photo", source)
    if index is not None:
        if not 0 <= index < len(faces):
            raise FaceChoiceError(
                f"{source} has {len(faces)} face(s), there is no face {index}: {describe_faces(faces)}",
                source,
                faces,
            )
        return faces[index]
    if len(faces) > 1:
        raise FaceChoiceError(
            f"{source} shows {len(faces)} faces: {describe_faces(faces)}; say which one (--face N)",
            source,
            faces,
        )
    return faces[0]


REFINE_MARGIN = 0.5


def refine_keypoints(refiner: FaceDetector, image: np.ndarray, det: Detection) -> Detection:
    """``det`` with keypoints re-detected on a crop around its box (short-range BlazeFace; the box is kept).

    The tiled station detector keeps whichever pass scored best, and the short-range model run on a
    whole 720p frame places large faces' keypoints ~10 % of the face too low: similarity to the enrolled
    photo fell from 0.92 to 0.51. On a crop with 50 % margin they are accurate (README: measured)."""
    b = det.bbox
    m = REFINE_MARGIN * b.size
    h, w = image.shape[:2]
    x1, y1 = int(max(0, b.x1 - m)), int(max(0, b.y1 - m))
    x2, y2 = int(min(w, b.x2 + m)), int(min(h, b.y2 + m))
    if x2 - x1 < 8 or y2 - y1 < 8:
        return det
    found = [d for d in refiner.detect(image[y1:y2, x1:x2]) if len(d.keypoints) >= 4]
    if not found:
        return det

    def overlap(d: Detection) -> float:
        return BBox(d.bbox.x1 + x1, d.bbox.y1 + y1, d.bbox.x2 + x1, d.bbox.y2 + y1).iou(b)

    best = max(found, key=overlap)
    if overlap(best) < 0.3:
        return det
    return Detection(b, det.score, tuple((x + x1, y + y1) for x, y in best.keypoints))


def make_refiner() -> FaceDetector:
    from models.face_detector import MediaPipeFaceDetector

    return MediaPipeFaceDetector("short", 0.5)


def embed_detection(embedder: FaceEmbedder, image: np.ndarray, detection: Detection) -> np.ndarray:
    return embedder.embed([align_face(image, detection.keypoints)])[0]


def embed_images(
    paths: Sequence[Path | str],
    detector: FaceDetector,
    embedder: FaceEmbedder,
    face_index: int | None = None,
) -> list[FoundFace]:
    """One face per image (``face_index`` picks among several); raises FaceChoiceError / UserError."""
    chosen: list[tuple[str, np.ndarray, Detection]] = []
    for path in paths:
        image = read_image(path)
        faces = detect_faces(detector, image)
        index = face_index if len(faces) > 1 else None
        chosen.append((str(path), image, choose_face(faces, str(path), index)))
    crops = [align_face(img, det.keypoints) for _, img, det in chosen]
    vectors = embedder.embed(crops)
    return [FoundFace(src, det, vec) for (src, _, det), vec in zip(chosen, vectors, strict=True)]


def embed_thumbnail(jpeg: bytes, detector: FaceDetector, embedder: FaceEmbedder) -> np.ndarray | None:
    """The embedding of the (largest) face in an event's face crop, or None if none is found there."""
    image = decode_image(jpeg, "the event's face image")
    # the crop is small (<= 96 px): pad it so the detector sees a face with context, as in a frame
    pad = max(image.shape[:2]) // 2
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    faces = detect_faces(detector, padded)
    return embed_detection(embedder, padded, faces[0]) if faces else None


def make_enrolment_detector() -> FaceDetector:
    """Whole-image BlazeFace (full range, then short range: photos for enrolment show large faces), with
    keypoints refined like the match stage's, so enrolled and live embeddings are made the same way."""
    from models.face_detector import MediaPipeFaceDetector

    return _EnrolmentDetector(MediaPipeFaceDetector("full", 0.5), MediaPipeFaceDetector("short", 0.5))


def make_child_enrolment_detector() -> FaceDetector:
    """``make_enrolment_detector``'s detector in a child process: for the GUI, where MediaPipe threads
    were seen to hang next to PySide6 (``app.analysis.child_detector``)."""
    from app.analysis.child_detector import ChildProcessDetector

    return ChildProcessDetector(make_enrolment_detector)


class _EnrolmentDetector:
    """The first detector's faces, or the second's when the first finds none; keypoints refined."""

    def __init__(self, first: FaceDetector, second: FaceDetector) -> None:
        self._first, self._second = first, second

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        image = as_bgr(image_bgr)
        found = self._first.detect(image) or self._second.detect(image)
        return [refine_keypoints(self._second, image, d) for d in found]

    def close(self) -> None:
        self._first.close()
        self._second.close()
