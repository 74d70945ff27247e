"""Background suppression: a face whose box and pixels never move is a poster, not a visitor."""

import numpy as np

from app.analysis.person_rules import PersonRules
from app.analysis.tracker import FaceTracker, TrackerOptions
from app.domain import BBox, Detection

RNG = np.random.default_rng(7)
POSTER = RNG.integers(0, 255, (480, 640, 3), dtype=np.uint8)


def _det(x: float, y: float, size: float = 60.0) -> Detection:
    return Detection(BBox(x, y, x + size, y + size), 0.9)


def _play(tracker: FaceTracker, frames, fps: float = 5.0):  # type: ignore[no-untyped-def]
    from app.analysis import person_rules

    ended = []
    for i, (image, det) in enumerate(frames):
        t = i / fps
        step = tracker.update([det], t, 1_700_000_000.0 + t)
        ended.extend(step.ended)
        tr = tracker.tracks[step.track_ids[0]]
        person_rules.observe(tracker.options.person, tr, det.bbox, image, t)
        person_rules.observe_score(tracker.options.person, tr, det.score)  # as the engine does
    return [*ended, *tracker.finish()]


def test_a_still_poster_is_not_a_person_after_the_static_time() -> None:
    tracker = FaceTracker(TrackerOptions(person=PersonRules(static_after_s=8.0)))
    (track,) = _play(tracker, [(POSTER, _det(100, 100))] * 60)  # 12 s, same pixels, same box
    assert track.hits == 60 and not tracker.is_person(track)


def test_a_short_still_face_and_a_face_that_changes_are_people() -> None:
    tracker = FaceTracker(TrackerOptions(person=PersonRules(static_after_s=8.0)))
    (short,) = _play(tracker, [(POSTER, _det(100, 100))] * 20)  # 4 s: too short to call it a poster
    assert tracker.is_person(short)
    frames = []
    for i in range(60):  # a person sitting still: the box stays, the face (pixels) changes
        img = POSTER.copy()
        img[100:160, 100:160] = (i * 37) % 255
        frames.append((img, _det(100, 100)))
    (sitting,) = _play(FaceTracker(TrackerOptions(person=PersonRules(static_after_s=8.0))), frames)
    assert sitting.data.get("moved") and not sitting.data.get("static")


def test_a_walking_face_is_a_person_and_the_rule_can_be_switched_off() -> None:
    tracker = FaceTracker(TrackerOptions(person=PersonRules(static_after_s=8.0)))
    (walker,) = _play(tracker, [(POSTER, _det(100 + 5 * i, 100)) for i in range(60)])
    assert tracker.is_person(walker)
    off = FaceTracker(TrackerOptions(person=PersonRules(static_after_s=0.0)))
    (poster,) = _play(off, [(POSTER, _det(100, 100))] * 60)
    assert off.is_person(poster)
