"""The analysis engine: detector -> mask -> tracker -> verdicts -> FrameResult and events.

Single-threaded by design: a runner (thread or child process) owns one engine and feeds it the newest
frames of several cameras per round; all face crops of a round go through the mask model in one call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from app.analysis import person_rules
from app.analysis.tracker import FaceTracker, Track, TrackerOptions
from app.analysis.zone_filter import CameraZones
from app.domain import (
    Detection,
    Event,
    EventKind,
    Face,
    Frame,
    FrameResult,
    MaskState,
    Match,
    MatchDecision,
    TrackSummary,
)
from app.zones import Zone
from models.face_detector import FaceDetector

log = logging.getLogger(__name__)

Probs = tuple[float, float, float]
Judgement = tuple[MaskState, Probs | None]


class MaskStage(Protocol):
    """Judges every face of several frames in one batched call; None: the box is not a face (dropped)."""

    def judge(
        self, items: Sequence[tuple[np.ndarray, Sequence[Detection]]]
    ) -> list[list[Judgement | None]]: ...


class VerdictTracker(Protocol):
    """Per-track verdict with hysteresis (one blurred frame cannot flip it)."""

    @property
    def verdict(self) -> MaskState: ...

    def update(self, state: MaskState, probs: Probs | None) -> object | None:
        """Feed one frame's judgement; return something truthy when the settled verdict changed."""
        ...


class MatchStage(Protocol):
    """Watchlist matching (only for sites where an admin switched it on)."""

    def wants(self, camera_id: str) -> bool:
        """True if this camera's site has matching switched on."""
        ...

    def match(self, image: np.ndarray, detection: Detection, camera_id: str) -> Match | None:
        """Embed the face and compare it with the site's watchlists; no embedding is kept."""
        ...


MAX_MATCH_TRIES = 3  # embeddings per track: only on its best-quality frames, not every frame


EVENT_FOR_VERDICT = {MaskState.NO_MASK: EventKind.NO_MASK, MaskState.INCORRECT: EventKind.INCORRECT_MASK}


@dataclass(frozen=True, slots=True)
class AnalysisOutput:
    result: FrameResult
    events: tuple[Event, ...] = ()
    ended: tuple[TrackSummary, ...] = ()
    open: tuple[TrackSummary, ...] = ()  # checkpoint of tracks still in view (every ``checkpoint_s``)


@dataclass(frozen=True, slots=True)
class EngineParts:
    """Factories, called in the thread that runs the engine (MediaPipe and ORT sessions are per thread)."""

    detector: Callable[[], FaceDetector]
    mask: Callable[[], MaskStage] | None = None
    verdict: Callable[[], VerdictTracker] | None = None
    tracker: TrackerOptions = TrackerOptions()
    matcher: Callable[[], MatchStage | None] | None = None


