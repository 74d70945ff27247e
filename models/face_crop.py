"""Face crops for the mask classifier, cut the same way in training and at run time.

A square around the detector's box, widened by ``MARGIN`` on each side so that chin and nose are in view,
rotated so the eyes are level when the detector gives eye keypoints, resized to ``CROP_SIZE`` pixels.
Also: turning any decoded image (grey, RGBA, 16-bit) into the BGR uint8 the pipeline expects.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from app.domain import BBox, Detection, Keypoints

CROP_SIZE = 64  # classifier input side in pixels
MARGIN = 0.2  # added to each side, as a fraction of the box's longer side
MAX_ROLL_DEG = 60.0  # beyond this the eye keypoints are more likely wrong than the head that tilted


def roll_degrees(keypoints: Keypoints) -> float:
    """In-plane head tilt from the two eye keypoints (BlazeFace order), 0 when they are missing."""
    if len(keypoints) < 2:
        return 0.0
    (x0, y0), (x1, y1) = keypoints[0], keypoints[1]
    dx, dy = x1 - x0, y1 - y0
    if dx < 0:  # take the eyes left-to-right in the image, whichever order the detector used
        dx, dy = -dx, -dy
    if dx == 0 and dy == 0:
        return 0.0
    angle = math.degrees(math.atan2(dy, dx))
    return float(max(-MAX_ROLL_DEG, min(MAX_ROLL_DEG, angle)))


def crop_face(
    image_bgr: np.ndarray,
    bbox: BBox,
    keypoints: Keypoints = (),
    size: int = CROP_SIZE,
    margin: float = MARGIN,
) -> np.ndarray:
    """Square face crop (size, size, 3) uint8 BGR; outside the image the border pixels are repeated."""
    cx, cy = bbox.center
    side = max(bbox.width, bbox.height, 1.0) * (1.0 + 2.0 * margin)
    angle = roll_degrees(keypoints)
    # Shrinking a lot in one warp aliases; warp at (up to) 4x the target size, then area-resize.
    mid = int(min(max(round(side), size), 4 * size))
    scale = mid / side
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), angle, scale)
    m[0, 2] += mid / 2.0 - cx
    m[1, 2] += mid / 2.0 - cy
    out = cv2.warpAffine(image_bgr, m, (mid, mid), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if mid != size:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out


def whole_image_box(width: int, height: int, margin: float = MARGIN) -> BBox:
    """The box whose crop is exactly the whole image: the fallback for face-crop photos with no detection."""
    side = max(width, height) / (1.0 + 2.0 * margin)
    cx, cy = width / 2.0, height / 2.0
    return BBox(cx - side / 2.0, cy - side / 2.0, cx + side / 2.0, cy + side / 2.0)


def photo_face(
    detections: list[Detection], width: int, height: int, min_face_px: float
) -> tuple[Detection, bool]:
    """The face of a labelled single-face photo and whether the detector found it.

    The largest detection of at least ``min_face_px``; otherwise the whole image (``whole_image_box``).
    On tight face crops BlazeFace often finds nothing, or only a tiny false face (an eye, a pattern on the
    mask); such a photo is taken as the face crop it is. Used by training and ``vigil eval-mask``.
    """
    usable = [d for d in detections if d.bbox.size >= min_face_px]
    if usable:
        return max(usable, key=lambda d: d.bbox.area), True
    return Detection(whole_image_box(width, height), 0.0, ()), False


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded image (grey, grey+alpha, BGR, BGRA; 8/16-bit or float) as contiguous BGR uint8."""
    img = image
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype.kind == "f":
        img = np.clip(img * 255.0 if float(np.nanmax(img)) <= 1.0 else img, 0, 255).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    channels = img.shape[2]
    if channels == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    if channels == 2:  # grey + alpha
        return _over_white(cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR), img[:, :, 1])
    if channels >= 4:
        return _over_white(img[:, :, :3], img[:, :, 3])
    return np.ascontiguousarray(img)


def _over_white(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    if int(alpha.min()) == 255:
        return np.ascontiguousarray(bgr)
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    return (bgr.astype(np.float32) * a + 255.0 * (1.0 - a)).round().astype(np.uint8)


def read_image(path: Path) -> np.ndarray | None:
    """Decode an image file by its content (names may lie; non-ASCII paths work); None if unreadable."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        return None
    return to_bgr8(image)
