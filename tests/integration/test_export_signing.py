"""Signed exports: a recipient with only the station's public key can tell an intact export from a forged one."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.__main__ import main as vigil
from app.clips.export import Exporter, ExportRequest
from app.clips.index import all_segments
from app.clips.manifest import sha256_file, sign_manifest, write_json
from app.clips.naming import utc_iso
from app.security.station_key import PRIVATE_NAME, key_dir, load_or_create
from app.store import StoreReader
from tests.integration.test_clips_support import make_h264, needs_ffmpeg, record_file

pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float, float]:
    base = tmp_path_factory.mktemp("recorded_sign")
    src = make_h264(base / "src.mp4", 4)
    db_path, rec = base / "vigil.sqlite3", base / "rec"
    record_file(src, rec, db_path, camera_id="cam1", segment_s=2)
    segs = all_segments(Database(str(db_path)), "cam1")
    return db_path, rec, segs[0].start, segs[-1].end


def _export(recorded, out: Path) -> Path:
    db_path, rec, t0, t1 = recorded
    req = ExportRequest(("cam1",), t0, t1, out, reason="police request", user="alice")
    return Exporter(db_path, rec).run(req).manifest


def _other_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A recipient's machine: its own empty data dir, holding only the station's public key file."""
    pub = tmp_path / "station.pub"
    assert vigil(["keys", "export-public", str(pub)]) == 0
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path / "recipient"))
    return pub


def test_export_verifies_on_another_machine_with_only_the_public_key(
    recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _export(recorded, tmp_path / "out")
    data = json.loads(manifest.read_text())
    station, _ = load_or_create()
    assert data["signature"]["fingerprint"] == station.public.fingerprint
    priv = key_dir() / PRIVATE_NAME
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600 and stat.S_IMODE(priv.parent.stat().st_mode) == 0o700
    pub = _other_machine(tmp_path, monkeypatch)
    capsys.readouterr()
    assert vigil(["verify", str(manifest.parent), "--key", str(pub)]) == 0
    out = capsys.readouterr().out
    assert "SIGNED by the expected station" in out and "OK:" in out
    assert not (tmp_path / "recipient" / "keys" / PRIVATE_NAME).exists()  # verifying creates no key
    assert vigil(["verify", str(manifest.parent), "--fingerprint", station.public.fingerprint]) == 0


def test_export_audit_names_the_signing_key(recorded, tmp_path: Path) -> None:
    db_path, rec, t0, t1 = recorded
    out = tmp_path / "out"
    argv = ["export", "--camera", "cam1", "--from", utc_iso(t0), "--to", utc_iso(t1), "--out", str(out),
            "--reason", "police request", "--case", "SIGN/1", "--db", str(db_path), "--recordings", str(rec)]  # fmt: skip
    assert vigil(argv) == 0
    [folder] = list(out.iterdir())
    fp = json.loads((folder / "manifest.json").read_text())["signature"]["fingerprint"]
    with StoreReader(db_path) as reader:
        rows = [r for r in reader.audit_rows() if r.action == "export" and r.details.get("case_ref") == "SIGN/1"]
    assert len(rows) == 1 and rows[0].details["signed_by"] == fp


def _forge_video(manifest: Path) -> dict:
    """Edit the clip and recompute its hash in the manifest, as a forger without the private key would."""
    data = json.loads(manifest.read_text())
    entry = next(f for f in data["files"] if f["name"].endswith(".mp4"))
    clip = manifest.parent / entry["name"]
    with clip.open("r+b") as fh:
        fh.seek(os.path.getsize(clip) // 2)
        fh.write(b"\x00" * 64)
    entry["sha256"] = sha256_file(clip)
    if "bytes" in entry:
        entry["bytes"] = clip.stat().st_size
    return data


@pytest.mark.parametrize("forgery", ["hashes recomputed", "re-signed with another key", "signature stripped"])
def test_forged_export_fails_against_the_station_key(
    recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], forgery: str
) -> None:
    manifest = _export(recorded, tmp_path / "out")
    data = _forge_video(manifest)
    if forgery == "re-signed with another key":
        forger, _ = load_or_create(tmp_path / "forger_keys")
        data = sign_manifest({k: v for k, v in data.items() if k != "signature"}, forger)
    elif forgery == "signature stripped":
        data.pop("signature")
    write_json(manifest, data)
    pub = _other_machine(tmp_path, monkeypatch)
    capsys.readouterr()
    assert vigil(["verify", str(manifest.parent), "--key", str(pub)]) == 1
    out = capsys.readouterr().out
    expected = {"hashes recomputed": "BAD SIGNATURE", "re-signed with another key": "WRONG SIGNER",
                "signature stripped": "UNSIGNED"}[forgery]  # fmt: skip
    assert expected in out and "FAILED" in out and "Traceback" not in out


def test_bad_key_file_and_fingerprint_are_one_line(
    recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _export(recorded, tmp_path / "out")
    junk = tmp_path / "junk.pub"
    junk.write_text("hello\n")
    assert vigil(["verify", str(manifest.parent), "--key", str(junk)]) == 2
    assert vigil(["verify", str(manifest.parent), "--fingerprint", "abc"]) == 2
    err = capsys.readouterr().err
    assert "not a Vigil station public key" in err and "64 hex digits" in err and "Traceback" not in err


def test_keys_show_prints_the_fingerprint_not_the_private_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert vigil(["keys", "show"]) == 0
    out = capsys.readouterr().out
    station, _ = load_or_create()
    assert station.public.b64 in out and "PRIVATE KEY" not in out
    assert " ".join(station.public.fingerprint[i : i + 4] for i in range(0, 8, 4)) in out
