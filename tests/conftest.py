"""Shared fixtures: isolated user dirs, offscreen Qt, and access to ../shared/data (skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
# VIGIL_SHARED_DATA: the same data where the checkout is not beside ../shared (a git worktree elsewhere)
SHARED_DATA = Path(os.environ.get("VIGIL_SHARED_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("VIGIL_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("VIGIL_DATA_DIR", str(base / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real third-party images, videos, models); tests that need it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the team's real test data in {SHARED_DATA} (absent on this machine)")
    return SHARED_DATA
