"""Quality gate for mask verdicts: a face too small, too blurred, too flat (dark or washed out) or too turned
is judged 'uncertain'.

Pure functions on a face crop and its detection; thresholds come from ``app.config.AnalysisConfig``.
"""

from __future__ import annotations

import enum
import math

import cv2
import numpy as np

from app.config import AnalysisConfig
from app.domain import Detection, Keypoints


class QualityIssue(enum.Enum):
    """Why a face cannot be judged."""

    SMALL = "small"
    BLURRED = "blurred"
    LOW_CONTRAST = "low contrast"
    TURNED = "turned"


def _grey(crop_bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY) if crop_bgr.ndim == 3 else crop_bgr


def blur_score(crop_bgr: np.ndarray, face_px: float) -> float:
    """Variance of the Laplacian at the face's own resolution (never upscaled), higher is sharper.

    Measured at native size so that a small but sharp CCTV face is not called blurred just because the
    classifier crop had to upscale it.
    """
    grey = _grey(crop_bgr)
    side = grey.shape[0]
    native = int(max(8, min(side, round(face_px))))
    if native < side:
        grey = cv2.resize(grey, (native, native), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def contrast_score(crop_bgr: np.ndarray) -> float:
    """Standard deviation of the grey levels inside the face crop (its margin left out), 0-128.

    A face shot in the dark, or crushed by heavy compression, keeps enough edge energy (JPEG block edges) to
    pass the blur gate but has almost no contrast left; all but 2 of 858 detected val/test faces have 16 or
    more (README, Abstention). ``crop_bgr`` may already be grey."""
    grey = _grey(crop_bgr)
    side = min(grey.shape[:2])
    m = side // 8
    return float(grey[m : side - m, m : side - m].std())


def turn_score(keypoints: Keypoints) -> float:
    """Head turn (yaw): nose-tip offset from the eyes' midpoint along the eye line, per eye distance.

    About 0 for a frontal face, rising past 1 towards profile; NaN without eye and nose keypoints.
    """
    if len(keypoints) < 3:
        return float("nan")
    (x0, y0), (x1, y1), (nx, ny) = keypoints[0], keypoints[1], keypoints[2]
    dx, dy = x1 - x0, y1 - y0
    dist = math.hypot(dx, dy)
    if dist < 1e-6:
        return float("inf")
    mx, my = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    along = ((nx - mx) * dx + (ny - my) * dy) / dist
    return abs(along) / dist


def assess(detection: Detection, crop_bgr: np.ndarray, cfg: AnalysisConfig) -> QualityIssue | None:
    """The first reason this face cannot be judged, or None when it can."""
    size = detection.bbox.size
    if size < cfg.min_face_px:
        return QualityIssue.SMALL
    grey = _grey(crop_bgr)  # once, for both measures
    return judge_scores(size, blur_score(grey, size), turn_score(detection.keypoints), cfg, contrast_score(grey))


def size_min_confidence(face_px: float, cfg: AnalysisConfig) -> float:
    """Top class probability a face of ``face_px`` needs to be judged: ``min_mask_confidence``, raised to
    ``small_face_min_confidence`` for faces under ``small_face_px`` (below that size the classifier's
    guesses are confident but wrong; an abstention is honest, a guess is not)."""
    if face_px < cfg.small_face_px:
        return max(cfg.min_mask_confidence, cfg.small_face_min_confidence)
    return cfg.min_mask_confidence


def judge_scores(
    face_px: float, blur: float, turn: float, cfg: AnalysisConfig, contrast: float = math.nan
) -> QualityIssue | None:
    """The gate on precomputed measures (face size, ``blur_score``, ``turn_score``, ``contrast_score``;
    a NaN turn or contrast passes)."""
    if face_px < cfg.min_face_px:
        return QualityIssue.SMALL
    if blur < cfg.blur_threshold:
        return QualityIssue.BLURRED
    if not math.isnan(contrast) and contrast < cfg.min_face_contrast:
        return QualityIssue.LOW_CONTRAST
    if not math.isnan(turn) and turn > cfg.max_face_turn:
        return QualityIssue.TURNED
    return None
