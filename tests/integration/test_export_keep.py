"""Export-time analysis on real faces: the person of an event stays sharp, bystanders are covered, overlays
draw verdict-coloured boxes, an event that matches nobody blurs everyone and says so, cancel leaves nothing.

The recording is two real face photos (Kit Harington, Joe Biden) pasted on a plain background and moving
slowly towards each other, recorded and indexed as camera ``hall`` like the station does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.__main__ import main as vigil
from app.clips.encoder import open_encoder
from app.clips.export import Exporter, ExportRequest
from app.clips.export_analysis import AnalysisModels
from app.clips.faces import default_detector
from app.clips.ffmpeg import CancelledError
from app.clips.summary import NO_MASK_NOTE, NOT_FOUND_NOTE
from app.domain import BBox
from app.errors import ModelError
from models.face_detector import MediaPipeFaceDetector
from tests.integration.test_clips_support import FakeAudit, needs_ffmpeg, record_file

pytestmark = needs_ffmpeg

W, H, FPS, N = 960, 540, 10, 30
FACE = 170  # pasted crop size (the face inside is ~95 px)
EVENT_FRAME = 15


def _pos_a(i: int) -> tuple[int, int]:
    return 80 + 3 * i, 150


def _pos_b(i: int) -> tuple[int, int]:
    return 660 - 3 * i, 170


def _crop(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None
    with MediaPipeFaceDetector("full", min_score=0.5) as det:
        [d] = det.detect(img)
    cx, cy = d.bbox.center
    m = int(0.9 * d.bbox.size)
    crop = img[max(0, int(cy) - m) : int(cy) + m, max(0, int(cx) - m) : int(cx) + m]
    return cv2.resize(crop, (FACE, FACE), interpolation=cv2.INTER_AREA)


def _frame(a: np.ndarray, b: np.ndarray, i: int) -> np.ndarray:
    img = np.full((H, W, 3), 90, np.uint8)
    for crop, (x, y) in ((a, _pos_a(i)), (b, _pos_b(i))):
        img[y : y + FACE, x : x + FACE] = crop
    return img


@pytest.fixture(scope="module")
def hall(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The recording, indexed in a station database, and each person's face box in every frame."""
    gallery = shared_data / "faces" / "gallery"
    a, b = _crop(gallery / "kit_harington" / "john1.jpeg"), _crop(gallery / "joe_biden" / "biden.jpg")
    base = tmp_path_factory.mktemp("keep")
    enc = open_encoder(base / "hall.mp4", (W, H), float(FPS))
    boxes: list[tuple[BBox, BBox]] = []
    clean: list[np.ndarray] = []
    with MediaPipeFaceDetector("full", min_score=0.5) as det:
        for i in range(N):
            img = _frame(a, b, i)
            enc.write(img)
            clean.append(img)
            found = sorted((d.bbox for d in det.detect(img)), key=lambda bb: bb.x1)
            assert len(found) == 2, f"frame {i}: both pasted faces should be detectable"
            boxes.append((found[0], found[1]))
    src = enc.close()
    db_path, rec = base / "vigil.sqlite3", base / "rec"
    segs = record_file(src, rec, db_path, camera_id="hall", segment_s=1)
    return {
        "db": db_path,
        "rec": rec,
        "start": segs[0].start,
        "end": segs[-1].end,
        "boxes": boxes,
        "clean": clean,
    }


def _add_event(db_path: Path, at: float, box: BBox, frame: tuple[int, int] | None, track_id: int = 7) -> int:
    details: dict = {"verdict": "no_mask", "box": [box.x1, box.y1, box.x2, box.y2], "face_px": box.size}
    if frame is not None:
        details["frame"] = list(frame)
    with sqlite3.connect(db_path) as conn:
        cur = conn.execute(
            "INSERT INTO events (at, camera_id, kind, run_id, track_id, details) VALUES (?, 'hall', 'no_mask', 1, ?, ?)",
            (at, track_id, json.dumps(details)),
        )
        return int(cur.lastrowid or 0)


