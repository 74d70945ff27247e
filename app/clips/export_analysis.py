"""Export-time analysis: the live station's detector, mask model, tracker and per-person verdicts, run over
the frames of an export before they are rendered.

Per-frame face boxes are not stored while the station runs, so an export that blurs faces or burns in boxes
analyses its own footage first (pass 1) and renders from that (pass 2). Only boxes and verdicts are kept,
a few hundred bytes a frame.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from app.analysis.engine import AnalysisEngine, EngineParts, MaskStage
from app.analysis.spec import EngineSpec, make_mask_stage, make_verdict_tracker
from app.analysis.tracker import TrackerOptions
from app.clips.cut import CutJob, Progress, expected_frames, iter_frames
from app.clips.faces import default_detector
from app.clips.overlay import OverlayFrame
from app.config import AnalysisConfig
from app.domain import Face, Frame, MaskState
from models.face_detector import FaceDetector

log = logging.getLogger("vigil.clips")


@dataclass(frozen=True, slots=True)
class AnalysisModels:
    """Factories for the models of one analysis pass (called in the exporting thread)."""

    detector: Callable[[], FaceDetector]
    mask: Callable[[], MaskStage] | None = None  # None: no mask model, every box is 'uncertain'


def default_models(analysis: AnalysisConfig | None = None) -> AnalysisModels:
    """The blur detector (BlazeFace full range, score >= 0.3) and the bundled mask model with the quality
    gate of ``analysis`` (the station's ``[analysis]`` thresholds; defaults without)."""
    spec = EngineSpec(analysis=analysis) if analysis is not None else EngineSpec()
    return AnalysisModels(default_detector, lambda: make_mask_stage(spec))


class ExportAnalysis:
    """Analysed faces of every frame of one camera's export, oldest first, with export-local track ids."""

    def __init__(
        self, frames: Sequence[OverlayFrame], mask_available: bool, mask_error: str | None = None
    ) -> None:
        self.frames = list(frames)
        self._times = [f.at for f in self.frames]
        self.mask_available = mask_available
        self.mask_error = mask_error

    def index_of(self, t: float) -> int | None:
        """Index of the analysed frame nearest ``t`` (the render pass decodes the same frames)."""
        if not self.frames:
            return None
        i = bisect.bisect_left(self._times, t)
        if i == len(self._times) or (i > 0 and t - self._times[i - 1] < self._times[i] - t):
            i -= 1
        return i

    def faces_around(self, i: int, span: int = 1) -> list[Face]:
        """Faces of frames ``i - span`` .. ``i + span`` (a face the detector missed for a frame stays covered)."""
        lo, hi = max(0, i - span), min(len(self.frames), i + span + 1)
        return [f for frame in self.frames[lo:hi] for f in frame.faces]


def analyse_cut(
    job: CutJob,
    models: AnalysisModels,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExportAnalysis:
    """Pass 1: detect, classify and track every face in the job's frames, as the live station does."""
    parts = EngineParts(
        detector=models.detector, mask=models.mask, verdict=make_verdict_tracker, tracker=TrackerOptions()
    )
    engine = AnalysisEngine(parts)
    expected = expected_frames(job)
    frames: list[OverlayFrame] = []
    try:
        with contextlib.closing(iter_frames(job, cancel)) as decoded:
            for n, (img, t) in enumerate(decoded):
                frames.append(_analyse(engine, n, img, t))
                if progress and (n + 1) % 15 == 0:
                    progress(min(1.0, (n + 1) / expected))
    finally:
        engine.close()
    if models.mask is not None and not engine.mask_available:
        log.warning("export: mask model unavailable (%s): boxes are drawn as uncertain", engine.mask_error)
    return ExportAnalysis(frames, engine.mask_available, engine.mask_error)


def _analyse(engine: AnalysisEngine, n: int, img: np.ndarray, t: float) -> OverlayFrame:
    # The recording's time is both clocks: the tracker only needs them to advance together.
    [out] = engine.analyse([Frame("export", n, img, t, t)])
    faces = out.result.faces
    if not engine.mask_available:
        faces = tuple(
            dataclasses.replace(f, mask=MaskState.UNCERTAIN, verdict=MaskState.UNCERTAIN) for f in faces
        )
    return OverlayFrame(t, (int(img.shape[1]), int(img.shape[0])), tuple(faces))
