"""Frozen records the store accepts (writer items) and returns (reader rows).

Writer items: ``Event``, ``CameraStatus`` (from app.domain) plus ``SiteRecord``, ``CameraRecord``,
``TrackUpdate``, ``EventAck`` and ``LiveTick`` defined here. Reader rows: ``EventRow``, ``TrackRow``, ``StatusRow``,
``AuditRow``. Times are UTC epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.config import CameraConfig, SiteConfig
from app.domain import EventKind, Health, MaskState


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """A mall as the store knows it (upserted by id)."""

    id: str
    name: str
    timezone: str = ""

    @classmethod
    def from_config(cls, site: SiteConfig) -> SiteRecord:
        return cls(site.id, site.name, site.timezone)


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """A camera as the store knows it (upserted by id). The source URL is never stored (credentials)."""

    id: str
    name: str
    site_id: str = ""
    enabled: bool = True

    @classmethod
    def from_config(cls, camera: CameraConfig) -> CameraRecord:
        return cls(camera.id, camera.name, camera.site, camera.enabled)


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """The current state of one tracked person. ``track_id`` is unique per camera per run only; the
    writer adds its run id, so (camera_id, run, track_id) names one person. Later updates merge in:
    first_seen = min, last_seen/best_face_px/frames = max, verdict = newest unless UNKNOWN. ``open``: a
    checkpoint of a track still in view (crash-safe counting); the row is counted at once and the final
    update of the same track moves it, never adds a second person."""

    camera_id: str
    track_id: int
    first_seen: float
    last_seen: float
    best_face_px: float = 0.0
    verdict: MaskState = MaskState.UNKNOWN
    frames: int = 0
    open: bool = False


@dataclass(frozen=True, slots=True)
class LiveTick:
    """Camera ``camera_id`` is still live at ``at``: credits its live seconds so far to the compliance
    minutes (submit every ~10 s per live camera; ``app.store.live_ticker.LiveTicker`` does it)."""

    camera_id: str
    at: float


@dataclass(frozen=True, slots=True)
class EventAck:
    """An operator acknowledged an event (also appended to the audit log)."""

    event_id: int
    by: str
    at: float


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event. ``track_key`` is the surrogate id of its row in ``tracks`` (None if unknown)."""

    id: int
    at: float
    camera_id: str
    kind: EventKind
    track_id: int | None
    run_id: int | None
    details: dict[str, Any] = field(default_factory=dict)
    camera_name: str = ""
    site_id: str = ""
    has_thumbnail: bool = False
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    track_key: int | None = None


@dataclass(frozen=True, slots=True)
class TrackRow:
    """One person seen by one camera during one run (``id`` is the surrogate key)."""

    id: int
    camera_id: str
    run_id: int
    track_id: int
    first_seen: float
    last_seen: float
    best_face_px: float
    verdict: MaskState
    frames: int
    end_reason: str = "ended"  # "open" (still in view, checkpointed), "ended", "crash" (run was killed)


@dataclass(frozen=True, slots=True)
class CrashRecovery:
    """What a writer start found of earlier runs that ended without a clean stop (a kill, a power cut):
    their open tracks were closed at their last checkpointed sighting and marked ``crash``."""

    runs: tuple[int, ...] = ()
    tracks: int = 0
    last_seen: float | None = None  # newest sighting among those tracks

    def message(self) -> str:
        if not self.runs:
            return ""
        ids = ", ".join(str(r) for r in self.runs)
        return (
            f"previous run {ids} ended without a clean stop (crash or kill): {self.tracks} open track(s) "
            "closed at their last checkpoint and marked as ended by a crash"
        )


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One stored camera health change."""

    id: int
    camera_id: str
    at: float
    health: Health
    message: str


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit entry; ``hash`` = sha256(prev_hash + canonical JSON of (seq, at, actor, action, target,
    details))."""

    seq: int
    at: float
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditVerdict:
    """Result of checking the audit chain. ``head_hash`` is the newest row's hash: note it down to detect
    later truncation of the newest rows, which a chain alone cannot reveal."""

    ok: bool
    rows: int
    first_broken_seq: int | None
    reason: str
    head_hash: str = ""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a retention run deleted (rows older than ``cutoff``)."""

    cutoff: float
    events: int = 0
    thumbnails: int = 0
    tracks: int = 0
    status_changes: int = 0

    @property
    def total(self) -> int:
        return self.events + self.thumbnails + self.tracks + self.status_changes


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of the writer thread. ``failing`` is True while the database refuses writes."""

    accepted: int = 0
    written: int = 0
    pending: int = 0
    dropped: int = 0
    batches: int = 0
    failing: bool = False
    last_error: str = ""
