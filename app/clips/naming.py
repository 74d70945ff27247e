"""File names made from user text (camera ids, case references) that cannot escape their folder."""

from __future__ import annotations

import re
import time
from pathlib import Path

from app.errors import UserError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_component(text: str, fallback: str = "x", max_len: int = 60) -> str:
    """One path component: letters, digits, '.', '_', '-' only; no leading dots, no reserved names."""
    name = _UNSAFE.sub("_", text).strip("._-")[:max_len].strip("._-")
    if not name or name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"{fallback}_{name}" if name else fallback
    return name


def inside(base: Path, name: str) -> Path:
    """``base / name`` after checking that it really stays inside ``base`` (defence in depth)."""
    base_r = base.resolve()
    path = (base_r / name).resolve()
    if path.parent != base_r:
        raise UserError(f"refusing to write {name!r} outside {base}")
    return path


def utc_stamp(t: float, ms: bool = False) -> str:
    """Compact UTC time for file names, e.g. ``20250101T120000Z``."""
    s = time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))
    return f"{s}{int(round((t % 1) * 1000)) % 1000:03d}Z" if ms else s + "Z"


def utc_iso(t: float) -> str:
    """ISO 8601 UTC with seconds, e.g. ``2025-01-01T12:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
