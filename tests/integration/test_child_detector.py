"""The enrolment face detector in a spawned child process: same faces as in-process, restarts after
the child is killed, a clear error instead of a hang, and no process left behind after close()."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from app.analysis.child_detector import ChildProcessDetector
from app.clips.encoder import open_encoder
from app.clips.export import Exporter, ExportRequest
from app.clips.export_analysis import default_models
from app.clips.faces import default_detector
from app.domain import Detection
from app.errors import ModelError, UserError
from app.watchlist.faces import make_enrolment_detector, read_image
from models.face_detector import FaceDetector, MediaPipeFaceDetector
from tests.integration.child_detector_helpers import (
    make_broken_model,
    make_dying_detector,
    make_silent_detector,
)
from tests.integration.test_clips_support import FakeAudit, needs_ffmpeg, record_file

HANG_GUARD_S = 120.0  # only so a broken implementation fails instead of hanging the suite


@pytest.fixture(scope="module")
def child() -> Iterator[ChildProcessDetector]:
    det = ChildProcessDetector(make_enrolment_detector)
    yield det
    det.close()


@pytest.fixture(scope="module")
def local() -> Iterator[FaceDetector]:
    det = make_enrolment_detector()
    yield det
    det.close()


def _child_pids() -> set[int]:
    """This process's children, less multiprocessing's resource tracker (one per process, kept)."""
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    }


def _guarded(call: Callable[[], object]) -> object:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result(timeout=HANG_GUARD_S)


def _same(a: list[Detection], b: list[Detection]) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert isinstance(x, Detection)
        for u, v in zip(
            (x.bbox.x1, x.bbox.y1, x.bbox.x2, x.bbox.y2),
            (y.bbox.x1, y.bbox.y1, y.bbox.x2, y.bbox.y2),
            strict=True,
        ):
            assert abs(u - v) <= 1.0
        assert np.allclose(x.keypoints, y.keypoints, atol=1.0)


@pytest.mark.parametrize("name", ["gallery/joe_biden/biden.jpg", "probe/two_people.jpg", "probe/32bit.png"])
def test_child_finds_the_same_faces_as_in_process(
    child: ChildProcessDetector, local: FaceDetector, shared_data: Path, name: str
) -> None:
    image = read_image(shared_data / "faces" / name)
    _same(child.detect(image), local.detect(image))
    assert child.pid is not None and child.pid != os.getpid() and child.pid in _child_pids()


def test_child_finds_no_face_in_a_picture_without_one(child: ChildProcessDetector) -> None:
    ramp = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))  # grey, no face
    assert child.detect(ramp) == []
    assert child.detect(np.zeros((0, 0, 3), np.uint8)) == []


@needs_ffmpeg
def test_a_blurred_export_through_the_child_detector_hides_both_faces(
    shared_data: Path, tmp_path: Path
) -> None:
    """The GUI's exporter finds faces with ``ChildProcessDetector(default_detector)`` (app/cli/gui.py)."""
    img = cv2.resize(read_image(shared_data / "faces" / "probe" / "two_people.jpg"), (640, 376))
    enc = open_encoder(tmp_path / "people.mp4", (640, 376), 10.0)
    for _ in range(10):
        enc.write(img)
    segs = record_file(
        enc.close(), tmp_path / "rec", tmp_path / "vigil.sqlite3", camera_id="hall", segment_s=1
    )
    before = _child_pids()
    exporter = Exporter(
        tmp_path / "vigil.sqlite3",
        tmp_path / "rec",
        FakeAudit(),
        models=replace(default_models(), detector=functools.partial(ChildProcessDetector, default_detector)),
    )
    req = ExportRequest(("hall",), segs[0].start, segs[-1].end, tmp_path / "out", "privacy", blur_faces=True)
    result = exporter.run(req)
    assert _child_pids() <= before  # the renderer closed its detector
    cap = cv2.VideoCapture(str(result.files[0]))
    hits, frames = [], 0
    with MediaPipeFaceDetector("full", min_score=0.3) as det:
        faces = [d.bbox for d in det.detect(img)]
        assert len(faces) == 2  # the unblurred picture shows both
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames += 1
            hits += [d for d in det.detect(frame) if any(d.bbox.iou(f) > 0.05 for f in faces)]
    cap.release()
    assert frames > 0 and hits == []


def test_a_killed_child_is_restarted_and_close_leaves_none(shared_data: Path) -> None:
    image = read_image(shared_data / "faces" / "gallery" / "joe_biden" / "biden.jpg")
    det = ChildProcessDetector(make_enrolment_detector)
    assert det.pid is None  # started lazily
    try:
        first = det.detect(image)
        old = det.pid
        assert old is not None and len(first) == 1
        os.kill(old, signal.SIGKILL)
        again = _guarded(lambda: det.detect(image))
        assert again == first and det.pid not in (None, old)
        new = det.pid
    finally:
        det.close()
    assert det.pid is None
    assert old not in _child_pids() and new not in _child_pids()  # joined: not even a zombie
    assert all(p.pid not in (old, new) for p in multiprocessing.active_children())
    with pytest.raises(RuntimeError, match="after close"):
        det.detect(image)


def test_a_child_that_never_answers_gives_a_clear_error() -> None:
    before = _child_pids()
    det = ChildProcessDetector(make_silent_detector, reply_timeout_s=1.0)
    try:
        with pytest.raises(UserError, match="face detection process did not answer within 1 s"):
            _guarded(lambda: det.detect(np.zeros((64, 64, 3), np.uint8)))
        stuck = det.pid
        assert stuck is None  # the stuck child was ended, the next photo starts a new one
    finally:
        det.close()
    assert _child_pids() <= before


def test_a_child_that_keeps_dying_is_restarted_once_then_reported() -> None:
    before = _child_pids()
    det = ChildProcessDetector(make_dying_detector)
    with pytest.raises(UserError, match=r"face detection process stopped again \(.*exit code 3\)"):
        _guarded(lambda: det.detect(np.zeros((64, 64, 3), np.uint8)))
    det.close()
    assert _child_pids() <= before


def test_a_model_error_in_the_child_reaches_the_caller_as_is() -> None:
    before = _child_pids()
    det = ChildProcessDetector(make_broken_model)
    with pytest.raises(ModelError, match="checksum differs; reinstall Vigil"):
        _guarded(lambda: det.detect(np.zeros((64, 64, 3), np.uint8)))
    det.close()
    assert _child_pids() <= before
