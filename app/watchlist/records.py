"""Frozen records of the watchlist feature, and its defaults (measured: see README)."""

from __future__ import annotations

from dataclasses import dataclass

# MobileFaceNet on the faces/ set with BlazeFace keypoints: same person 0.59-1.00, others <= 0.18
DEFAULT_THRESHOLD = 0.40
DEFAULT_UNCERTAIN_BAND = 0.10
MIN_MARGIN = 0.08  # best identity must beat the second best by this much to be a match
DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 730
DEFAULT_COLOUR = "#ff00ff"


@dataclass(frozen=True, slots=True)
class Watchlist:
    """One list of a site: its colour and sound, and the similarity threshold with its uncertain band."""

    id: int
    site_id: str
    name: str
    colour: str
    sound: str
    threshold: float
    uncertain_band: float
    identities: int = 0


@dataclass(frozen=True, slots=True)
class Identity:
    """One enrolled person (a label, never a photo). ``approved_by`` is None while awaiting a second admin."""

    id: int
    watchlist_id: int
    watchlist_name: str
    site_id: str
    label: str
    reason: str
    legal_basis: str
    enrolled_by: str
    enrolled_at: float
    expires_at: float
    approved_by: str | None
    embeddings: int = 0
    negatives: int = 0

    @property
    def pending(self) -> bool:
        return self.approved_by is None


@dataclass(frozen=True, slots=True)
class SiteMatching:
    """The per-site switch (stored in the database, audited) and enrolment policy."""

    site_id: str
    enabled: bool = False
    require_second_admin: bool = False
    reason: str = ""
    changed_by: str = ""
    changed_at: float = 0.0


@dataclass(frozen=True, slots=True)
class EnrolRequest:
    """What an admin must state to enrol someone."""

    watchlist_id: int
    label: str
    reason: str
    legal_basis: str
    expires_days: float = DEFAULT_EXPIRY_DAYS
    source: str = ""  # "images: a.jpg, b.jpg" or "event:123" (recorded in the audit log)


@dataclass(frozen=True, slots=True)
class MatchView:
    """A stored WATCHLIST_MATCH event as a supervisor sees it (viewing is audited)."""

    event_id: int
    at: float
    camera_id: str
    watchlist_name: str
    identity_id: int | None
    identity_label: str
    similarity: float
    margin: float
    thumbnail_jpeg: bytes | None
    review: str | None = None  # 'confirmed' / 'rejected' once reviewed
    reviewed_by: str | None = None
