"""Loading bundled weights: every file is checked against models/SHA256SUMS before use."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app import paths
from app.errors import ModelError


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expected_hashes() -> dict[str, str]:
    """Relative path (under models/) -> sha256, from models/SHA256SUMS."""
    sums = paths.resource("models", "SHA256SUMS")
    out: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name.lstrip("*")] = digest
    return out


def verified_path(relative: str, expected: str | None = None) -> Path:
    """Path of a bundled weight file under models/, after checking it exists and matches its SHA-256."""
    path = paths.resource("models", relative)
    want = expected or expected_hashes().get(relative)
    return verify_file(path, want)


def verify_file(path: Path, expected_sha256: str | None) -> Path:
    """Raise ModelError naming the file if it is missing or its SHA-256 differs from ``expected_sha256``."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (reinstall Vigil or fix the path in settings)")
    if expected_sha256:
        got = sha256_file(path)
        if got != expected_sha256.lower():
            raise ModelError(
                f"model file {path} has SHA-256 {got[:12]}..., expected {expected_sha256[:12]}...: "
                "the file is corrupt or was replaced; reinstall Vigil or restore the file"
            )
    return path
