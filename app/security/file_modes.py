"""Station files readable by the station's account only: 0600 files, 0700 folders.

``restrict_umask`` (at process start, before the first file is opened) makes everything the station and its
children (ffmpeg recordings) create owner-only: the event store and its -wal/-shm, keys, face crops,
exports, logs and settings. ``tighten_existing`` fixes files an older version or a copy left readable by
others, once per start, with one log line. POSIX only: on Windows the per-user profile folders already
limit access, and ``os.chmod`` cannot express these modes.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("vigil.security")

OWNER_ONLY_UMASK = 0o077
FILE_MODE, DIR_MODE = 0o600, 0o700
_SUPPORTED = os.name == "posix"


def restrict_umask() -> int | None:
    """Add group/other to the process umask (keeps any stricter bits); returns the old umask."""
    if not _SUPPORTED:
        return None
    old = os.umask(OWNER_ONLY_UMASK)
    os.umask(old | OWNER_ONLY_UMASK)
    return old


def store_files(db_path: Path) -> list[Path]:
    """The event store and what SQLite and migrations keep next to it."""
    db = Path(db_path)
    out = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    if db.parent.is_dir():
        out += sorted(db.parent.glob(db.name + ".v*.bak"))
    return out


def tighten_existing(files: Iterable[Path], trees: Iterable[Path]) -> list[Path]:
    """Remove group/other access from ``files`` and from everything under ``trees`` (the folders
    included); returns what was changed and logs one line when anything was."""
    if not _SUPPORTED:
        return []
    changed: list[Path] = []
    for path in files:
        _tighten(Path(path), changed)
    for tree in trees:
        root = Path(tree)
        if not root.is_dir():
            continue
        _tighten(root, changed)
        for folder, dirs, names in os.walk(root):
            base = Path(folder)
            for name in [*dirs, *names]:
                _tighten(base / name, changed)
    if changed:
        shown = ", ".join(str(p) for p in changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        log.warning(
            "store security: %d file(s)/folder(s) were readable by other accounts; now owner-only "
            "(files 0600, folders 0700): %s",
            len(changed),
            shown,
        )
    return changed


def _tighten(path: Path, changed: list[Path]) -> None:
    try:
        st = os.lstat(path)
    except OSError:
        return  # absent (no -wal yet), or gone meanwhile
    if stat.S_ISLNK(st.st_mode) or not (st.st_mode & OWNER_ONLY_UMASK):
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~OWNER_ONLY_UMASK)
    except OSError as exc:  # not ours (another account's file): say so, keep running
        log.warning("store security: cannot restrict %s to its owner: %s", path, exc.strerror or exc)
        return
    changed.append(path)


def loose(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """(path, mode) of every file or folder under ``paths`` that others may read (for checks and tests)."""
    out: list[tuple[Path, str]] = []
    for root in paths:
        items = [Path(root)]
        if Path(root).is_dir():
            items += [Path(f) / n for f, ds, ns in os.walk(root) for n in [*ds, *ns]]
        for p in items:
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & OWNER_ONLY_UMASK:
                out.append((p, oct(stat.S_IMODE(st.st_mode))))
    return out
