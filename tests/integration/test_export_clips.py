"""Exporting recorded ranges: stream copy and re-encode, manifest, verify, gaps, bad input, audit, CLI."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.__main__ import main as vigil
from app.clips.export import Exporter, ExportRequest
from app.clips.ffmpeg import CancelledError
from app.clips.index import all_segments
from app.clips.manifest import sha256_file, verify_manifest
from app.clips.naming import utc_iso
from app.errors import UserError
from app.store import StoreReader
from tests.integration.test_clips_support import FakeAudit, decode_count, make_h264, needs_ffmpeg, record_file

pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float, float]:
    """6 s of 15 fps H.264 recorded as 2 s segments: (db, recordings dir, first start, last end)."""
    base = tmp_path_factory.mktemp("recorded")
    src = make_h264(base / "src.mp4", 6)
    db_path, rec = base / "vigil.sqlite3", base / "rec"
    record_file(src, rec, db_path, camera_id="cam1", segment_s=2)
    segs = all_segments(Database(str(db_path)), "cam1")
    return db_path, rec, segs[0].start, segs[-1].end


def _request(out: Path, start: float, end: float, **kw: object) -> ExportRequest:
    args: dict = {"cameras": ("cam1",), "reason": "shoplifting complaint", "user": "alice", **kw}
    return ExportRequest(start=start, end=end, out_dir=out, **args)


def test_stream_copy_export_holds_the_range_and_a_manifest_that_verifies(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, _ = recorded
    audit = FakeAudit()
    progress: list[float] = []
    req = _request(tmp_path / "out", t0 + 1.0, t0 + 4.0, case_ref="CASE-17")
    result = Exporter(db_path, rec, audit).run(req, lambda p: progress.append(p.fraction))

    [clip] = result.files
    frames, fps = decode_count(clip)
    assert fps == 15.0
    assert 45 <= frames <= 45 + 2 * 15  # at least the 3 s asked; copy starts on the keyframe before
    assert result.cameras[0].method == "stream-copy" and result.gaps == []
    assert progress[-1] == 1.0

    manifest = json.loads(result.manifest.read_text())
    assert manifest["reason"] == "shoplifting complaint" and manifest["created_by"] == "alice"
    assert manifest["case_ref"] == "CASE-17" and manifest["tool"]["name"] == "vigil"
    assert manifest["range"]["start_utc"] == utc_iso(t0 + 1.0)
    assert {f["name"] for f in manifest["files"]} == {clip.name, "summary.txt"}
    assert all(f["sha256"] == sha256_file(result.folder / f["name"]) for f in manifest["files"])
    assert manifest["cameras"][0]["source_segments"]
    assert "shoplifting complaint" in (result.folder / "summary.txt").read_text()
    assert verify_manifest(result.manifest).ok

    [(actor, action, target, details)] = audit.entries
    assert (actor, action, target) == ("alice", "export", "cam1")
    assert details["reason"] == "shoplifting complaint" and details["files"][clip.name] == sha256_file(clip)
    assert details["manifest_sha256"] == sha256_file(result.manifest)

    # one flipped byte in the clip: verify names that file and exits 1
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF
    clip.write_bytes(bytes(data))
    report = verify_manifest(result.manifest)
    assert [(c.name, c.status) for c in report.problems] == [(clip.name, "changed")]
    assert vigil(["verify", str(result.folder)]) == 1


def test_reencoded_export_is_frame_exact_and_draws_overlays(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, _ = recorded
    req = _request(tmp_path / "out", t0 + 1.0, t0 + 4.0, overlays=True)
    result = Exporter(db_path, rec, FakeAudit(), camera_names={"cam1": "Entrance"}).run(req)
    frames, _ = decode_count(result.files[0])
    assert abs(frames - 45) <= 1
    assert result.cameras[0].method == "re-encoded"
    assert "Entrance" in (result.folder / "summary.txt").read_text()


def test_partly_recorded_range_exports_what_exists_and_lists_the_gaps(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, t_end = recorded
    req = _request(tmp_path / "out", t0 + 3.0, t_end + 20.0)
    result = Exporter(db_path, rec, FakeAudit()).run(req)
    assert result.files and decode_count(result.files[0])[0] >= 15
    manifest = json.loads(result.manifest.read_text())
    [gap] = manifest["cameras"][0]["gaps"]
    assert gap["start"] == pytest.approx(t_end, abs=0.2) and gap["end"] == pytest.approx(t_end + 20.0)
    assert "GAP" in (result.folder / "summary.txt").read_text()


def test_range_without_recording_names_the_nearest_recorded_range_and_is_audited(
    recorded, tmp_path: Path
) -> None:
    db_path, rec, t0, t_end = recorded
    audit = FakeAudit()
    with pytest.raises(UserError, match="no recording") as err:
        Exporter(db_path, rec, audit).run(_request(tmp_path / "out", t_end + 3600, t_end + 3700))
    assert utc_iso(t0) in str(err.value)
    assert [a[1] for a in audit.entries] == ["export_failed"]
    assert audit.entries[0][3]["reason"] == "shoplifting complaint"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"start_off": 4.0, "end_off": 1.0}, "reversed"),
        ({"cameras": ("nope",)}, "unknown camera 'nope'"),
        ({"reason": "   "}, "reason is required"),
    ],
)
def test_bad_requests_are_clear_user_errors(recorded, tmp_path: Path, kw: dict, message: str) -> None:
    db_path, rec, t0, _ = recorded
    start, end = t0 + kw.pop("start_off", 1.0), t0 + kw.pop("end_off", 2.0)
    with pytest.raises(UserError, match=message):
        Exporter(db_path, rec, FakeAudit()).run(_request(tmp_path / "out", start, end, **kw))


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can write anywhere")
def test_unwritable_out_dir_is_a_user_error(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, _ = recorded
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises(UserError, match="cannot write to output folder"):
        Exporter(db_path, rec).run(_request(locked / "sub", t0 + 1, t0 + 2))


def test_out_dir_that_is_a_file_is_a_user_error(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, _ = recorded
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot write to output folder"):
        Exporter(db_path, rec).run(_request(blocker / "sub", t0 + 1, t0 + 2))


def test_case_reference_with_slashes_cannot_escape_the_out_dir(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, _ = recorded
    out = tmp_path / "box" / "out"
    result = Exporter(db_path, rec).run(_request(out, t0 + 1, t0 + 2, case_ref="../../../etc/passwd\\..\\x"))
    assert result.folder.parent == out.resolve()
    outside = [
        p for p in (tmp_path / "box").rglob("*") if out.resolve() not in p.resolve().parents and p != out
    ]
    assert outside == []
    assert verify_manifest(result.manifest).ok


def test_cancel_leaves_no_export_folder(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, t_end = recorded
    cancel = threading.Event()
    cancel.set()
    audit = FakeAudit()
    with pytest.raises(CancelledError):
        Exporter(db_path, rec, audit).run(_request(tmp_path / "out", t0, t_end, overlays=True), cancel=cancel)
    assert list((tmp_path / "out").iterdir()) == []
    assert audit.entries[0][1] == "export_failed"


def test_cli_export_then_verify(recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path, rec, t0, _ = recorded
    out = tmp_path / "out"
    argv = ["export", "--camera", "cam1", "--from", utc_iso(t0 + 1), "--to", utc_iso(t0 + 3), "--out", str(out),
            "--reason", "police request", "--case", "A/1", "--db", str(db_path), "--recordings", str(rec)]  # fmt: skip
    assert vigil(argv) == 0
    captured = capsys.readouterr()
    assert "export:" in captured.err and "100.0 %" in captured.err
    [folder] = [p for p in out.iterdir()]
    assert (folder / "manifest.json").is_file()
    with StoreReader(db_path) as reader:  # the real hash-chained audit log
        rows = [r for r in reader.audit_rows() if r.action == "export" and r.details.get("case_ref") == "A/1"]
        assert len(rows) == 1 and rows[0].details["reason"] == "police request"
        assert rows[0].details["manifest_sha256"] == sha256_file(folder / "manifest.json")
        assert reader.verify_audit().ok
    assert vigil(["verify", str(out)]) == 0
    assert "OK" in capsys.readouterr().out
    (folder / "summary.txt").unlink()
    assert vigil(["verify", str(folder / "manifest.json")]) == 1
    assert "MISSING" in capsys.readouterr().out


def test_cli_reversed_range_exits_2_with_one_line(
    recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path, rec, t0, _ = recorded
    argv = ["export", "--camera", "cam1", "--from", utc_iso(t0 + 3), "--to", utc_iso(t0 + 1), "--out", str(tmp_path),
            "--reason", "r", "--db", str(db_path), "--recordings", str(rec)]  # fmt: skip
    assert vigil(argv) == 2
    err = capsys.readouterr().err
    assert "reversed" in err and "Traceback" not in err


def test_camera_id_with_path_separators_stays_inside_recordings_and_out_dir(tmp_path: Path) -> None:
    evil = "../../etc"
    src = make_h264(tmp_path / "src.mp4", 2)
    (tmp_path / "db").mkdir()
    db_path, rec = tmp_path / "db" / "vigil.sqlite3", tmp_path / "box" / "rec"
    [*segs] = record_file(src, rec, db_path, camera_id=evil, segment_s=1)
    assert segs and all((rec / s.path).resolve().is_relative_to(rec.resolve()) for s in segs)
    out = tmp_path / "box" / "out"
    result = Exporter(db_path, rec).run(
        ExportRequest((evil,), segs[0].start, segs[-1].end, out, reason="test", case_ref="..")
    )
    assert all(p.resolve().is_relative_to(out.resolve()) for p in result.files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box", "db", "src.mp4"]
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["out", "rec"]
