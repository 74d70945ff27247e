"""Per-frame rendering for re-encoded exports: blur bystanders' faces, burn in overlays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.clips.overlay import draw_overlays, expand, faces_to_blur, redact_regions
from app.domain import Face
from models.face_detector import FaceDetector

if TYPE_CHECKING:
    from app.clips.export_analysis import ExportAnalysis

BLUR_MIN_SCORE = 0.3  # lower than live detection: a missed bystander is worse than a blurred poster


def default_detector() -> FaceDetector:
    from models.face_detector import MediaPipeFaceDetector

    return MediaPipeFaceDetector("full", min_score=BLUR_MIN_SCORE)


class FaceBlurRenderer:
    """``(image, t) -> image`` from the export-time analysis: covers every face except the kept track's,
    then draws boxes coloured by verdict, the time and the camera name if asked.

    A frame's faces are united with its neighbours' (covers detector flicker); a face overlapping the kept
    person's box in this frame stays sharp.
    """

    def __init__(
        self,
        camera_name: str,
        analysis: ExportAnalysis | None,
        keep_track: int | None = None,
        *,
        blur: bool = False,
        overlays: bool = False,
    ) -> None:
        self.camera_name = camera_name
        self.analysis = analysis
        self.keep_track = keep_track  # an export-local track id (see export_analysis)
        self.blur = blur
        self.overlays = overlays
        self.blurred_faces = 0

    def __call__(self, image: np.ndarray, t: float) -> np.ndarray:
        h, w = image.shape[:2]
        i = self.analysis.index_of(t) if self.analysis is not None else None
        faces: tuple[Face, ...] = ()
        out = image
        if self.analysis is not None and i is not None:
            faces = self.analysis.frames[i].faces
            if self.blur:
                near = self.analysis.faces_around(i)
                kept = self.keep_track is not None
                candidates = [f.bbox for f in near if not kept or f.track_id != self.keep_track]
                keep = [f.bbox for f in faces if kept and f.track_id == self.keep_track]
                to_blur = [expand(b, 0.25, (w, h)) for b in faces_to_blur(candidates, keep)]
                self.blurred_faces += len(to_blur)
                if to_blur:
                    out = redact_regions(out, to_blur)
        if self.overlays:
            out = draw_overlays(out, faces, self.camera_name, t)
        return out
