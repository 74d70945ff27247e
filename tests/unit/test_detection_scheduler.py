"""The detection scheduler on real frames: rolling scan, motion focus, track-guided re-detection, governor.

A real face (from mask_scenes, shrunk to 26-28 px with its surroundings) is placed on a real CCTV frame
scaled to 1280x720: too small for the whole-frame pass, found by a 128 px tile or a track crop.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.governor import GovernorOptions, ScanGovernor
from app.analysis.scan import ScanOptions, ScheduledFaceDetector
from app.domain import Frame

FACE_IMAGE = "maksssksksss343.png"  # a frontal unmasked face of 153 px in mask_scenes
FACE_BOX = None  # read from its annotation


def _face_patch(shared: Path, face_px: float) -> np.ndarray:
    from app.analysis.scenes_eval import parse_voc

    scenes = shared / "mask_scenes"
    scene = parse_voc(scenes / "annotations" / FACE_IMAGE.replace(".png", ".xml"), scenes / "images")
    face = max(scene.faces, key=lambda f: f.bbox.size)
    img = cv2.imread(str(scene.image_path))
    cx, cy = face.bbox.center
    half = face.bbox.size  # the face with its surroundings, twice its size
    x1, y1 = int(max(0, cx - half)), int(max(0, cy - half))
    x2, y2 = int(min(img.shape[1], cx + half)), int(min(img.shape[0], cy + half))
    scale = face_px / face.bbox.size
    patch = img[y1:y2, x1:x2]
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    return cv2.resize(patch, size, interpolation=cv2.INTER_AREA)


def _background(shared: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(shared / "video" / "cctv_office_fisheye_360p.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok, "cannot decode the background clip"
    return cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_LINEAR)


def _place(bg: np.ndarray, patch: np.ndarray, cx: float, cy: float) -> np.ndarray:
    out = bg.copy()
    h, w = patch.shape[:2]
    x, y = int(cx - w / 2), int(cy - h / 2)
    out[y : y + h, x : x + w] = patch
    return out


def _frame(image: np.ndarray, seq: int, t: float, camera: str = "c1") -> Frame:
    return Frame(camera, seq, image, 1_700_000_000.0 + t, t)


def _found_at(dets: list, cx: float, cy: float, px: float) -> bool:
    return any(math.dist(d.bbox.center, (cx, cy)) < 0.5 * px for d in dets)


def _near(faces, cx: float, cy: float) -> list:
    return [f for f in faces if math.dist(f.bbox.center, (cx, cy)) < 13]


@pytest.fixture(scope="module")
def scene(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    return _background(shared_data), _face_patch(shared_data, 28)


@pytest.fixture()
def detector_factory() -> Iterator:
    made: list[ScheduledFaceDetector] = []

    def make(tiles: float, **gov: float) -> ScheduledFaceDetector:
        d = ScheduledFaceDetector(ScanGovernor(GovernorOptions(tiles=tiles, **gov)))
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


PLACES = [(70, 70), (1210, 70), (640, 360), (70, 650), (1210, 650), (400, 500)]


def test_a_small_face_in_each_region_is_found_within_the_promised_frames(scene, detector_factory):
    bg, patch = scene
    budget = 26
    whole_only = detector_factory(0)
    for n, (cx, cy) in enumerate(PLACES):
        image = _place(bg, patch, cx, cy)
        # the whole-frame pass alone misses it: what makes the scan necessary
        assert not _found_at(whole_only.detect_frame(_frame(image, 0, 0.0, f"w{n}")), cx, cy, 28)
        det = detector_factory(budget)
        tiles = len(det._cameras.get("c1").tiles) if det._cameras.get("c1") else None
        promised = None
        found_in = None
        for i in range(20):
            dets = det.detect_frame(_frame(image, i, i * 0.2))
            if tiles is None:
                tiles = len(det._cameras["c1"].tiles)
                promised = math.ceil(tiles / budget)
            if _found_at(dets, cx, cy, 28):
                found_in = i + 1
                break
        assert promised is not None and promised == 6  # 28 tiles of 256 px + 104 of 128 px, 26 per frame
        assert found_in is not None and found_in <= promised, f"face at {cx},{cy} found in {found_in} frames"


def test_a_static_scene_is_not_rescanned_and_a_new_face_is_scanned_first(scene, detector_factory):
    bg, patch = scene
    det = detector_factory(13)
    for i in range(11):  # 11 x 13 >= 132: the whole static frame has been scanned once
        det.detect_frame(_frame(bg, i, i * 0.2))
    scan = det._cameras["c1"]
    assert not any(scan.dirty)
    before = list(scan.scanned_at)
    det.detect_frame(_frame(bg, 11, 2.2))
    assert scan.scanned_at == before  # nothing changed, nothing rescanned
    cx, cy = 1000, 200
    dets = det.detect_frame(_frame(_place(bg, patch, cx, cy), 12, 2.4))
    assert _found_at(dets, cx, cy, 28)  # the changed tiles come first, in the same frame
    assert sum(t != b for t, b in zip(scan.scanned_at, before, strict=True)) <= 13


def test_track_guided_redetection_keeps_one_small_face_across_frames(shared_data, scene):
    bg = scene[0]
    patch = _face_patch(shared_data, 26)
    engine = AnalysisEngine(
        EngineParts(detector=lambda: ScheduledFaceDetector(ScanGovernor(GovernorOptions(tiles=0))))
    )
    try:
        # first frame: a full scan (as when a face appears and its tiles come up) finds it once
        det = engine._ensure_models()
        assert isinstance(det, ScheduledFaceDetector)
        det.governor.tiles_per_frame = 200
        first = engine.analyse([_frame(_place(bg, patch, 300, 300), 0, 0.0)])[0].result
        mine = _near(first.faces, 300, 300)
        assert len(mine) == 1
        track_id = mine[0].track_id
        det.governor.tiles_per_frame = 0  # from here on: no scan tiles at all, only the track crop
        ids = []
        for i in range(1, 10):  # the person walks right, 6 px per analysed frame
            cx = 300 + 6 * i
            out = engine.analyse([_frame(_place(bg, patch, cx, 300), i, 0.2 * i)])[0].result
            mine = _near(out.faces, cx, 300)
            assert len(mine) == 1, f"frame {i}: {len(mine)} faces where the person is"
            ids.append(mine[0].track_id)
        assert set(ids) == {track_id}
        # without the track (a new camera with no history) and no tiles the face is not seen
        alone = engine.analyse([_frame(_place(bg, patch, 360, 300), 0, 3.0, camera="c2")])[0].result
        assert _near(alone.faces, 360, 300) == []
    finally:
        engine.close()


def test_track_crops_stop_a_second_after_a_person_left_but_a_new_face_keeps_its_crop(shared_data, scene):
    """A crop costs a detector call per frame: a confirmed person gone from view for more than
    ``track_crop_unseen_s`` gets none; a face found once keeps its crop until it is confirmed or lost.
    The person's crops are the calls beyond those of a twin camera that sees the hall alone (the full
    scan finds the same few false boxes on both)."""
    bg = scene[0]
    patch = _face_patch(shared_data, 26)
    held = GovernorOptions(tiles=0, latency_target_s=math.inf)  # no cut for the test's own clock
    engine = AnalysisEngine(EngineParts(detector=lambda: ScheduledFaceDetector(ScanGovernor(held))))
    try:
        det = engine._ensure_models()
        assert isinstance(det, ScheduledFaceDetector)
        limit = det.options.track_crop_unseen_s

        def calls(image: np.ndarray, i: int, camera: str) -> int:
            det.governor.tiles_per_frame = 200 if i == 0 else 0  # a full scan on the first frame only
            out = engine.analyse([_frame(image, i, 0.2 * i, camera)])[0].result
            if image is not bg:
                assert len(_near(out.faces, 300, 300)) == 1, f"{camera}: frame {i} lost the face"
            return det.calls

        for camera, seen in (("confirmed", 2), ("new", 1)):
            person = _place(bg, patch, 300, 300)
            for i in range(seen):  # found by the full scan, then (confirmed) by its crop
                calls(person, i, camera)
                calls(bg, i, camera + "-twin")
            gone_at = 0.2 * (seen - 1)
            crops = {}
            for i in range(seen, seen + 15):  # the person has left: the hall is empty for 3 s
                extra = calls(bg, i, camera) - calls(bg, i, camera + "-twin")
                crops[round(0.2 * i - gone_at, 1)] = extra
            if camera == "confirmed":
                before = [n for t, n in crops.items() if t < limit - 0.05]
                after = [n for t, n in crops.items() if t > limit + 0.05]
                assert before and set(before) == {1}, crops  # still looked for where it was
                assert after and set(after) == {0}, crops  # then no more calls for it
            else:
                assert set(crops.values()) == {1}, crops
    finally:
        engine.close()


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def _drive(
    det: ScheduledFaceDetector, images: list[np.ndarray], cameras: int, seconds: float
) -> tuple[int, int]:
    """Play ``cameras`` live cameras at 5 fps for ``seconds``: each frame is analysed, late or not."""
    start = time.monotonic()
    presented = analysed = 0
    seq = 0
    while time.monotonic() - start < seconds:
        due = start + seq * 0.2
        for c in range(cameras):
            image = images[(seq + c) % len(images)]
            presented += 1
            det.detect_frame(Frame(f"c{c}", seq, image, 1.7e9 + due, due))
            analysed += 1
        seq += 1
        wait = start + seq * 0.2 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    return presented, analysed


def test_governor_under_a_cpu_hog_keeps_every_frame_and_shrinks_the_scan(scene, detector_factory):
    bg, patch = scene
    images = [_place(bg, patch, 200 + 40 * k, 300) for k in range(4)]  # the picture keeps changing
    plan = 16.0
    det = detector_factory(plan, latency_target_s=0.25)
    ctx = mp.get_context("spawn")
    hogs = [ctx.Process(target=_spin, args=(time.monotonic() + 30,), daemon=True) for _ in range(4)]
    for h in hogs:
        h.start()
    try:
        presented, analysed = _drive(det, images, cameras=6, seconds=6.0)
    finally:
        for h in hogs:
            h.terminate()
            h.join(5)
    assert analysed == presented  # never a dropped analysed frame
    assert det.governor.cuts >= 1
    assert det.governor.tiles_per_frame < plan
    coverage = det.coverage("c0")
    assert coverage is not None and coverage < plan * 5 / 132  # less than the plan would have scanned


def test_governor_holds_a_time_budget_and_grows_back_when_there_is_room():
    gov = ScanGovernor(GovernorOptions(tiles=10, budget_ms_per_s=100.0, window=8))
    t = 0.0
    for _ in range(16):  # 40 ms per frame at 5 frames/s = 200 ms/s: over the budget
        t += 0.2
        gov.observe("c", 40.0, 0.05, now=t)
    assert gov.tiles_per_frame < 10
    low = gov.tiles_per_frame
    for _ in range(40):  # 5 ms per frame: room again, up to the plan but never past it
        t += 0.2
        gov.observe("c", 5.0, 0.05, now=t)
    assert low < gov.tiles_per_frame <= 10
    tiles = [gov.tiles_for("c") for _ in range(10)]
    assert sum(tiles) == pytest.approx(10 * gov.tiles_per_frame, abs=1)  # fractions carry over


def test_scan_options_make_a_grid_of_the_promised_size():
    from app.analysis.scan import CameraScan

    scan = CameraScan.for_size(1280, 720, ScanOptions())
    assert len(scan.tiles) == 28 + 104
    assert scan.coverage(ScanOptions()) == 0.0


def test_full_range_on_alternate_frames_keeps_a_mid_size_face_on_its_track(shared_data, scene):
    """At 16 cameras the plan runs the full-range pass on every second frame and the short-range pass on
    the frames between (never both on one frame): between, the short-range pass and the track's crop keep
    the face found, on the same track, and a track the whole frame found again with a confident box costs
    no crop."""
    bg = scene[0].copy()
    bg[300:560, 240:480] = bg[300:560, 240:480].mean(axis=(0, 1))  # the seated person the clip has there
    patch = _face_patch(shared_data, 64)  # found by the full-range pass, not by the short-range one
    det = ScheduledFaceDetector(ScanGovernor(GovernorOptions(tiles=0, full_every=2, latency_target_s=1e9)))
    engine = AnalysisEngine(EngineParts(detector=lambda: det))
    try:
        calls, ids, scores = [], [], []
        for i in range(8):  # the person walks right, 8 px per analysed frame
            cx = 600 + 8 * i
            out = engine.analyse([_frame(_place(bg, patch, cx, 200), i, 0.2 * i)])[0].result
            mine = [f for f in out.faces if math.dist(f.bbox.center, (cx, 200)) < 25]
            assert len(mine) == 1, f"frame {i}: {len(mine)} faces where the person is"
            ids.append(mine[0].track_id)
            scores.append(mine[0].score)
            calls.append(det.calls)
        assert len(set(ids)) == 1
        # odd frames: the short-range pass and the track's crop (the short range alone misses this face)
        assert calls[1::2] == [2, 2, 2, 2]
        # even frames after the first: full range alone; a confident box (>= 0.8) found the track again, so
        # no crop; a weaker one still gets the crop
        confident = [score >= 0.8 for score in scores[2::2]]
        assert any(confident)
        assert calls[2::2] == [1 if c else 2 for c in confident]
    finally:
        engine.close()


def test_the_plan_thins_the_full_range_pass_only_when_no_scan_would_fit():
    from app.analysis.governor import plan_full_every, plan_tiles

    assert plan_full_every(3 * 5.0, cores=2) == 1 and plan_tiles(3 * 5.0, cores=2) > 10
    assert plan_full_every(8 * 5.0, cores=2) == 1
    assert plan_full_every(16 * 5.0, cores=2) == 2 and plan_tiles(16 * 5.0, cores=2) >= 1.0
    assert plan_full_every(16 * 5.0, cores=8) == 1


def test_governor_thins_the_full_range_pass_when_no_scan_is_left_and_restores_it_first():
    gov = ScanGovernor(GovernorOptions(tiles=2, full_every=1, budget_ms_per_s=50.0, window=8))
    t = 0.0
    for _ in range(40):  # 30 ms per frame at 5 frames/s = 150 ms/s: three times the budget
        t += 0.2
        gov.observe("c", 30.0, 0.05, now=t)
    assert gov.tiles_per_frame == 0.0
    assert gov.full_every == 2
    assert [gov.full_due("c") for _ in range(4)] == [True, False, True, False]
    for _ in range(8):  # 1 ms per frame: room again; the full-range pass comes back before the scan
        t += 0.2
        gov.observe("c", 1.0, 0.05, now=t)
    assert gov.full_every == 1 and gov.tiles_per_frame == 0.0
    for _ in range(40):
        t += 0.2
        gov.observe("c", 1.0, 0.05, now=t)
    assert gov.tiles_per_frame == 2.0
