"""A picklable description of the analysis engine, so it can be built in a thread or a child process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app.analysis.engine import EngineParts, MaskStage, VerdictTracker
from app.analysis.tracker import TrackerOptions
from app.config import AnalysisConfig
from models.face_detector import FaceDetector

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Everything needed to build an ``AnalysisEngine`` anywhere (plain data, picklable)."""

    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    detector_preset: str = "fast"
    mask_enabled: bool = True
    mask_model_path: str = ""  # empty: the bundled model
    tracker: TrackerOptions = field(default_factory=TrackerOptions)


def build_parts(spec: EngineSpec) -> EngineParts:
    return EngineParts(
        detector=lambda: make_detector(spec),
        mask=(lambda: make_mask_stage(spec)) if spec.mask_enabled else None,
        verdict=make_verdict_tracker,
        tracker=spec.tracker,
    )


def make_detector(spec: EngineSpec) -> FaceDetector:
    from models.face_detector import MediaPipeFaceDetector

    return MediaPipeFaceDetector(min_score=spec.analysis.detector_min_score)


def make_mask_stage(spec: EngineSpec) -> MaskStage:
    from app.errors import ModelError

    raise ModelError("the mask classifier is not installed yet")


def make_verdict_tracker() -> VerdictTracker:
    raise NotImplementedError
