"""Face tracker: IoU matching with a centroid fallback, so that one person is one track.

Pure logic (no threads, no I/O): the analysis engine owns one ``FaceTracker`` per camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.analysis.person_rules import PersonRules, is_static, lacks_face, outside_count_zone
from app.domain import BBox, Detection


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    iou_min: float = 0.2  # greedy IoU matching threshold
    centroid_max: float = 1.0  # fallback: centre distance below this many face sizes (+1 per second unseen)
    lost_after_s: float = 4.0  # a track unseen this long has ended (detections of small faces come and go)
    # a detection and a track whose face sizes differ more than this factor are two people (a small face
    # behind a large one, a track jumping to its neighbour); 0: off
    max_size_ratio: float = 1.6
    min_hits: int = 2  # a track with fewer detections is noise and is not counted as a person
    checkpoint_s: float = 2.0  # open tracks are stored this often, so a crash keeps the people in view; 0: off
    person: PersonRules = field(default_factory=PersonRules)  # posters and signs are not people


@dataclass(slots=True)
class Track:
    """Mutable state of one live track (owned by the tracker's thread)."""

    track_id: int
    bbox: BBox
    first_seen_at: float  # UTC epoch
    first_seen_mono: float
    last_seen_at: float
    last_seen_mono: float
    hits: int = 1
    best_face_px: float = 0.0
    velocity: tuple[float, float] = (0.0, 0.0)  # centre pixels per second
    data: dict[str, Any] = field(default_factory=dict)  # per-track state of later stages (verdict, match)

    def predicted_center(self, now_mono: float) -> tuple[float, float]:
        dt = min(max(now_mono - self.last_seen_mono, 0.0), 1.0)
        cx, cy = self.bbox.center
        return cx + self.velocity[0] * dt, cy + self.velocity[1] * dt


class TrackHint(NamedTuple):
    """What the detection scheduler knows of a live track: where to look for it and how sure it is."""

    center: tuple[float, float]  # predicted centre, frame px
    face_px: float  # face size when last seen
    unseen_s: float  # seconds since it was last detected
    hits: int  # detections so far (1: not confirmed yet)


@dataclass(frozen=True, slots=True)
class TrackerStep:
    """What one update did: the track id assigned to each detection (same order) and the tracks that ended."""

    track_ids: tuple[int, ...]
    ended: tuple[Track, ...]


class FaceTracker:
    """Assigns stable ids to faces across frames of one camera."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        self.options = options or TrackerOptions()
        self._tracks: dict[int, Track] = {}
        self._next_id = 1

    @property
    def tracks(self) -> dict[int, Track]:
        return self._tracks

    def is_person(self, track: Track) -> bool:
        """Tracks seen fewer than ``min_hits`` times are detector noise, a face that never moves is a poster
        or sign, and a track without ``face_hits`` face-like detections is hands or papers (``person_rules``):
        none is a visitor; nor is one never seen in the counting zone."""
        return (
            track.hits >= self.options.min_hits
            and not is_static(track)
            and not lacks_face(self.options.person, track)
            and not outside_count_zone(track)
        )

    def predictions(self, now_mono: float) -> list[TrackHint]:
        """Every live track's hint, most recently seen first."""
        live = sorted(self._tracks.values(), key=lambda t: -t.last_seen_mono)
        return [
            TrackHint(t.predicted_center(now_mono), t.bbox.size, max(0.0, now_mono - t.last_seen_mono), t.hits)
            for t in live
        ]

    def update(self, detections: list[Detection], now_mono: float, now_utc: float) -> TrackerStep:
        ended = self._expire(now_mono)
        assigned: list[int | None] = [None] * len(detections)
        free = set(self._tracks)
        # 1. greedy IoU: best pairs first
        pairs = sorted(
            (
                (det.bbox.iou(tr.bbox), i, tid)
                for i, det in enumerate(detections)
                for tid, tr in self._tracks.items()
            ),
            reverse=True,
        )
        for iou, i, tid in pairs:
            if iou < self.options.iou_min:
                break
            if assigned[i] is None and tid in free and self._same_size(detections[i], self._tracks[tid]):
                assigned[i] = tid
                free.discard(tid)
        # 2. centroid fallback for fast movers / low frame rates
        for i, det in enumerate(detections):
            if assigned[i] is not None or not free:
                continue
            cx, cy = det.bbox.center
            best, best_d = None, float("inf")
            for tid in free:
                tr = self._tracks[tid]
                if not self._same_size(det, tr):
                    continue
                px, py = tr.predicted_center(now_mono)
                scale = max(det.bbox.size, tr.bbox.size, 1.0)
                # A face missed for a while may have walked further: allow more distance per second unseen.
                reach = self.options.centroid_max * (1.0 + min(now_mono - tr.last_seen_mono, 3.0))
                d = ((cx - px) ** 2 + (cy - py) ** 2) ** 0.5 / scale / reach
                if d < best_d:
                    best, best_d = tid, d
            if best is not None and best_d <= 1.0:
                assigned[i] = best
                free.discard(best)
        # 3. update matched, create new
        out: list[int] = []
        for i, det in enumerate(detections):
            match = assigned[i]
            if match is None:
                out.append(self._new_track(det, now_mono, now_utc))
            else:
                self._advance(self._tracks[match], det, now_mono, now_utc)
                out.append(match)
        return TrackerStep(tuple(out), ended)

    def _same_size(self, det: Detection, track: Track) -> bool:
        ratio = self.options.max_size_ratio
        if ratio <= 0:
            return True
        a, b = max(det.bbox.size, 1.0), max(track.bbox.size, 1.0)
        return max(a, b) <= ratio * min(a, b)

    def finish(self) -> tuple[Track, ...]:
        """End every live track (camera stopped or station shutting down)."""
        ended = tuple(self._tracks.values())
        self._tracks.clear()
        return ended

    def resume_after(self, paused_s: float, next_id: int) -> None:
        """Continue after an analysis outage of ``paused_s`` seconds (a restarted child process): the
        outage does not count towards ``lost_after_s``, and new ids start at ``next_id`` or later, so an id
        the lost process handed out is never reused for another person."""
        for t in self._tracks.values():
            t.last_seen_mono += max(0.0, paused_s)
        self._next_id = max(self._next_id, next_id)

    def _expire(self, now_mono: float) -> tuple[Track, ...]:
        gone = [t for t in self._tracks.values() if now_mono - t.last_seen_mono > self.options.lost_after_s]
        for t in gone:
            del self._tracks[t.track_id]
        return tuple(gone)

    def _new_track(self, det: Detection, now_mono: float, now_utc: float) -> int:
        tid = self._next_id
        self._next_id += 1
        self._tracks[tid] = Track(
            tid, det.bbox, now_utc, now_mono, now_utc, now_mono, best_face_px=det.bbox.size
        )
        return tid

    @staticmethod
    def _advance(tr: Track, det: Detection, now_mono: float, now_utc: float) -> None:
        dt = now_mono - tr.last_seen_mono
        if dt > 1e-3:
            (ox, oy), (nx, ny) = tr.bbox.center, det.bbox.center
            vx, vy = (nx - ox) / dt, (ny - oy) / dt
            tr.velocity = (0.5 * tr.velocity[0] + 0.5 * vx, 0.5 * tr.velocity[1] + 0.5 * vy)
        tr.bbox = det.bbox
        tr.last_seen_mono, tr.last_seen_at = now_mono, now_utc
        tr.hits += 1
        tr.best_face_px = max(tr.best_face_px, det.bbox.size)
