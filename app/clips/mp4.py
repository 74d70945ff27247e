"""Reading an MP4's box structure without decoding: which frames are key frames (the ``stss`` table) and
whether a segment is damaged (truncated before its index, or garbled).

``key_frame_indices`` serves fast playback (key frames only); ``mp4_damage`` lets playback and export name a
damaged segment in one line and go on with the next one.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("vigil.clips")
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
_MAX_BOX = 64 * 1024 * 1024  # a moov box larger than this is not ours (a garbled file): give up


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        head = f.read(8)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head)
        body = pos + 8
        if size == 1:
            big = f.read(8)
            if len(big) < 8:
                return
            size = struct.unpack(">Q", big)[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            return  # truncated or garbled
        yield kind, body, pos + size
        pos += size


def _read(f: BinaryIO, at: int, n: int) -> bytes:
    f.seek(at)
    return f.read(n)


def _video_key_frames(f: BinaryIO, trak: tuple[int, int]) -> list[int] | None:
    """Key frame indices (0-based) of a video track; None if the track is not video."""
    handler = b""
    stss: tuple[int, int] | None = None
    samples = 0
    stack = [trak]
    while stack:
        a, b = stack.pop()
        for kind, s, e in _boxes(f, a, b):
            if kind in _CONTAINERS:
                stack.append((s, e))
            elif kind == b"hdlr":
                handler = _read(f, s + 8, 4)
            elif kind == b"stss":
                stss = (s, e)
            elif kind == b"stsz":
                raw = _read(f, s + 8, 4)
                samples = struct.unpack(">I", raw)[0] if len(raw) == 4 else 0
    if handler != b"vide":
        return None
    if stss is None:
        return list(range(samples))  # no table: every sample is a sync sample (intra-only)
    raw = _read(f, stss[0] + 4, 4)
    if len(raw) < 4:
        return None
    count = struct.unpack(">I", raw)[0]
    if count * 4 > stss[1] - stss[0] - 8 or count * 4 > _MAX_BOX:
        return None
    table = _read(f, stss[0] + 8, count * 4)
    # stss numbers samples from 1 in decode order; in a closed GOP a key frame has as many frames before it in
    # decode order as in display order, so the number is its display index too
    return [n - 1 for n in struct.unpack(f">{count}I", table)]


def key_frame_indices(path: Path) -> list[int] | None:
    """The video's key frames (display indices, ascending) from its MP4 index; None when there is no
    readable index (not MP4, fragmented, truncated: the caller decodes every frame instead)."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            for kind, s, e in _boxes(f, 0, size):
                if kind != b"moov":
                    continue
                if e - s > _MAX_BOX:
                    return None
                for sub, a, b in _boxes(f, s, e):
                    if sub == b"trak":
                        keys = _video_key_frames(f, (a, b))
                        if keys is not None:
                            return sorted(k for k in keys if k >= 0) or None
                return None
    except (OSError, struct.error) as exc:
        log.debug("no key frame index in %s: %s", path, exc)
    return None


def mp4_damage(path: Path) -> str | None:
    """Why ``path`` cannot be played as an MP4 (one short phrase), or None when its structure is whole: the
    top-level boxes must tile the file and one of them must be the index (``moov``)."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            if size == 0:
                return "the file is empty"
            pos, moov = 0, False
            while pos + 8 <= size:
                f.seek(pos)
                length, kind = struct.unpack(">I4s", f.read(8))
                if length == 1:
                    length = struct.unpack(">Q", f.read(8))[0]
                elif length == 0:
                    length = size - pos
                if length < 8 or not kind.isascii() or not kind.decode("ascii").isprintable():
                    return f"garbled, not a readable MP4 from byte {pos} on"
                if pos + length > size:
                    return "truncated, its MP4 index is missing" if not moov else f"truncated at byte {size}"
                moov = moov or kind == b"moov"
                pos += length
    except (OSError, struct.error, UnicodeDecodeError) as exc:
        return f"unreadable ({exc})"
    if not moov:
        return "truncated or unfinished, its MP4 index is missing"
    return None
