"""Per-person mask verdict: a track's per-frame probabilities settle into one verdict, with hysteresis.

Evidence is an exponentially weighted mean of per-frame log-probabilities (a normalised geometric mean), so
one confident wrong frame is outweighed by the frames around it. Uncertain frames are ignored. A verdict
settles only after ``min_frames`` confident frames with a clear winner, and a settled verdict changes only
when another class has led for ``change_frames`` frames in a row and passed the higher ``change_prob`` bar.
Pure logic: no clock, no I/O; one accumulator per track, used from one thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.domain import MaskState

CLASSES = (MaskState.MASK, MaskState.NO_MASK, MaskState.INCORRECT)  # order of the probabilities
_JUDGED = frozenset(CLASSES)


@dataclass(frozen=True, slots=True)
class VerdictConfig:
    """Thresholds of the per-person verdict."""

    min_frames: int = 3  # confident frames before a first verdict
    settle_prob: float = 0.7  # evidence needed for a first verdict
    change_prob: float = 0.85  # evidence needed to overturn a settled verdict
    change_frames: int = 4  # consecutive frames the new class must lead before it overturns
    decay: float = 0.85  # weight kept by older frames per new frame (memory of ~1/(1-decay) frames)
    floor: float = 1e-3  # probabilities are clipped here so one 0.0 cannot veto a class forever


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """A track's verdict settled (``previous`` is UNKNOWN) or changed."""

    previous: MaskState
    verdict: MaskState
    confidence: float  # the evidence for ``verdict``, 0..1
    frames: int  # confident frames seen so far

    @property
    def first(self) -> bool:
        return self.previous is MaskState.UNKNOWN


class VerdictAccumulator:
    """Accumulates one track's per-frame mask results into a settled per-person verdict."""

    def __init__(self, config: VerdictConfig | None = None) -> None:
        self._cfg = config or VerdictConfig()
        self._log_sum = np.zeros(len(CLASSES), np.float64)
        self._weight = 0.0
        self._frames = 0
        self._verdict = MaskState.UNKNOWN
        self._challenger: int | None = None
        self._streak = 0

    @property
    def verdict(self) -> MaskState:
        """UNKNOWN until settled, then MASK, NO_MASK or INCORRECT."""
        return self._verdict

    @property
    def frames(self) -> int:
        """Confident frames used so far (uncertain frames are not counted)."""
        return self._frames

    @property
    def evidence(self) -> tuple[float, float, float]:
        """Current normalised evidence per class (mask, no_mask, incorrect); uniform before any frame."""
        if self._weight == 0.0:
            return (1 / 3, 1 / 3, 1 / 3)
        mean = self._log_sum / self._weight
        e = np.exp(mean - mean.max())
        e /= e.sum()
        return (float(e[0]), float(e[1]), float(e[2]))

    def update(self, state: MaskState, probs: Sequence[float] | np.ndarray | None) -> VerdictChange | None:
        """Add one frame; returns a VerdictChange when the verdict settles or changes, else None."""
        if state not in _JUDGED or probs is None:
            return None
        p = np.clip(np.asarray(probs, np.float64)[: len(CLASSES)], self._cfg.floor, 1.0)
        if p.shape != (len(CLASSES),) or not np.all(np.isfinite(p)):
            return None
        self._log_sum = self._log_sum * self._cfg.decay + np.log(p / p.sum())
        self._weight = self._weight * self._cfg.decay + 1.0
        self._frames += 1
        ev = self.evidence
        lead = int(np.argmax(ev))
        if self._verdict is MaskState.UNKNOWN:
            if self._frames >= self._cfg.min_frames and ev[lead] >= self._cfg.settle_prob:
                return self._set(lead, ev)
            return None
        current = CLASSES.index(self._verdict)
        if lead == current:
            self._challenger, self._streak = None, 0
            return None
        if lead == self._challenger:
            self._streak += 1
        else:
            self._challenger, self._streak = lead, 1
        if self._streak >= self._cfg.change_frames and ev[lead] >= self._cfg.change_prob:
            return self._set(lead, ev)
        return None

    def _set(self, k: int, ev: tuple[float, float, float]) -> VerdictChange:
        change = VerdictChange(self._verdict, CLASSES[k], ev[k], self._frames)
        self._verdict = CLASSES[k]
        self._challenger, self._streak = None, 0
        return change


def confidence_to_text(change: VerdictChange) -> str:
    """'no_mask (93 %, 5 frames)': a short description for event details and logs."""
    return f"{change.verdict.value} ({math.floor(change.confidence * 100)} %, {change.frames} frames)"
