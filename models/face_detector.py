"""Face detection with MediaPipe Tasks (BlazeFace models vendored from the mediapipe 0.10.21 wheel).

``MediaPipeFaceDetector`` runs BlazeFace once on the whole image. ``TiledFaceDetector`` adds overlapping
tiles so faces of 16-32 px in a 720p frame are found too (see ``PRESETS`` and the README for the figures).
MediaPipe detectors are not thread-safe: create one per thread, in that thread; call ``close()`` when done.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import cv2
import numpy as np

from app.domain import BBox, Detection
from app.errors import ModelError
from models.tiling import Candidate, Tile, confirmed, merge_detections, tile_grid
from models.weights import verified_path

log = logging.getLogger(__name__)

MODELS = {
    "full": "blazeface/face_detection_full_range_sparse.tflite",
    "short": "blazeface/face_detection_short_range.tflite",
}


class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...

    def close(self) -> None: ...


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 BGR view/copy of a grey (H, W), (H, W, 1), BGR or BGRA image."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"expected a grey, BGR or BGRA image, got shape {image.shape}")


class MediaPipeFaceDetector:
    """BlazeFace through the MediaPipe Tasks API on the whole image (no tiling)."""

    def __init__(self, model: str = "full", min_score: float = 0.5) -> None:
        if model not in MODELS:
            raise ModelError(f"unknown face model {model!r}; choose one of {sorted(MODELS)}")
        path = verified_path(MODELS[model])
        import mediapipe as mp  # heavy import, only where a detector is made
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        opts = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            min_detection_confidence=min_score,
            min_suppression_threshold=0.3,
        )
        try:
            self._det = vision.FaceDetector.create_from_options(opts)
        except Exception as exc:  # mediapipe raises RuntimeError/ValueError with C++ text
            raise ModelError(f"cannot load face model {path}: {exc}") from exc

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        image_bgr = as_bgr(image_bgr)
        h, w = image_bgr.shape[:2]
        if h == 0 or w == 0:
            return []
        if self._det is None:
            raise RuntimeError("detect() after close()")
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # also makes it contiguous
        result = self._det.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb))
        out: list[Detection] = []
        for d in result.detections:
            b = d.bounding_box
            box = BBox(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height).clamp(w, h)
            if box.area <= 0:
                continue
            kps = tuple((float(k.x) * w, float(k.y) * h) for k in (d.keypoints or ()))
            out.append(Detection(box, float(d.categories[0].score), kps))
        return out

    def close(self) -> None:
        det, self._det = getattr(self, "_det", None), None
        if det is not None:
            det.close()

    def __enter__(self) -> MediaPipeFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class Pass:
    """One look at the frame: a BlazeFace model on the whole frame (``tile=0``) or on overlapping square tiles
    of ``tile`` frame pixels. MediaPipe scales each crop to the model input (192 px full range, 128 px short
    range), so a 96 px tile enlarges its faces 1.33x for the short-range model."""

    model: str = "full"
    tile: int = 0


@dataclass(frozen=True, slots=True)
class DetectorOptions:
    """How ``TiledFaceDetector`` looks at a frame and merges what it finds.

    Whole-frame boxes need ``min_score``, tile boxes ``tile_min_score`` (tiles see more clutter up close);
    a box scoring at least ``confirm_score`` is also kept when a box from another crop overlaps it by
    ``confirm_iou``; a box of ``large_face_px`` or more needs ``large_min_score``. ``overlap`` is the fraction neighbouring tiles share; ``nms_iou`` merges duplicates.
    With ``verify_score`` > 0 every merged box scoring below ``verify_skip`` is re-checked by the short-range
    model on a crop 4x its size around it and dropped unless a centred face scores ``verify_score`` there
    (fewer false faces on clothing and texture, at some cost in recall).
    """

    passes: tuple[Pass, ...] = (Pass("full"), Pass("short"), Pass("short", 192))
    min_score: float = 0.3
    tile_min_score: float = 0.6
    confirm_score: float = 0.3
    confirm_iou: float = 0.5
    overlap: float = 0.25
    nms_iou: float = 0.3
    verify_score: float = 0.0  # > 0: re-check boxes scoring below verify_skip on a close-up crop
    verify_skip: float = 0.8
    # Large faces are scored high by BlazeFace (all 25 true faces of >= 128 px in mask_scenes scored >= 0.7);
    # a large box scoring low is texture (flowers in a shop window, a patterned shirt). 0: no such rule.
    large_face_px: float = 128.0
    large_min_score: float = 0.6


FaceCheck = Callable[[np.ndarray, Sequence[Detection]], list[bool]]  # (image, boxes) -> is each a face

VERIFY_MAX_SHIFT = 0.5  # verifier's face centre at most this many face sizes from the checked box's
VERIFY_MAX_SCALE = 2.0  # and its size within this factor of the checked box's

_FINE = (Pass("full"), Pass("short"), Pass("short", 192), Pass("short", 128), Pass("short", 96))
PRESETS: dict[str, DetectorOptions] = {
    # both models on the whole frame only, low-score boxes verified: ~6 ms per 720p frame, so 16 cameras
    # at 5 fps fit on 2 cores; finds faces from ~40 px up (people are caught as they approach the camera)
    "live": DetectorOptions(passes=(Pass("full"), Pass("short")), verify_score=0.5),
    # whole frame with both models + short range on 192 px tiles, low-score boxes verified (live use)
    "fast": DetectorOptions(verify_score=0.5),
    # + short range on 128 and 96 px tiles (16-32 px faces enlarged), verified: fewer false faces
    "balanced": DetectorOptions(passes=_FINE, verify_score=0.5),
    # the same passes unverified: highest recall, many false faces on large frames (offline review)
    "accurate": DetectorOptions(passes=_FINE, large_face_px=0.0),
}


def create_detector(preset: str = "fast", min_score: float | None = None) -> TiledFaceDetector:
    """A detector from a named preset (``PRESETS``); ``min_score`` overrides the whole-frame threshold."""
    if preset not in PRESETS:
        raise ModelError(f"unknown detector preset {preset!r}; choose one of {sorted(PRESETS)}")
    options = PRESETS[preset]
    if min_score is not None:
        if not 0.0 < min_score < 1.0:
            raise ModelError(f"detector min score must be between 0 and 1, got {min_score}")
        options = replace(options, min_score=min_score)
    return TiledFaceDetector(options)


class TiledFaceDetector:
    """BlazeFace passes over the whole frame and overlapping tiles, merged with NMS.

    Boxes and keypoints are in full-frame pixels. Not thread-safe: one per thread, made in that thread.
    """

    def __init__(self, options: DetectorOptions | None = None) -> None:
        self.options = opts = options or DetectorOptions()
        if not opts.passes:
            raise ModelError("detector options have no passes: give at least one Pass")
        floor = min(opts.min_score, opts.tile_min_score, opts.confirm_score)
        self._models: dict[str, MediaPipeFaceDetector] = {}
        self._verifier: MediaPipeFaceDetector | None = None
        # Optional: (image, boxes) -> is each a face; a cheaper check than the close-up, run before it on the
        # boxes that need one (the engine sets the mask model's face verifier here). Same boxes kept.
        self.face_check: FaceCheck | None = None
        try:
            for p in opts.passes:
                if p.model not in self._models:
                    self._models[p.model] = MediaPipeFaceDetector(p.model, floor)
            if opts.verify_score > 0:
                self._verifier = MediaPipeFaceDetector("short", opts.verify_score)
        except Exception:
            self.close()
            raise

    def describe(self) -> str:
        """One line naming the passes and thresholds, for reports."""
        o = self.options
        passes = " + ".join(f"{p.model} {'whole' if not p.tile else f'{p.tile}px tiles'}" for p in o.passes)
        verify = f", verified {o.verify_score}" if o.verify_score > 0 else ""
        return f"{passes}; score {o.min_score}/{o.tile_min_score}, confirmed {o.confirm_score}{verify}"

    def crops(self, width: int, height: int) -> list[tuple[Pass, Tile]]:
        """Every (pass, crop) one ``detect()`` runs a model on; tilings no finer than the frame are skipped
        when the same model already looks at the whole frame."""
        whole = {p.model for p in self.options.passes if not p.tile}
        out: list[tuple[Pass, Tile]] = []
        for p in self.options.passes:
            if not p.tile:
                out.append((p, Tile(0, 0, width, height)))
            elif p.tile < max(width, height) or p.model not in whole:
                out.extend((p, t) for t in tile_grid(width, height, p.tile, self.options.overlap))
        return out

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        image = as_bgr(image_bgr)
        h, w = image.shape[:2]
        if h == 0 or w == 0:
            return []
        o = self.options
        crops = [(p, t, o.tile_min_score if p.tile else o.min_score) for p, t in self.crops(w, h)]
        return self.detect_crops(image, crops)

    def detect_crops(
        self,
        image_bgr: np.ndarray,
        crops: list[tuple[Pass, Tile, float]],
        trusted: Sequence[BBox] = (),
    ) -> list[Detection]:
        """Run each (pass, crop, score threshold) and merge like ``detect()``: the detection scheduler
        (``app.analysis.scan``) chooses the crops itself. Every pass's model must be one of this
        detector's (``options.passes``). A box overlapping a ``trusted`` one (IoU >= 0.3: a live track's
        predicted place) skips the close-up check."""
        image = as_bgr(image_bgr)
        h, w = image.shape[:2]
        o = self.options
        cands: list[Candidate] = []
        for n, (p, t, threshold) in enumerate(crops):
            for d in self._models[p.model].detect(image[t.y : t.y + t.h, t.x : t.x + t.w]):
                if d.score >= o.confirm_score or d.score >= threshold:
                    moved = _shift(d, t.x, t.y)
                    cut = t.is_cut(moved.bbox, w, h)
                    cands.append(Candidate(moved, n, cut, strong=d.score >= threshold))
        merged = merge_detections(confirmed(cands, o.confirm_iou), iou=o.nms_iou)
        if o.large_face_px > 0:
            merged = [d for d in merged if d.bbox.size < o.large_face_px or d.score >= o.large_min_score]
        if self._verifier is None:
            return merged
        weak = [
            d for d in merged if d.score < o.verify_skip and not any(d.bbox.iou(t) >= 0.3 for t in trusted)
        ]
        checked = weak
        if weak and self.face_check is not None:  # the cheap check first: its "not a face" drops the box
            checked = [d for d, face in zip(weak, self.face_check(image, weak), strict=True) if face]
        kept = {id(d) for d in checked if self._verified(image, d)}
        dropped = {id(d) for d in weak} - kept
        return [d for d in merged if id(d) not in dropped]

    def _verified(self, image: np.ndarray, d: Detection) -> bool:
        """True when the verifier finds, on a 4x close-up of ``d`` (padded at edges), a face of about ``d``'s
        size at ``d``'s place: a real face next to a false box (a shop display beside a customer) must not
        confirm it."""
        assert self._verifier is not None
        h, w = image.shape[:2]
        cx, cy = d.bbox.center
        half = max(d.bbox.size * 2.0, 8.0)
        x1, y1 = int(max(0.0, cx - half)), int(max(0.0, cy - half))
        x2, y2 = int(min(float(w), cx + half)), int(min(float(h), cy + half))
        if x2 <= x1 or y2 <= y1:
            return False
        top, bottom = int(max(0.0, half - cy)), int(max(0.0, cy + half - h))
        left, right = int(max(0.0, half - cx)), int(max(0.0, cx + half - w))
        crop = cv2.copyMakeBorder(image[y1:y2, x1:x2], top, bottom, left, right, cv2.BORDER_CONSTANT)
        size = max(d.bbox.size, 1.0)
        ox, oy = x1 - left, y1 - top  # crop pixel -> image pixel
        return any(
            math.dist((e.bbox.center[0] + ox, e.bbox.center[1] + oy), (cx, cy)) <= VERIFY_MAX_SHIFT * size
            and 1.0 / VERIFY_MAX_SCALE <= e.bbox.size / size <= VERIFY_MAX_SCALE
            for e in self._verifier.detect(crop)
        )

    def close(self) -> None:
        models, self._models = getattr(self, "_models", {}), {}
        for m in models.values():
            m.close()
        verifier, self._verifier = getattr(self, "_verifier", None), None
        if verifier is not None:
            verifier.close()

    def __enter__(self) -> TiledFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shift(d: Detection, dx: int, dy: int) -> Detection:
    b = d.bbox
    box = BBox(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy)
    return Detection(box, d.score, tuple((x + dx, y + dy) for x, y in d.keypoints))
