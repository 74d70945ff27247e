"""A picklable description of the analysis engine, so it can be built in a thread or a child process."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.analysis.engine import EngineParts, Judgement, MaskStage, MatchStage, VerdictTracker
from app.analysis.governor import GovernorOptions
from app.analysis.person_rules import PersonRules
from app.analysis.tracker import TrackerOptions
from app.config import AnalysisConfig
from app.domain import Detection
from models.face_detector import FaceDetector

log = logging.getLogger(__name__)

SCHEDULED = "scheduled"  # the detection scheduler (app.analysis.scan) instead of a fixed preset


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Everything needed to build an ``AnalysisEngine`` anywhere (plain data, picklable)."""

    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    detector_preset: str = "live"
    mask_enabled: bool = True
    mask_model_path: str = ""  # empty: the bundled model
    tracker: TrackerOptions = field(default_factory=TrackerOptions)
    db_path: str = ""  # the event store; watchlist matching reads its enrolled embeddings from there
    governor: GovernorOptions = field(default_factory=GovernorOptions)  # preset "scheduled" only


def tracker_options(analysis: AnalysisConfig) -> TrackerOptions:
    """The tracker and person rules of ``[analysis]`` (who counts as a person), for the live station and
    ``vigil eval-compliance`` alike."""
    return TrackerOptions(
        lost_after_s=analysis.lost_track_s,
        max_size_ratio=analysis.track_max_size_ratio,
        person=PersonRules(
            face_hits=analysis.person_face_hits,
            face_score=analysis.person_face_score,
            duplicate_within=analysis.duplicate_face_within,
        ),
    )


def build_parts(spec: EngineSpec) -> EngineParts:
    return EngineParts(
        detector=lambda: make_detector(spec),
        mask=(lambda: make_mask_stage(spec)) if spec.mask_enabled else None,
        verdict=make_verdict_tracker,
        tracker=spec.tracker,
        matcher=lambda: make_match_stage(spec),
    )


def make_detector(spec: EngineSpec) -> FaceDetector:
    from models.face_detector import create_detector

    if spec.detector_preset == SCHEDULED:
        from app.analysis.governor import ScanGovernor
        from app.analysis.scan import ScheduledFaceDetector

        return ScheduledFaceDetector(ScanGovernor(spec.governor))
    return create_detector(spec.detector_preset, min_score=spec.analysis.detector_min_score or None)


def make_mask_stage(spec: EngineSpec) -> MaskStage:
    """The bundled (or configured) ONNX mask classifier with the quality gate; raises ModelError if broken."""
    from pathlib import Path

    from models.mask_classifier import MaskClassifier

    path = Path(spec.mask_model_path) if spec.mask_model_path else None
    return _MaskStage(MaskClassifier(path, choice=spec.analysis.mask_model), spec.analysis)


class _MaskStage:
    """All faces of one analysis round through the classifier in one batched call."""

    def __init__(self, classifier: Any, cfg: AnalysisConfig) -> None:
        self._classifier, self._cfg = classifier, cfg

    def judge(self, items: Sequence[tuple[np.ndarray, Sequence[Detection]]]) -> list[list[Judgement | None]]:
        result: list[list[Judgement | None]] = self._classifier.judge_round(items, self._cfg)
        return result

    def is_face(self, image: np.ndarray, detections: Sequence[Detection]) -> list[bool]:
        faces: list[bool] = self._classifier.is_face(image, detections)
        return faces


def make_verdict_tracker() -> VerdictTracker:
    from app.analysis.verdict import VerdictAccumulator

    return VerdictAccumulator()


def make_match_stage(spec: EngineSpec) -> MatchStage | None:
    """Watchlist matching from the event store at ``spec.db_path``, or None when no embedding model is set
    and no site has matching switched on (the default). Sites are switched on in the database only."""
    if not spec.db_path:
        return None
    from app.watchlist.matcher import build_matcher

    return build_matcher(spec.db_path, spec.analysis.embedding_model, spec.analysis.embedding_sha256)
