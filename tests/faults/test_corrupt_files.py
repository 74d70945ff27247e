"""A truncated or garbled database and a damaged settings file: one clear line, no traceback, the file is
left as it was, and the station starts with a good file (the rest keeps working). Real CLI processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.conftest import report
from tests.media import make_clip

REPO = Path(__file__).resolve().parents[2]


def vigil(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "VIGIL_CONFIG_DIR": str(env_dir / "config"),
        "VIGIL_DATA_DIR": str(env_dir / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _run(clip: Path, db: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return vigil(
        "run", "--headless", "--source", str(clip), "--db", str(db), "--duration", "1.5",
        "--analysis", "off", "--quiet", *extra, env_dir=tmp,
    )  # fmt: skip


def _one_clear_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_damaged_database_is_one_line_and_a_good_one_still_works(tmp_path: Path, damage: str) -> None:
    clip = make_clip(tmp_path / "door.mp4", frames=45, size=(160, 120), fps=15)
    db = tmp_path / "events.sqlite3"
    assert _run(clip, db, tmp_path, "--no-config").returncode == 0
    data = bytearray(db.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[100:4096] = b"\x5a" * (4096 - 100)
    db.write_bytes(bytes(data))
    line = _one_clear_line(_run(clip, db, tmp_path, "--no-config"))
    assert "damaged" in line and str(db) in line and ".recover" in line
    assert db.read_bytes() == bytes(data)  # never rewritten: the operator can still recover it
    fresh = _run(clip, tmp_path / "new.sqlite3", tmp_path, "--no-config")
    assert fresh.returncode == 0, fresh.stderr
    report(f"corrupt_database_{damage}", message=line[:120])


@pytest.mark.parametrize(
    "content",
    [b'version = 1\n[[cameras]\nid = "x', bytes(range(256)) * 3, b""],
    ids=["bad-toml", "binary", "empty-truncated"],
)
def test_damaged_settings_file_is_one_line_and_the_station_starts_without_it(
    tmp_path: Path, content: bytes
) -> None:
    clip = make_clip(tmp_path / "door.mp4", frames=45, size=(160, 120), fps=15)
    cfg = tmp_path / "vigil.toml"
    cfg.write_bytes(content)
    proc = _run(clip, tmp_path / "e.sqlite3", tmp_path, "--config", str(cfg))
    line = _one_clear_line(proc)
    assert str(cfg.name) in line
    assert cfg.read_bytes() == content
    ok = _run(clip, tmp_path / "e.sqlite3", tmp_path, "--no-config")
    assert ok.returncode == 0, ok.stderr
    report("corrupt_config", case=content[:8].hex(), message=line[:120])
