"""Where Vigil keeps its files: user config and data dirs, and bundled resources (frozen-aware)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "vigil"


def _base_dir() -> Path:
    """Root of the installed code: the PyInstaller bundle when frozen, else the repository/package root."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource("models", "mask_classifier.onnx")``."""
    return _base_dir().joinpath(*parts)


def config_dir() -> Path:
    """User config dir (``VIGIL_CONFIG_DIR`` overrides; tests use it)."""
    env = os.environ.get("VIGIL_CONFIG_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Vigil"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / APP_NAME


def data_dir() -> Path:
    """User data dir for the database, recordings and logs (``VIGIL_DATA_DIR`` overrides)."""
    env = os.environ.get("VIGIL_DATA_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "Vigil"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / APP_NAME


def default_config_path() -> Path:
    return config_dir() / "vigil.toml"


def default_db_path() -> Path:
    return data_dir() / "vigil.sqlite3"


def log_dir() -> Path:
    return data_dir() / "logs"
