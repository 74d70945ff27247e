"""Packaging: the frozen-aware resource paths, `vigil --version`, the icons and the .deb's layout.

The frozen build itself is exercised by installer/smoke_linux.sh (run from .ci/run when it can run)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app import paths
from app.__main__ import main as vigil

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def _pyproject_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def test_resources_come_from_the_bundle_when_frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert paths.resource("models", "SHA256SUMS") == ROOT / "models" / "SHA256SUMS"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resource("resources", "theme.qss") == tmp_path / "resources" / "theme.qss"


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        vigil(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"vigil {_pyproject_version()}"


def test_raster_icons_are_the_sizes_the_desktop_and_windows_use() -> None:
    png = (ROOT / "resources" / "icons" / "vigil-256.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)
    ico = (ROOT / "resources" / "icons" / "vigil.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes


def test_desktop_entry_starts_vigil_with_its_icon() -> None:
    lines = (INSTALLER / "vigil.desktop").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    entry = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    assert entry["Type"] == "Application" and entry["Exec"] == "vigil" and entry["Icon"] == "vigil"
    assert entry["Terminal"] == "false" and entry["Categories"].endswith(";")


needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")


@needs_dpkg
def test_deb_holds_the_bundle_a_launcher_and_the_desktop_entry_and_no_user_data(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "_internal" / "models").mkdir(parents=True)
    (bundle / "vigil").write_text("#!/bin/sh\necho stub\n")
    (bundle / "vigil").chmod(0o755)
    (bundle / "_internal" / "models" / "SHA256SUMS").write_text("# stub\n")
    env = {
        **os.environ,
        "DEB_COMPRESSION": "-Zgzip -z1",
        "DEB_OUT": str(tmp_path / "out"),
        "DEB_WORK": str(tmp_path / "stage"),
    }
    out = subprocess.run(
        ["bash", str(INSTALLER / "make_deb.sh"), str(bundle)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    deb = Path(out.stdout.strip().splitlines()[-1])
    assert deb.parent == tmp_path / "out" and deb.name.startswith(f"vigil_{_pyproject_version()}_")
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    assert {
        "/opt/vigil/vigil",
        "/opt/vigil/_internal/models/SHA256SUMS",
        "/usr/bin/vigil",
        "/usr/share/applications/vigil.desktop",
        "/usr/share/icons/hicolor/256x256/apps/vigil.png",
        "/usr/share/icons/hicolor/scalable/apps/vigil.svg",
    } <= names
    # user data lives in each user's home (app/paths.py): the package never ships or owns any of it
    assert not any(n.startswith(("/home", "/root", "/var", "/etc")) for n in names)
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Package: vigil" in fields and f"Version: {_pyproject_version()}" in fields
    assert "ffmpeg" in next(line for line in fields.splitlines() if line.startswith("Depends:"))
    launcher = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True
    ).stdout
    assert b"exec /opt/vigil/vigil" in launcher


def test_deb_script_refuses_a_missing_bundle_with_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        ["bash", str(INSTALLER / "make_deb.sh"), str(tmp_path / "nothing")], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"make_deb: no folder build at {tmp_path / 'nothing'} (run installer/build_linux.sh)"
    ]


def test_windows_installer_script_matches_the_package_and_keeps_user_data() -> None:
    iss = (INSTALLER / "vigil.iss").read_text(encoding="utf-8")
    assert f'#define AppVersion "{_pyproject_version()}"' in iss
    assert 'Source: "{#BuildDir}\\*"' in iss and '#define BuildDir "..\\dist\\vigil"' in iss
    assert '{group}\\{#AppName}"; Filename: "{app}\\{#AppExe}"' in iss  # the Start-menu entry
    # nothing under the user data dirs of app/paths.py is ever deleted by the uninstaller
    sections = iss.split("\n[")
    uninstall_delete = [s for s in sections if s.startswith("UninstallDelete]")]
    assert uninstall_delete == []
    assert "appdata" not in next(s for s in sections if s.startswith("InstallDelete]")).lower()
