from app.analysis.rules import CameraHealthRules
from app.analysis.tracker import FaceTracker, TrackerOptions
from app.domain import BBox, CameraStatus, Detection, EventKind, Health


def det(x: float, y: float, s: float = 40.0) -> Detection:
    return Detection(BBox(x, y, x + s, y + s), 0.9)


def test_one_person_walking_is_one_track():
    tr = FaceTracker()
    ids = set()
    for i in range(20):  # 5 fps, moving 8 px per frame
        step = tr.update([det(100 + 8 * i, 200)], now_mono=i * 0.2, now_utc=1000 + i * 0.2)
        ids.update(step.track_ids)
    assert ids == {1}
    assert tr.tracks[1].hits == 20


def test_fast_mover_is_kept_by_centroid_fallback():
    tr = FaceTracker()
    a = tr.update([det(100, 100)], 0.0, 0.0).track_ids
    b = tr.update([det(135, 100)], 0.2, 0.2).track_ids  # IoU ~0.07 but centre moved < 1 face size
    assert a == b


def test_two_people_keep_their_ids_and_a_lost_track_ends():
    tr = FaceTracker(TrackerOptions(lost_after_s=1.0))
    first = tr.update([det(100, 100), det(400, 100)], 0.0, 0.0).track_ids
    second = tr.update([det(405, 102), det(104, 101)], 0.2, 0.2).track_ids
    assert second == (first[1], first[0])
    tr.update([det(108, 100)], 1.0, 1.0)
    step = tr.update([det(110, 100)], 1.5, 1.5)  # the second person left 1.3 s ago
    assert [t.track_id for t in step.ended] == [first[1]]
    assert step.track_ids == (first[0],)


def test_one_frame_detections_are_not_people():
    tr = FaceTracker()
    tr.update([det(10, 10)], 0.0, 0.0)
    ended = tr.finish()
    assert len(ended) == 1 and not tr.is_person(ended[0])


def test_offline_event_once_per_outage_and_online_after():
    rules = CameraHealthRules()
    down = [
        CameraStatus("c1", h, t, "x")
        for h, t in [(Health.OFFLINE, 1), (Health.CONNECTING, 2), (Health.OFFLINE, 3)]
    ]
    events = [rules.on_status(s) for s in down]
    assert [e.kind for e in events if e] == [EventKind.CAMERA_OFFLINE]
    back = rules.on_status(CameraStatus("c1", Health.LIVE, 10, "live"))
    assert back is not None and back.kind is EventKind.CAMERA_ONLINE and back.details["offline_s"] == 9
    assert rules.on_status(CameraStatus("c1", Health.LIVE, 11, "live")) is None
