"""Face detection with MediaPipe Tasks (BlazeFace models vendored from the mediapipe 0.10.21 wheel).

Create a detector in the thread that uses it; call ``close()`` when done.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from app.domain import BBox, Detection
from app.errors import ModelError
from models.weights import verified_path

log = logging.getLogger(__name__)

MODELS = {
    "full": "blazeface/face_detection_full_range_sparse.tflite",
    "short": "blazeface/face_detection_short_range.tflite",
}


class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...

    def close(self) -> None: ...


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
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        result = self._det.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb))
        h, w = image_bgr.shape[:2]
        out: list[Detection] = []
        for d in result.detections:
            b = d.bounding_box
            box = BBox(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height).clamp(w, h)
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