def _decode(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    assert len(frames) == N
    return frames


def _found(frames: list[np.ndarray]) -> list[list[BBox]]:
    with MediaPipeFaceDetector("full", min_score=0.3) as det:
        return [[d.bbox for d in det.detect(f)] for f in frames]


def _sharpness(img: np.ndarray, box: BBox) -> float:
    """Variance of the Laplacian inside the face (10 % in from its edges): ~0 for a covered face."""
    dx, dy = 0.1 * box.width, 0.1 * box.height
    roi = img[int(box.y1 + dy) : int(box.y2 - dy), int(box.x1 + dx) : int(box.x2 - dx)]
    return float(cv2.Laplacian(cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())


def _covered(img: np.ndarray, found: list[BBox], box: BBox) -> bool:
    """The face is flat and no face is detected on it (at 0.3 BlazeFace may still see one in a collar below)."""
    return _sharpness(img, box) < 5.0 and not any(f.iou(box) > 0.3 for f in found)


def _request(hall: dict, out: Path, **kw: object) -> ExportRequest:
    return ExportRequest(("hall",), hall["start"], hall["end"], out, reason="incident", **kw)  # type: ignore[arg-type]


def test_the_events_person_stays_sharp_before_and_after_the_event_and_the_bystander_is_covered(
    hall: dict, tmp_path: Path
) -> None:
    at = hall["start"] + EVENT_FRAME / FPS
    a_box = hall["boxes"][EVENT_FRAME][0]
    half = BBox(a_box.x1 / 2, a_box.y1 / 2, a_box.x2 / 2, a_box.y2 / 2)  # stored from a half-size sub-stream
    event_id = _add_event(hall["db"], at, half, (W // 2, H // 2))
    req = _request(hall, tmp_path / "out", blur_faces=True, keep_event=event_id)
    result = Exporter(hall["db"], hall["rec"], FakeAudit()).run(req)

    frames = _decode(result.files[0])
    for i, (img, found) in enumerate(zip(frames, _found(frames), strict=True)):
        a, b = hall["boxes"][i]
        assert any(f.iou(a) > 0.5 for f in found), f"frame {i}: the selected person is not recognisable"
        assert _sharpness(img, a) > 100, f"frame {i}: the selected person is blurred"
        assert _covered(img, found, b), f"frame {i}: the bystander's face is visible"
    manifest = json.loads(result.manifest.read_text())
    assert manifest["options"]["keep_event"] == event_id and manifest["options"]["keep_event_found"] is True
    summary = (result.folder / "summary.txt").read_text()
    assert f"every face except the person of event #{event_id}" in summary


def test_an_event_that_matches_nobody_blurs_every_face_and_says_so(hall: dict, tmp_path: Path) -> None:
    at = hall["start"] + EVENT_FRAME / FPS
    event_id = _add_event(hall["db"], at, BBox(850, 420, 940, 520), None)  # an empty corner of the frame
    result = Exporter(hall["db"], hall["rec"], FakeAudit()).run(
        _request(hall, tmp_path / "out", blur_faces=True, keep_event=event_id)
    )
    frames = _decode(result.files[0])
    for i, (img, found) in enumerate(zip(frames, _found(frames), strict=True)):
        assert all(_covered(img, found, box) for box in hall["boxes"][i]), f"frame {i}: a face is visible"
    options = json.loads(result.manifest.read_text())["options"]
    assert options["keep_event"] == event_id and options["keep_event_found"] is False
    assert options["keep_note"] == NOT_FOUND_NOTE
    assert "the selected person (event" in (result.folder / "summary.txt").read_text()
    assert "not found; every face is blurred" in (result.folder / "summary.txt").read_text()


def _red_run(img: np.ndarray, box: BBox) -> int:
    """Longest vertical run of verdict-red pixels (no mask: BGR 40, 40, 230) near the box's left edge."""
    x0 = int(box.x1)
    best = 0
    for x in range(max(0, x0 - 12), x0 + 12):
        col = img[int(box.y1) : int(box.y2), x].astype(int)
        red = (col[:, 2] > col[:, 1] + 80) & (col[:, 2] > col[:, 0] + 80)
        run = cur = 0
        for r in red:
            cur = cur + 1 if r else 0
            run = max(run, cur)
        best = max(best, run)
    return best


def _grey_run(img: np.ndarray, box: BBox) -> int:
    """Longest vertical run of 'uncertain' grey (170) pixels near the box's left edge."""
    x0 = int(box.x1)
    best = 0
    for x in range(max(0, x0 - 12), x0 + 12):
        col = img[int(box.y1) : int(box.y2), x].astype(int)
        grey = (np.abs(col - 170) < 20).all(axis=1)
        run = cur = 0
        for g in grey:
            cur = cur + 1 if g else 0
            run = max(run, cur)
        best = max(best, run)
    return best


def test_overlays_draw_a_verdict_coloured_box_around_each_face(hall: dict, tmp_path: Path) -> None:
    result = Exporter(hall["db"], hall["rec"], FakeAudit()).run(
        _request(hall, tmp_path / "out", overlays=True)
    )
    frames = _decode(result.files[0])
    late = N - 5  # the verdict has settled
    for box in hall["boxes"][late]:
        assert _red_run(frames[late], box) > 0.6 * box.height  # an unmasked face: a red box
        assert _red_run(hall["clean"][late], box) < 0.2 * box.height  # the footage itself has no such line
    options = json.loads(result.manifest.read_text())["options"]
    assert options["overlays"] is True and options["mask_verdicts"] is True


def test_without_the_mask_model_boxes_are_uncertain_and_the_summary_says_so(
    hall: dict, tmp_path: Path
) -> None:
    def broken() -> object:
        raise ModelError("cannot load mask model mask.onnx: corrupt")

    models = AnalysisModels(default_detector, broken)  # type: ignore[arg-type]
    exporter = Exporter(hall["db"], hall["rec"], FakeAudit(), models=models)
    result = exporter.run(_request(hall, tmp_path / "out", overlays=True))
    img = _decode(result.files[0])[N - 5]
    for box in hall["boxes"][N - 5]:
        assert _grey_run(img, box) > 0.6 * box.height and _red_run(img, box) < 0.2 * box.height
        assert _grey_run(hall["clean"][N - 5], box) < 0.3 * box.height
    options = json.loads(result.manifest.read_text())["options"]
    assert options["mask_verdicts"] is False and options["mask_note"] == NO_MASK_NOTE
    assert NO_MASK_NOTE in (result.folder / "summary.txt").read_text()


def test_cancel_during_the_analysis_pass_leaves_no_output_folder(hall: dict, tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[float] = []

    def progress(p: object) -> None:
        seen.append(p.fraction)  # type: ignore[attr-defined]
        if 0.0 < p.fraction < 0.5:  # type: ignore[attr-defined]
            cancel.set()

    audit = FakeAudit()
    with pytest.raises(CancelledError):
        Exporter(hall["db"], hall["rec"], audit).run(
            _request(hall, tmp_path / "out", blur_faces=True, overlays=True), progress, cancel
        )
    assert seen and max(seen) < 0.5  # it stopped in the first pass
    assert list((tmp_path / "out").iterdir()) == []
    assert [e[1] for e in audit.entries] == ["export_failed"]


def test_cli_keep_track_finds_the_tracks_event_or_names_the_fix(
    hall: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = hall["start"] + EVENT_FRAME / FPS
    event_id = _add_event(hall["db"], at, hall["boxes"][EVENT_FRAME][1], (W, H), track_id=41)
    base = ["export", "--camera", "hall", "--from", str(hall["start"]), "--to", str(hall["end"]),
            "--reason", "r", "--db", str(hall["db"]), "--recordings", str(hall["rec"]), "--blur-faces"]  # fmt: skip
    assert vigil([*base, "--out", str(tmp_path / "a"), "--keep-track", "41"]) == 0
    [folder] = list((tmp_path / "a").iterdir())
    options = json.loads((folder / "manifest.json").read_text())["options"]
    assert options["keep_track"] == 41 and options["keep_event"] == event_id and options["keep_event_found"]
    capsys.readouterr()
    assert vigil([*base, "--out", str(tmp_path / "b"), "--keep-track", "99"]) == 2
    err = capsys.readouterr().err
    assert "no event of track #99" in err and "--keep-event" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists() or list((tmp_path / "b").iterdir()) == []


def test_the_live_engines_event_names_the_person_to_keep(hall: dict, tmp_path: Path) -> None:
    """End to end: the station's own engine raises the event (with its frame size); the export keeps that one."""
    from app.analysis.engine import AnalysisEngine
    from app.analysis.spec import EngineSpec, build_parts
    from app.domain import Frame

    engine = AnalysisEngine(build_parts(EngineSpec(detector_preset="live")))
    events = []
    try:
        for i, img in enumerate(hall["clean"]):
            t = hall["start"] + i / FPS
            [out] = engine.analyse([Frame("hall", i, img, t, t)])
            events += out.events
    finally:
        engine.close()
    first = min(events, key=lambda e: e.at)
    assert first.details["frame"] == [W, H]
    with sqlite3.connect(hall["db"]) as conn:
        event_id = conn.execute(
            "INSERT INTO events (at, camera_id, kind, run_id, track_id, details) VALUES (?, 'hall', ?, 2, ?, ?)",
            (first.at, first.kind.value, first.track_id, json.dumps(first.details)),
        ).lastrowid
    box = BBox(*first.details["box"])
    person = 0 if box.iou(hall["boxes"][round((first.at - hall["start"]) * FPS)][0]) > 0.3 else 1
    result = Exporter(hall["db"], hall["rec"], FakeAudit()).run(
        _request(hall, tmp_path / "out", blur_faces=True, keep_event=event_id)
    )
    frames = _decode(result.files[0])
    for i, (img, found) in enumerate(zip(frames, _found(frames), strict=True)):
        kept, other = hall["boxes"][i][person], hall["boxes"][i][1 - person]
        assert _sharpness(img, kept) > 100 and _covered(img, found, other), f"frame {i}"


def test_overlays_judge_with_the_stations_quality_gate(hall: dict, tmp_path: Path) -> None:
    """A station whose [analysis] calls faces under 4096 px 'uncertain' exports grey boxes, not red ones."""
    from app.clips.export_analysis import default_models
    from app.config import AnalysisConfig

    strict = default_models(AnalysisConfig(min_face_px=4096))
    result = Exporter(hall["db"], hall["rec"], FakeAudit(), models=strict).run(
        _request(hall, tmp_path / "out", overlays=True)
    )
    img = _decode(result.files[0])[N - 5]
    for box in hall["boxes"][N - 5]:
        assert _grey_run(img, box) > 0.6 * box.height and _red_run(img, box) < 0.2 * box.height
