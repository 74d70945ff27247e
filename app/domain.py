"""Domain types shared by capture, analysis, store and UI.

Everything that crosses a thread is one of these frozen dataclasses or Enums, never a bare tuple or dict.
Times are UTC epoch seconds (``time.time()``) unless the field name says ``mono`` (``time.monotonic()``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Health(enum.Enum):
    """Connection state of one camera."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    OFFLINE = "offline"
    STOPPED = "stopped"


class MaskState(enum.Enum):
    """Mask verdict for one face (per frame) or one person (per track)."""

    UNKNOWN = "unknown"  # not classified (yet), or the classifier is unavailable
    MASK = "mask"
    NO_MASK = "no_mask"
    INCORRECT = "incorrect"
    UNCERTAIN = "uncertain"  # face too small, blurred or turned to judge


class MatchDecision(enum.Enum):
    MATCH = "match"
    UNCERTAIN = "uncertain"
    NO_MATCH = "no_match"


class EventKind(enum.Enum):
    NO_MASK = "no_mask"
    INCORRECT_MASK = "incorrect_mask"
    WATCHLIST_MATCH = "watchlist_match"
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_ONLINE = "camera_online"


@dataclass(frozen=True, slots=True)
class BBox:
    """Axis-aligned box in pixel coordinates of the full frame (x2, y2 exclusive)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return max(0.0, self.x2 - self.x1)

    @property
    def height(self) -> float:
        return max(0.0, self.y2 - self.y1)

    @property
    def size(self) -> float:
        """Longer side in pixels: the 'face size' used for quality gates and size buckets."""
        return max(self.width, self.height)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def iou(self, other: BBox) -> float:
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def clamp(self, width: int, height: int) -> BBox:
        return BBox(
            min(max(self.x1, 0.0), float(width)),
            min(max(self.y1, 0.0), float(height)),
            min(max(self.x2, 0.0), float(width)),
            min(max(self.y2, 0.0), float(height)),
        )


Keypoints = tuple[tuple[float, float], ...]
"""Face landmarks in frame pixels. BlazeFace order: right eye, left eye, nose tip, mouth, right ear, left ear
(right/left from the subject's point of view)."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One face found by a detector, before tracking."""

    bbox: BBox
    score: float
    keypoints: Keypoints = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A watchlist comparison result for one face or track."""

    decision: MatchDecision
    watchlist_id: int
    watchlist_name: str
    identity_id: int
    similarity: float
    margin: float
    colour: str = "#ff00ff"


@dataclass(frozen=True, slots=True)
class Face:
    """One analysed face in one frame."""

    bbox: BBox
    score: float
    keypoints: Keypoints = ()
    track_id: int | None = None
    mask: MaskState = MaskState.UNKNOWN
    mask_probs: tuple[float, float, float] | None = None  # (mask, no_mask, incorrect)
    verdict: MaskState = MaskState.UNKNOWN  # the track's settled per-person verdict
    match: Match | None = None
    counted: bool = True  # False: the camera has a counting zone and this track was never inside it


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded frame of one camera. ``image`` is BGR uint8 (H, W, 3) and must not be written to."""

    camera_id: str
    seq: int
    image: np.ndarray
    captured_at: float  # UTC epoch seconds
    captured_mono: float  # time.monotonic() at capture, for latency and staleness

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Analysis of one frame: what the UI draws and the rules turn into events."""

    camera_id: str
    frame_seq: int
    captured_at: float
    captured_mono: float
    analysed_mono: float
    frame_size: tuple[int, int]  # (width, height) of the analysed frame
    faces: tuple[Face, ...] = ()
    mask_available: bool = False
    scan_coverage: float | None = None  # share of the frame scanned at tile resolution per second

    @property
    def latency_s(self) -> float:
        return self.analysed_mono - self.captured_mono


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Counters of one capture thread."""

    frames_in: int = 0
    frames_dropped: int = 0  # overwritten in the one-slot buffer before analysis took them + skipped
    frames_skipped: int = 0  # not decoded/delivered because the capture fell behind (live pacing)
    reconnects: int = 0
    fps: float = 0.0
    last_frame_mono: float | None = None


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """A health change of one camera, with a one-line human reason."""

    camera_id: str
    health: Health
    at: float  # UTC epoch seconds
    message: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """Something an operator should see and the store keeps: an unmasked person, a match, a camera drop."""

    at: float  # UTC epoch seconds
    camera_id: str
    kind: EventKind
    track_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    thumbnail_jpeg: bytes | None = None  # face crop, kept only for events (privacy: compliance needs none)


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """A person who passed a camera: one ended (or still open) track, anonymous by design."""

    camera_id: str
    track_id: int
    first_seen: float  # UTC epoch seconds
    last_seen: float
    best_face_px: float
    verdict: MaskState
    frames: int