class AnalysisEngine:
    """Turns frames into results and events. Not thread-safe: one owner thread."""

    def __init__(self, parts: EngineParts) -> None:
        self._parts = parts
        self._detector: FaceDetector | None = None
        self._mask: MaskStage | None = None
        self._matcher: MatchStage | None = None
        self.mask_error: str | None = None
        self.match_error: str | None = None
        self._trackers: dict[str, FaceTracker] = {}
        self._checkpoint_at: dict[str, float] = {}  # camera -> monotonic time of its last checkpoint
        self._zones: dict[str, CameraZones] = {}

    def set_zones(self, camera_id: str, zones: Sequence[Zone]) -> None:
        """The camera's exclusion and counting zones (``app.zones``); empty: none."""
        if zones:
            self._zones[camera_id] = CameraZones(tuple(zones))
        else:
            self._zones.pop(camera_id, None)

    def _ensure_models(self) -> FaceDetector:
        if self._detector is None:
            self._detector = self._parts.detector()
            if self._parts.mask is not None:
                try:
                    self._mask = self._parts.mask()
                except Exception as exc:  # ModelError or a broken runtime: keep showing video
                    self.mask_error = str(exc)
                    log.error("mask analysis unavailable: %s", exc)
            is_face = getattr(self._mask, "is_face", None)
            if is_face is not None and hasattr(self._detector, "face_check"):
                # the mask model's "not a face" would drop the box after detection anyway: asked first, it
                # spares the detector's dearer close-up check on such boxes (same faces kept)
                self._detector.face_check = is_face
            if self._parts.matcher is not None:
                try:
                    self._matcher = self._parts.matcher()
                except Exception as exc:  # a bad embedding model must not stop the station
                    self.match_error = str(exc)
                    log.error("watchlist matching unavailable: %s", exc)
        return self._detector

    @property
    def mask_available(self) -> bool:
        return self._mask is not None

    def analyse(self, frames: Sequence[Frame]) -> list[AnalysisOutput]:
        detector = self._ensure_models()
        detections = [self._exclude(f, self._detect(detector, f)) for f in frames]
        judgements: list[list[Judgement]]
        if self._mask is not None and any(detections):
            judged = self._mask.judge([(f.image, d) for f, d in zip(frames, detections, strict=True)])
            # the face verifier's "not a face" boxes (signs, patterns) never reach tracking or counting
            detections = [
                [d for d, j in zip(ds, js, strict=True) if j is not None]
                for ds, js in zip(detections, judged, strict=True)
            ]
            judgements = [[j for j in js if j is not None] for js in judged]
        else:
            judgements = [[(MaskState.UNKNOWN, None)] * len(d) for d in detections]
        return [self._track(f, d, j) for f, d, j in zip(frames, detections, judgements, strict=True)]

    def _detect(self, detector: FaceDetector, frame: Frame) -> list[Detection]:
        """The detection scheduler (``app.analysis.scan``) also gets the camera's live tracks."""
        scheduled = getattr(detector, "detect_frame", None)
        if scheduled is None:
            return detector.detect(frame.image)
        tracker = self._trackers.get(frame.camera_id)
        hints = tracker.predictions(frame.captured_mono) if tracker is not None else []
        found: list[Detection] = scheduled(frame, hints)
        return found

    def _exclude(self, frame: Frame, found: list[Detection]) -> list[Detection]:
        """Faces centred in an exclusion zone never reach the mask model, the tracker or the overlay; nor
        does a box beside a better face of the same frame (``person_rules.drop_duplicates``)."""
        zones = self._zones.get(frame.camera_id)
        found = found if zones is None else zones.drop_excluded(found, frame.width, frame.height)
        return person_rules.drop_duplicates(self._parts.tracker.person, found)

    def finish(self, camera_id: str | None = None) -> tuple[TrackSummary, ...]:
        """End open tracks (of one camera, or all) and return their summaries."""
        ids = [camera_id] if camera_id else list(self._trackers)
        out: list[TrackSummary] = []
        for cid in ids:
            tracker = self._trackers.pop(cid, None)
            self._checkpoint_at.pop(cid, None)
            if tracker:
                out.extend(self._summary(cid, t) for t in tracker.finish() if tracker.is_person(t))
        return tuple(out)

    def open_trackers(self) -> dict[str, FaceTracker]:
        """The live trackers by camera (the child process sends them to its parent as a checkpoint)."""
        return dict(self._trackers)

    def restore(self, trackers: dict[str, FaceTracker]) -> None:
        """Continue the tracks of a previous engine (after its process died)."""
        self._trackers.update(trackers)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def _track(self, frame: Frame, dets: list[Detection], judged: list[Judgement]) -> AnalysisOutput:
        tracker = self._trackers.setdefault(frame.camera_id, FaceTracker(self._parts.tracker))
        step = tracker.update(dets, frame.captured_mono, frame.captured_at)
        zones = self._zones.get(frame.camera_id)
        faces: list[Face] = []
        events: list[Event] = []
        for det, tid, (state, probs) in zip(dets, step.track_ids, judged, strict=True):
            track = tracker.tracks[tid]
            rules = self._parts.tracker.person
            was_person = tracker.is_person(track)
            person_rules.observe(rules, track, det.bbox, frame.image, frame.captured_mono)
            person_rules.observe_score(rules, track, det.score)
            if zones is not None and zones.has_count_zone:
                person_rules.observe_zone(track, zones.in_count_zone(det.bbox, frame.width, frame.height))
            verdict = self._update_verdict(track, state, probs)
            became_person = not was_person and tracker.is_person(track)
            if became_person and verdict is None and self._verdict_of(track) is not MaskState.UNKNOWN:
                # settled before it counted (outside the counting zone, before its face-like frames)
                verdict = self._verdict_of(track)
            if verdict is not None and tracker.is_person(track):
                event = self._verdict_event(frame, det, track, verdict)
                if event is not None:
                    events.append(event)
            match = self._match(frame, det, track)
            if (
                match is not None
                and match.decision is MatchDecision.MATCH
                and not track.data.get("match_sent")
            ):
                track.data["match_sent"] = True
                events.append(self._match_event(frame, det, track, match))
            faces.append(
                Face(
                    det.bbox,
                    det.score,
                    det.keypoints,
                    track_id=tid,
                    mask=state,
                    mask_probs=probs,
                    verdict=self._verdict_of(track),
                    match=match,
                    counted=not person_rules.outside_count_zone(track),
                )
            )
        result = FrameResult(
            camera_id=frame.camera_id,
            frame_seq=frame.seq,
            captured_at=frame.captured_at,
            captured_mono=frame.captured_mono,
            analysed_mono=time.monotonic(),
            frame_size=(frame.width, frame.height),
            faces=tuple(faces),
            mask_available=self._mask is not None,
            scan_coverage=self._coverage(frame.camera_id),
        )
        ended = tuple(self._summary(frame.camera_id, t) for t in step.ended if tracker.is_person(t))
        return AnalysisOutput(result, tuple(events), ended, self._checkpoint(frame, tracker))

    def _checkpoint(self, frame: Frame, tracker: FaceTracker) -> tuple[TrackSummary, ...]:
        """Every ``checkpoint_s``: the tracks in view that are surely people (seen ``min_hits`` times and
        moved, so never a poster later) and changed since their last checkpoint."""
        every = self._parts.tracker.checkpoint_s
        now = frame.captured_mono
        last = self._checkpoint_at.get(frame.camera_id)
        if every <= 0 or (last is not None and now - last < every):
            return ()
        self._checkpoint_at[frame.camera_id] = now
        static_rules = self._parts.tracker.person.static_after_s > 0
        out: list[TrackSummary] = []
        for track in tracker.tracks.values():
            if not tracker.is_person(track) or (static_rules and not track.data.get("moved")):
                continue
            summary = self._summary(frame.camera_id, track)
            mark = (summary.last_seen, summary.verdict)
            if track.data.get("checkpoint") != mark:
                track.data["checkpoint"] = mark
                out.append(summary)
        return tuple(out)

    def _coverage(self, camera_id: str) -> float | None:
        coverage = getattr(self._detector, "coverage", None)
        return coverage(camera_id) if coverage is not None else None

    def _update_verdict(self, track: Track, state: MaskState, probs: Probs | None) -> MaskState | None:
        """Feed the track's accumulator; return the new verdict when it settled or changed."""
        if self._parts.verdict is None or self._mask is None:
            return None
        acc: VerdictTracker | None = track.data.get("verdict")
        if acc is None:
            acc = track.data["verdict"] = self._parts.verdict()
        changed = acc.update(state, probs)
        return acc.verdict if changed else None

    def _match(self, frame: Frame, det: Detection, track: Track) -> Match | None:
        """Match a track on its best frames only: when its face is clearly larger than at the last try."""
        best: Match | None = track.data.get("match")
        if self._matcher is None or (best is not None and best.decision is MatchDecision.MATCH):
            return best
        tries = track.data.get("match_tries", 0)
        if tries >= MAX_MATCH_TRIES or det.bbox.size < 1.2 * track.data.get("match_px", 0.0):
            return best
        if not self._matcher.wants(frame.camera_id):
            return None
        track.data["match_tries"], track.data["match_px"] = tries + 1, det.bbox.size
        found = self._matcher.match(frame.image, det, frame.camera_id)
        if found is not None and (best is None or found.similarity > best.similarity):
            track.data["match"] = best = found
        return best

    @staticmethod
    def _match_event(frame: Frame, det: Detection, track: Track, match: Match) -> Event:
        return Event(
            at=frame.captured_at,
            camera_id=frame.camera_id,
            kind=EventKind.WATCHLIST_MATCH,
            track_id=track.track_id,
            details={
                "watchlist_id": match.watchlist_id,
                "watchlist": match.watchlist_name,
                "identity_id": match.identity_id,
                "similarity": round(match.similarity, 3),
                "margin": round(match.margin, 3),
                "face_px": round(det.bbox.size, 1),
            },
            thumbnail_jpeg=face_thumbnail(frame.image, det),
        )

    @staticmethod
    def _verdict_of(track: Track) -> MaskState:
        acc: VerdictTracker | None = track.data.get("verdict")
        return acc.verdict if acc is not None else MaskState.UNKNOWN

    @staticmethod
    def _verdict_event(frame: Frame, det: Detection, track: Track, verdict: MaskState) -> Event | None:
        """One event per person: the first time the track settles on an unmasked verdict."""
        kind = EVENT_FOR_VERDICT.get(verdict)
        if kind is None or track.data.get("event_sent"):
            return None
        track.data["event_sent"] = True
        return Event(
            at=frame.captured_at,
            camera_id=frame.camera_id,
            kind=kind,
            track_id=track.track_id,
            details={
                "verdict": verdict.value,
                "face_px": round(det.bbox.size, 1),
                "box": [round(v, 1) for v in (det.bbox.x1, det.bbox.y1, det.bbox.x2, det.bbox.y2)],
                "frame_seq": frame.seq,
                "frame": [frame.width, frame.height],  # what "box" refers to (export scales it)
            },
            thumbnail_jpeg=face_thumbnail(frame.image, det),
        )

    def _summary(self, camera_id: str, track: Track) -> TrackSummary:
        return summarise(camera_id, track)


def summarise(camera_id: str, track: Track) -> TrackSummary:
    """The stored form of an ended track."""
    return TrackSummary(
        camera_id=camera_id,
        track_id=track.track_id,
        first_seen=track.first_seen_at,
        last_seen=track.last_seen_at,
        best_face_px=round(track.best_face_px, 1),
        verdict=AnalysisEngine._verdict_of(track),
        frames=track.hits,
    )


def face_thumbnail(image: np.ndarray, det: Detection, size: int = 96) -> bytes | None:
    """JPEG of the face with a margin, at most ``size`` px: kept with the event only."""
    h, w = image.shape[:2]
    b = det.bbox
    m = 0.25 * b.size
    x1, y1 = int(max(0, b.x1 - m)), int(max(0, b.y1 - m))
    x2, y2 = int(min(w, b.x2 + m)), int(min(h, b.y2 + m))
    if x2 <= x1 or y2 <= y1:
        return None
    crop = image[y1:y2, x1:x2]
    scale = size / max(crop.shape[:2])
    if scale < 1:
        crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale))))
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else None
