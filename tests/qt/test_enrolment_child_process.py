"""With PySide6 loaded and a QApplication running, the enrolment dialog finds faces through the
child-process detector (the GUI's wiring): MediaPipe runs in a child that never loaded Qt."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.analysis.child_detector import ChildProcessDetector
from app.security.db import DirectRunner
from app.store import open_db
from app.watchlist import create_watchlist
from app.watchlist.faces import make_child_enrolment_detector
from app.watchlist.service import AccountService, WatchlistService
from widgets.security import EnrolmentDialog


def _maps_qt(pid: int) -> bool:
    return any("PySide6" in m.path or "libQt6" in m.path for m in psutil.Process(pid).memory_maps())


@pytest.fixture
def service(tmp_path: Path, shared_data: Path):
    from models.face_embedder import OnnxFaceEmbedder

    db = open_db(tmp_path / "vigil.sqlite3")
    model = shared_data / "models" / "MobileFaceNet.onnx"
    svc = WatchlistService(
        DirectRunner(db), embedder=lambda: OnnxFaceEmbedder(model), detector=make_child_enrolment_detector
    )
    yield svc, db
    svc.close()
    db.close()


def test_enrolment_dialog_finds_the_face_in_a_child_process(qtbot, service, shared_data: Path) -> None:
    svc, db = service
    assert QApplication.instance() is not None and _maps_qt(os.getpid())
    admin = AccountService(svc.runner).create_first_admin("root", "correct horse battery")
    create_watchlist(db, admin, "mall", "banned")
    dlg = EnrolmentDialog(svc, admin, "mall")
    qtbot.addWidget(dlg)
    dlg.show()

    assert dlg.add_image(shared_data / "faces" / "gallery" / "joe_biden" / "biden.jpg") == 1
    detector = svc.detector()
    assert isinstance(detector, ChildProcessDetector)
    pid = detector.pid
    assert pid is not None and pid in {p.pid for p in psutil.Process().children()}
    assert not _maps_qt(pid)  # the child never loaded Qt, so the PySide6 hang cannot happen there
    assert any("mediapipe" in m.path for m in psutil.Process(pid).memory_maps())  # it ran the detector

    for edit, text in (
        (dlg.label_edit, "Person B"),
        (dlg.reason_edit, "violence"),
        (dlg.basis_edit, "ban 4"),
    ):
        edit.setText(text)
    with qtbot.waitSignal(dlg.enrolled, timeout=10000):
        qtbot.mouseClick(dlg.enrol_button, Qt.MouseButton.LeftButton)
    assert dlg.identity is not None and dlg.identity.embeddings == 1

    svc.close()
    assert pid not in {p.pid for p in psutil.Process().children()}
