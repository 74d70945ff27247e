"""Typed station settings: sites (malls), cameras, analysis thresholds, retention.

Stored as a versioned TOML file in the user config dir (``--config PATH`` overrides).
Loading and validation live in this module too (see ``load_config`` / ``save_config``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONFIG_VERSION = 1


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """A mall. Watchlist matching is off until an admin switches it on (issue: watchlists)."""

    id: str
    name: str
    watchlist_enabled: bool = False
    timezone: str = ""  # empty: the station's local time zone


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One camera. ``source`` is a URL (rtsp://, http(s)://), a file path, or a USB index such as "0"."""

    id: str
    name: str
    site: str
    source: str
    enabled: bool = True
    analysis_fps: float = 5.0
    sub_source: str = ""  # optional low-resolution sub-stream for small tiles
    loop: bool = True  # video files: loop forever, like a live camera
    record: bool = False


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """Detector and quality-gate thresholds."""

    detector_min_score: float = 0.5
    min_face_px: int = 24  # smaller faces are 'uncertain' for mask verdicts
    blur_threshold: float = 30.0  # variance of Laplacian below this: 'uncertain'
    max_face_turn: float = 1.0  # head turn (nose offset per eye distance) above this: 'uncertain'
    min_mask_confidence: float = 0.5  # top class probability below this: 'uncertain'
    lost_track_s: float = 2.0


@dataclass(frozen=True, slots=True)
class StationConfig:
    version: int = CONFIG_VERSION
    sites: tuple[SiteConfig, ...] = ()
    cameras: tuple[CameraConfig, ...] = ()
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    retention_days: int = 30
    db_path: str = ""  # empty: the default in the user data dir

    def site(self, site_id: str) -> SiteConfig | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def camera(self, camera_id: str) -> CameraConfig | None:
        return next((c for c in self.cameras if c.id == camera_id), None)
