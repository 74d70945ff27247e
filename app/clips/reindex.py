"""Re-indexing finished segments that have a file but no index row (a disk that filled between ffmpeg closing
a segment and the row being written): at station start the recordings folder is scanned and each complete,
unindexed ``.mp4`` is probed and indexed again, so playback and export see it."""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database

from app.clips.index import Segment, add_segment, probe_video
from app.clips.mp4 import mp4_damage
from app.clips.naming import safe_component

log = logging.getLogger("vigil.clips")
# the recorder's names: <camera dir>/<YYYY-MM-DD>/<UTC start, ms>Z[_n].mp4
_NAME = re.compile(r"^(\d{8}T\d{6})(\d{3})?Z(?:_\d+)?\.mp4$")


def start_of(name: str) -> float | None:
    """The UTC start a segment's file name carries, or None for a name the recorder does not write."""
    m = _NAME.match(name)
    if m is None:
        return None
    try:
        whole = calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%S"))
    except ValueError:
        return None
    return whole + int(m.group(2) or 0) / 1000.0


def indexed_paths(db: Database) -> set[str]:
    return (
        {r["path"] for r in db.query("SELECT path FROM recordings")} if db["recordings"].exists() else set()
    )


def unindexed_segments(
    recordings_dir: Path, camera_ids: Iterable[str], known: set[str], written_before: float | None = None
) -> list[Segment]:
    """Complete segment files of ``camera_ids`` under ``recordings_dir`` whose path is not in ``known`` and
    (with ``written_before``) that were last written before that time, so a segment the running recorder is
    moving into place right now is left to it. ``.part`` files, hidden folders, damaged or empty files and names
    the recorder does not write are left alone."""
    found: list[Segment] = []
    for cid in dict.fromkeys(camera_ids):
        root = recordings_dir / safe_component(cid, "camera")
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.mp4")):
            rel = path.relative_to(recordings_dir)
            if rel.as_posix() in known or any(p.startswith(".") for p in rel.parts):
                continue
            start = start_of(path.name)
            try:
                if start is None or not path.is_file():
                    continue
                if written_before is not None and path.stat().st_mtime >= written_before:
                    continue
                size = path.stat().st_size
            except OSError:
                continue  # removed meanwhile (retention)
            why = mp4_damage(path)
            info = probe_video(path) if why is None else None
            if info is None or info.frames <= 0 or info.fps <= 0:
                log.warning(
                    "recording %s has no index row and cannot be read (%s); left as it is",
                    rel,
                    why or "no frames",
                )
                continue
            found.append(
                Segment(
                    cid,
                    start,
                    start + info.duration,
                    rel.as_posix(),
                    size,
                    info.frames,
                    info.fps,
                    info.width,
                    info.height,
                    info.codec,
                )  # fmt: skip
            )
    return found


def reindex(
    db: Database, recordings_dir: Path, camera_ids: Iterable[str], written_before: float | None = None
) -> list[Segment]:
    """Index every segment ``unindexed_segments`` finds; logs one line when there were any."""
    segs = unindexed_segments(recordings_dir, camera_ids, indexed_paths(db), written_before)
    return add_found(db, segs)


def add_found(db: Database, segs: list[Segment]) -> list[Segment]:
    """Index ``segs`` (those still without a row); logs one line when there were any."""
    known = indexed_paths(db)
    added = [s for s in segs if s.path not in known]
    for seg in added:
        add_segment(db, seg)
    if added:
        log.warning(
            "re-indexed %d recording segments (files without an index row, e.g. after a full disk)",
            len(added),
        )
    return added
