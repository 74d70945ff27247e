"""The export dialog in the real window on a really recorded H.264 clip: a manifest that verifies and an
audit entry in the user's name, cancel leaves nothing, a range without recording names the nearest ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlite_utils import Database

from app.clips.index import all_segments
from app.clips.manifest import sha256_file, verify_manifest
from app.clips.naming import utc_iso
from app.domain import Event, EventKind
from app.store import StoreReader
from tests.integration.test_clips_support import make_h264, needs_ffmpeg, record_file
from tests.qt.integration_helpers import make_accounts, running_window
from widgets.export.export_dialog import ExportDialog

pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of H.264 recorded as ``cam1`` (2 s segments) into a store with accounts; copied per test."""
    base = tmp_path_factory.mktemp("recorded")
    clip = make_h264(base / "door.mp4", 6)
    make_accounts(base / "vigil.sqlite3")
    record_file(clip, base / "recordings", base / "vigil.sqlite3", camera_id="cam1", segment_s=2)
    return base


@pytest.fixture
def recorded(template: Path, tmp_path: Path) -> tuple[Path, Path, float, float]:
    """(base, clip, first start, last end) in this test's own copy of the template."""
    base = tmp_path / "station"
    shutil.copytree(template, base)
    segs = all_segments(Database(str(base / "vigil.sqlite3")), "cam1")
    return base, base / "door.mp4", segs[0].start, segs[-1].end


def _exports(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_export_from_an_event_writes_a_verified_manifest_in_the_users_name(qtbot, recorded) -> None:
    base, clip, t0, _ = recorded
    with running_window(qtbot, base, clip, user="sue") as rig:
        roles = rig.window.roles
        assert roles is not None
        event = Event(t0 + 3.4, "cam1", EventKind.NO_MASK, 2)
        dialog = roles.export_event(event)
        assert isinstance(dialog, ExportDialog) and dialog.selected_cameras() == ("cam1",)
        start, end = dialog.time_range()
        assert (start, end) == (int(t0 + 3.4 - 10), int(t0 + 3.4 + 10) + 1)  # whole seconds around it
        assert utc_iso(start)[:19].replace("T", " ") in dialog.utc_label.text()

        out = base / "usb"
        dialog.out_edit.setText(str(out))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert "reason is required" in dialog.message.text() and not dialog.running

        dialog.reason_edit.setText("theft reported by shop 12")
        dialog.case_edit.setText("PD-7")
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=20000)
        result = dialog.result_
        assert result is not None and result.folder.parent == out.resolve()
        assert f"Manifest SHA-256 {sha256_file(result.manifest)}" in dialog.message.text()
        assert str(result.folder) in dialog.message.text()
        manifest = json.loads(result.manifest.read_text())
        assert manifest["created_by"] == "sue" and manifest["case_ref"] == "PD-7"
        assert verify_manifest(result.manifest).ok
        assert dialog.progress.value() == 1000
        assert rig.station.writer.flush()
        audit = [(r.actor, r.action, r.details) for r in StoreReader(rig.station.db_path()).audit_rows()]
        [(actor, _, details)] = [a for a in audit if a[1] == "export"]
        assert actor == "sue" and details["manifest_sha256"] == result.manifest_sha256
        assert "Exported to" in rig.window.notices.text()


def test_cancel_leaves_nothing_behind(qtbot, recorded) -> None:
    base, clip, t0, t_end = recorded
    with running_window(qtbot, base, clip, user="sue") as rig:
        assert rig.window.roles is not None
        dialog = rig.window.roles.open_export(["cam1"], t0, t_end)
        assert dialog is not None
        out = base / "out"
        dialog.out_edit.setText(str(out))
        dialog.reason_edit.setText("check")
        dialog.overlays_check.setChecked(True)  # re-encode: long enough to cancel in the middle
        dialog._signals.progressed.connect(lambda _p: dialog.cancel_export())
        assert dialog.start_export()
        qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
        qtbot.waitUntil(lambda: "cancelled" in dialog.message.text())
        assert dialog.result_ is None and dialog.export_button.isEnabled()
        assert _exports(out) == []  # neither a folder nor a hidden .part
        assert rig.station.writer.flush()
        actions = [r.action for r in StoreReader(rig.station.db_path()).audit_rows()]
        assert "export_failed" in actions and "export" not in actions


