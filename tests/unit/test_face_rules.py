"""Who counts and what is judged (issue 10): the small-face gate, duplicate boxes beside a face, and a track
counted only after face-like detections; all of them built from ``[analysis]`` as the live station does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.analysis import person_rules
from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.person_rules import PersonRules, drop_duplicates
from app.analysis.quality import size_min_confidence
from app.analysis.spec import tracker_options
from app.analysis.tracker import FaceTracker, TrackerOptions
from app.analysis.verdict import VerdictAccumulator
from app.bootstrap import StationOptions, engine_spec
from app.config import AnalysisConfig, StationConfig, load_config
from app.domain import BBox, Detection, EventKind, Frame, MaskState
from app.errors import ConfigError

IMAGE = np.zeros((480, 640, 3), np.uint8)


def _det(x: float, y: float, size: float = 40.0, score: float = 0.9) -> Detection:
    return Detection(BBox(x, y, x + size, y + size), score)


def test_small_faces_need_the_higher_confidence_to_be_judged() -> None:
    cfg = AnalysisConfig(min_mask_confidence=0.5, small_face_px=40, small_face_min_confidence=0.9)
    assert size_min_confidence(30, cfg) == 0.9
    assert size_min_confidence(39.9, cfg) == 0.9
    assert size_min_confidence(40, cfg) == 0.5
    assert size_min_confidence(30, AnalysisConfig(small_face_px=0)) == AnalysisConfig().min_mask_confidence


def test_a_box_beside_a_better_face_is_dropped_and_neighbours_are_kept() -> None:
    rules = PersonRules(duplicate_within=1.0)
    face, hand = _det(100, 100, 40, 0.95), _det(130, 110, 30, 0.6)  # centres 25 px apart, face 40 px
    neighbour = _det(200, 100, 40, 0.8)  # 100 px away: another person
    assert drop_duplicates(rules, [hand, face, neighbour]) == [face, neighbour]
    assert drop_duplicates(PersonRules(duplicate_within=0.0), [hand, face]) == [hand, face]


def _play(tracker: FaceTracker, scores: list[float]):  # type: ignore[no-untyped-def]
    for i, s in enumerate(scores):
        t = i / 5.0
        step = tracker.update([_det(100 + i, 100, score=s)], t, 1_700_000_000.0 + t)
        person_rules.observe_score(tracker.options.person, tracker.tracks[step.track_ids[0]], s)
    (track,) = tracker.finish()
    return track


def test_a_face_of_another_size_starts_its_own_track() -> None:
    tracker = FaceTracker(TrackerOptions(max_size_ratio=1.6))
    big = tracker.update([_det(100, 100, 40)], 0.0, 0.0).track_ids
    small = tracker.update([_det(110, 110, 20)], 0.2, 0.2).track_ids  # inside the big box, half its size
    assert big != small
    same = FaceTracker(TrackerOptions(max_size_ratio=0.0))
    assert (
        same.update([_det(100, 100, 40)], 0.0, 0.0).track_ids
        == same.update([_det(110, 110, 20)], 0.2, 0.2).track_ids
    )


def test_a_track_counts_only_after_face_like_detections() -> None:
    rules = PersonRules(face_hits=2, face_score=0.72)
    gloves = FaceTracker(TrackerOptions(person=rules))
    assert not gloves.is_person(_play(gloves, [0.5, 0.6, 0.75, 0.65, 0.7]))  # one face-like box only
    face = FaceTracker(TrackerOptions(person=rules))
    assert face.is_person(_play(face, [0.5, 0.8, 0.6, 0.9]))
    off = FaceTracker(TrackerOptions(person=PersonRules(face_hits=0)))
    assert off.is_person(_play(off, [0.5, 0.6]))


class _Fixed:
    """A detector that returns the same boxes every frame."""

    def __init__(self, dets: list[Detection]) -> None:
        self.dets = dets

    def detect(self, image: np.ndarray) -> list[Detection]:
        return list(self.dets)

    def close(self) -> None:
        pass


class _NoMask:
    def judge(self, items):  # type: ignore[no-untyped-def]
        return [[(MaskState.NO_MASK, (0.02, 0.96, 0.02)) for _ in dets] for _, dets in items]


def test_the_engine_drops_the_hand_and_sends_the_verdict_once_the_face_counts() -> None:
    detector = _Fixed([_det(100, 100, 40, 0.6), _det(125, 110, 25, 0.5)])  # a weak face and a hand beside it
    parts = EngineParts(
        detector=lambda: detector,
        mask=_NoMask,
        verdict=VerdictAccumulator,
        tracker=TrackerOptions(person=PersonRules(face_hits=2, face_score=0.72, duplicate_within=1.0)),
    )
    engine = AnalysisEngine(parts)
    events = []
    for i in range(8):  # the verdict settles at frame 3, before the face scores like one
        if i == 5:
            detector.dets = [_det(100, 100, 40, 0.9), _det(125, 110, 25, 0.5)]
        out = engine.analyse([Frame("cam", i, IMAGE, 1_700_000_000.0 + i / 5, i / 5)])[0]
        assert len(out.result.faces) == 1  # the hand never reaches the tracker or the overlay
        events.extend(out.events)
    assert [e.kind for e in events] == [EventKind.NO_MASK] and events[0].at == pytest.approx(1_700_000_001.2)
    (person,) = engine.finish("cam")
    assert person.verdict is MaskState.NO_MASK


def test_the_station_builds_the_rules_from_analysis_settings(tmp_path: Path) -> None:
    cfg = AnalysisConfig(person_face_hits=3, person_face_score=0.8, duplicate_face_within=0.5)
    rules = tracker_options(cfg).person
    assert (rules.face_hits, rules.face_score, rules.duplicate_within) == (3, 0.8, 0.5)
    shipped = tracker_options(AnalysisConfig())  # the station's defaults switch every rule on
    assert shipped.person.face_hits == 2 and shipped.person.duplicate_within == 1.0
    assert shipped.max_size_ratio == 1.6
    assert AnalysisConfig().small_face_px == 0  # the small-face gate is opt-in (it lowered the accuracy)
    spec = engine_spec(StationConfig(analysis=cfg), StationOptions(), tmp_path / "db.sqlite3")
    assert spec.tracker.person == rules and spec.analysis.small_face_px == cfg.small_face_px
    path = tmp_path / "v.toml"
    path.write_text(
        "version = 3\n[analysis]\nsmall_face_px = 36\nsmall_face_min_confidence = 0.95\n"
        "duplicate_face_within = 0\nperson_face_hits = 0\n"
    )
    a = load_config(path).analysis
    assert (a.small_face_px, a.small_face_min_confidence, a.duplicate_face_within, a.person_face_hits) == (
        36, 0.95, 0.0, 0,
    )  # fmt: skip
    path.write_text("version = 3\n[analysis]\nperson_face_score = 1.5\n")
    with pytest.raises(ConfigError, match="person_face_score"):
        load_config(path)
