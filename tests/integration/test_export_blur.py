"""Face blurring in exports, checked with the real face detector on a real photo turned into a clip (keeping
one person sharp: test_export_keep.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from app.clips.encoder import open_encoder
from app.clips.export import Exporter, ExportRequest
from app.domain import BBox
from models.face_detector import MediaPipeFaceDetector
from tests.integration.test_clips_support import FakeAudit, needs_ffmpeg, record_file

pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def two_faces(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, float, float, list[BBox]]:
    """A 1.5 s clip of two real people, recorded and indexed; returns the faces' boxes in the clip too."""
    img = cv2.imread(str(shared_data / "faces" / "probe" / "two_people.jpg"))
    assert img is not None
    img = cv2.resize(img, (640, 376), interpolation=cv2.INTER_AREA)
    base = tmp_path_factory.mktemp("blur")
    enc = open_encoder(base / "people.mp4", (640, 376), 10.0)
    for _ in range(15):
        enc.write(img)
    src = enc.close()
    with MediaPipeFaceDetector("full", min_score=0.5) as det:
        boxes = [d.bbox for d in det.detect(img)]
    assert len(boxes) == 2, "the photo should show two detectable faces"
    db_path, rec = base / "vigil.sqlite3", base / "rec"
    segs = record_file(src, rec, db_path, camera_id="hall", segment_s=1)
    return db_path, rec, segs[0].start, segs[-1].end, boxes


def _faces_in(path: Path) -> list[list[BBox]]:
    cap = cv2.VideoCapture(str(path))
    out = []
    with MediaPipeFaceDetector("full", min_score=0.3) as det:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            out.append([d.bbox for d in det.detect(frame)])
    cap.release()
    assert out, "the export has no frames"
    return out


def _overlaps(found: BBox, face: BBox) -> bool:
    cx, cy = found.center
    return found.iou(face) > 0.05 or (face.x1 <= cx <= face.x2 and face.y1 <= cy <= face.y2)


def test_blurred_export_has_no_detectable_face(two_faces, tmp_path: Path) -> None:
    db_path, rec, start, end, boxes = two_faces
    req = ExportRequest(("hall",), start, end, tmp_path / "out", reason="privacy test", blur_faces=True)
    result = Exporter(db_path, rec, FakeAudit()).run(req)
    per_frame = _faces_in(result.files[0])  # at score 0.3, more eager than the station's 0.5
    hits = [f for faces in per_frame for f in faces if any(_overlaps(f, b) for b in boxes)]
    assert hits == []


def test_unblurred_export_still_shows_both_faces(two_faces, tmp_path: Path) -> None:
    db_path, rec, start, end, _ = two_faces
    req = ExportRequest(("hall",), start, end, tmp_path / "out", reason="control", overlays=False)
    result = Exporter(db_path, rec).run(
        ExportRequest(req.cameras, req.start, req.end, req.out_dir, req.reason, blur_faces=False)
    )
    assert all(len(faces) == 2 for faces in _faces_in(result.files[0]))
