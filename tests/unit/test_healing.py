"""What the station keeps of a dead analysis child's tracks, and how it paces restarts."""

from __future__ import annotations

from app.analysis.engine import AnalysisOutput
from app.analysis.healing import BACKOFF_S, HealthBoard, RestartPolicy, TrackKeeper, exit_text
from app.analysis.tracker import FaceTracker, TrackerOptions
from app.domain import BBox, Detection, Face, FrameResult


def _tracker_with_person(now: float) -> FaceTracker:
    tr = FaceTracker(TrackerOptions(lost_after_s=4.0))
    for i in range(3):
        tr.update([Detection(BBox(100 + i, 100, 150 + i, 150), 0.9)], now + i * 0.2, 1e9 + i * 0.2)
    return tr


def _output(cam: str, track_id: int) -> AnalysisOutput:
    face = Face(BBox(0, 0, 10, 10), 0.9, track_id=track_id)
    return AnalysisOutput(FrameResult(cam, 1, 0.0, 0.0, 0.0, (320, 240), (face,)))


def test_resumed_tracks_survive_the_outage_and_never_reuse_a_handed_out_id() -> None:
    keeper = TrackKeeper()
    keeper.update({"cam1": _tracker_with_person(100.0)}, [])
    keeper.update(None, [_output("cam1", 5)])  # the child made track 5 after its last checkpoint
    kept = keeper.resume(paused_s=6.0, cameras={"cam1"})["cam1"]
    (track,) = kept.tracks.values()
    # seen last at 100.4; without the 6 s outage shifted it would have expired (lost after 4 s) at 106
    step = kept.update([Detection(BBox(103, 100, 153, 150), 0.9)], 106.5, 1e9 + 6.5)
    assert step.track_ids == (track.track_id,) and not step.ended
    new = kept.update(
        [Detection(BBox(10, 10, 40, 40), 0.9), Detection(BBox(103, 100, 153, 150), 0.9)], 106.7, 1e9 + 6.7
    )
    assert new.track_ids[0] == 6  # above the 5 the dead child handed out


def test_tracks_of_cameras_gone_while_the_child_was_down_are_closed_once() -> None:
    keeper = TrackKeeper()
    keeper.update({"cam1": _tracker_with_person(0.0), "cam2": _tracker_with_person(0.0)}, [])
    ended = keeper.end_except({"cam1"})
    assert [s.camera_id for s in ended] == ["cam2"] and ended[0].frames == 3
    assert keeper.end_except({"cam1"}) == ()
    assert [s.camera_id for s in keeper.end_all()] == ["cam1"] and keeper.end_all() == ()


def test_restart_backoff_grows_in_a_crash_series_and_resets_after_a_healthy_run() -> None:
    policy = RestartPolicy()
    delays = [policy.delay(lived_s=2.0) for _ in range(len(BACKOFF_S) + 1)]
    assert delays[0] == 0.0 and delays == sorted(delays) and delays[-1] == BACKOFF_S[-1]
    assert policy.delay(lived_s=300.0) == 0.0 and policy.restarts == len(BACKOFF_S) + 2


def test_exit_text_names_the_signal_and_the_board_counts_restarts() -> None:
    assert exit_text(-9) == "killed by signal 9 (SIGKILL)"
    assert exit_text(-11) == "killed by signal 11 (SIGSEGV)"
    assert exit_text(1) == "exit code 1" and exit_text(None) == "no exit code"
    board, seen = HealthBoard(), []
    board.listeners.append(seen.append)
    board.post("warning", "stopped")
    board.post("info", "restarted", restarted=True)
    assert board.health().restarts == 1 and board.health().last is seen[-1] and len(seen) == 2
