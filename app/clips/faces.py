"""Per-frame rendering for re-encoded exports: blur bystanders' faces, burn in overlays."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from app.clips.overlay import (
    OverlaySource,
    OverlayTimeline,
    draw_overlays,
    expand,
    faces_to_blur,
    redact_regions,
    scaled_faces,
)
from app.domain import BBox
from models.face_detector import FaceDetector

if TYPE_CHECKING:
    from app.clips.export import Exporter, ExportRequest

log = logging.getLogger("vigil.clips")

BLUR_MIN_SCORE = 0.3  # lower than live detection: a missed bystander is worse than a blurred poster


def default_detector() -> FaceDetector:
    from models.face_detector import MediaPipeFaceDetector

    return MediaPipeFaceDetector("full", min_score=BLUR_MIN_SCORE)


class FaceBlurRenderer:
    """``(image, t) -> image``: blurs every face except the selected track's, then draws overlays if asked.

    Faces come from the detector on each frame, united with the previous frame's (covers detector flicker)
    and with stored analysis boxes; a face overlapping a box of the kept track stays sharp.
    """

    def __init__(
        self,
        camera_name: str,
        timeline: OverlayTimeline | None,
        detector: FaceDetector | None,
        keep_track: int | None = None,
        overlays: bool = False,
    ) -> None:
        self.camera_name = camera_name
        self.timeline = timeline
        self.detector = detector
        self.keep_track = keep_track
        self.overlays = overlays
        self._previous: list[BBox] = []
        self.blurred_faces = 0

    @classmethod
    def create(cls, exporter: Exporter, req: ExportRequest, camera_id: str) -> FaceBlurRenderer:
        timeline = _timeline(exporter.overlays, camera_id, req.start, req.end)
        if req.blur_faces and req.keep_track is not None and timeline is None:
            log.warning(
                "export: no stored tracks, so track %s cannot be kept sharp: every face is blurred",
                req.keep_track,
            )
        detector = None
        if req.blur_faces:
            factory: Callable[[], FaceDetector] = exporter.detector_factory or default_detector
            detector = factory()
        name = exporter.camera_names.get(camera_id, camera_id)
        return cls(name, timeline, detector, req.keep_track, req.overlays)

    def __call__(self, image: np.ndarray, t: float) -> np.ndarray:
        h, w = image.shape[:2]
        faces = scaled_faces(self.timeline.at(t) if self.timeline else None, (w, h))
        out = image
        if self.detector is not None:
            found = [d.bbox for d in self.detector.detect(image)]
            candidates = found + self._previous
            candidates += [f.bbox for f in faces if f.track_id != self.keep_track or self.keep_track is None]
            self._previous = found
            keep = [f.bbox for f in faces if self.keep_track is not None and f.track_id == self.keep_track]
            to_blur = [expand(b, 0.25, (w, h)) for b in faces_to_blur(candidates, keep)]
            self.blurred_faces += len(to_blur)
            if to_blur:
                out = redact_regions(out, to_blur)
        if self.overlays:
            out = draw_overlays(out, faces, self.camera_name, t)
        return out

    def close(self) -> None:
        if self.detector is not None:
            self.detector.close()


def _timeline(
    source: OverlaySource | None, camera_id: str, start: float, end: float
) -> OverlayTimeline | None:
    if source is None:
        return None
    frames = source.frames(camera_id, start - 2.0, end)
    return OverlayTimeline(frames) if frames else None