def test_a_range_without_recording_names_the_nearest_recorded_range(qtbot, recorded) -> None:
    base, clip, t0, t_end = recorded
    with running_window(qtbot, base, clip, user="boss") as rig:
        assert rig.window.roles is not None
        dialog = rig.window.roles.open_export(["cam1"], t_end + 3600, t_end + 3700)
        assert dialog is not None
        dialog.out_edit.setText(str(base / "out"))
        dialog.reason_edit.setText("check")
        assert dialog.start_export()
        qtbot.waitUntil(
            lambda: not dialog.running and "no recording" in dialog.message.text().lower(), timeout=20000
        )
        assert "nearest recorded" in dialog.message.text() and utc_iso(t0) in dialog.message.text()
        assert dialog.result_ is None and _exports(base / "out") == []


def test_export_is_refused_when_the_session_locked_while_the_dialog_was_open(qtbot, recorded) -> None:
    base, clip, t0, t_end = recorded
    with running_window(qtbot, base, clip, user="sue") as rig:
        assert rig.window.roles is not None and rig.window.gate is not None
        dialog = rig.window.roles.open_export(["cam1"], t0, t_end)
        assert dialog is not None
        dialog.reason_edit.setText("check")
        rig.window.gate.session.lock()
        assert not dialog.start_export()
        assert "expired" in dialog.message.text()


def test_export_from_a_stored_event_offers_to_keep_that_person_sharp(qtbot, recorded) -> None:
    base, clip, t0, _ = recorded
    with running_window(qtbot, base, clip, user="sue") as rig:
        roles = rig.window.roles
        assert roles is not None
        box = {"box": [100.0, 60.0, 160.0, 130.0], "frame": [320, 240], "verdict": "no_mask", "face_px": 70.0}
        event = Event(t0 + 3.0, "cam1", EventKind.NO_MASK, 5, box)
        rig.station.writer.submit(event)
        assert rig.station.writer.flush()
        [row] = [r for r in StoreReader(rig.station.db_path()).recent_events(10) if r.track_id == 5]

        from_camera = roles.export_camera("cam1")
        assert from_camera is not None and from_camera.keep_check.isHidden()
        assert from_camera.request().keep_event is None

        dialog = roles.export_event(event)
        assert dialog is not None and not dialog.keep_check.isHidden()
        assert dialog.keep_check.text() == f"Keep this person sharp (event #{row.id})"
        assert dialog.keep_check.isChecked() and not dialog.keep_check.isEnabled()  # only with blurring
        assert dialog.request().keep_event is None
        dialog.blur_check.setChecked(True)
        assert dialog.keep_check.isEnabled() and dialog.request().keep_event == row.id

        dialog.out_edit.setText(str(base / "out"))
        dialog.reason_edit.setText("incident on the escalator")
        assert dialog.start_export()
        qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=30000)
        result = dialog.result_
        assert result is not None
        # the test pattern has no faces: the person cannot be found, and the user is told so
        assert "selected person was not found; every face is blurred" in dialog.message.text()
        options = json.loads(result.manifest.read_text())["options"]
        assert options["keep_event"] == row.id and options["keep_event_found"] is False


def test_a_damaged_segment_is_skipped_and_named_in_the_dialog(qtbot, recorded) -> None:
    base, clip, t0, t_end = recorded
    segs = all_segments(Database(str(base / "vigil.sqlite3")), "cam1")
    bad = base / "recordings" / segs[1].path
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])  # cut in half: its MP4 index is gone
    with running_window(qtbot, base, clip, user="sue") as rig:
        roles = rig.window.roles
        assert roles is not None
        dialog = roles.export_event(Event(t0 + 3.0, "cam1", EventKind.NO_MASK, 2))
        assert isinstance(dialog, ExportDialog)
        dialog.out_edit.setText(str(base / "usb"))
        dialog.reason_edit.setText("damaged segment in the range")
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=20000)
        result = dialog.result_
        assert result is not None
        lines = [ln for ln in dialog.message.text().splitlines() if ln.startswith("Skipped a damaged recording")]
        assert len(lines) == 1 and Path(segs[1].path).name in lines[0] and "truncated" in lines[0]
        assert [k.segment.path for _, k in result.skipped] == [segs[1].path]
        assert verify_manifest(result.manifest).ok
