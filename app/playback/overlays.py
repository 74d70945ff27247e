"""What the station saw at a moment of a recording: the stored events' face boxes and verdicts.

Per-frame boxes are not stored (privacy and size), only each event's box at its time; an event's box is shown
on the frames within ``SHOW_S`` of it, so stepping through an incident shows the person the station flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.playback.lookup import EventMark

SHOW_S = 1.0
FACE_KINDS = frozenset({"no_mask", "incorrect_mask", "watchlist_match"})


def boxes_at(events: Sequence[EventMark], camera_id: str, at: float, show_s: float = SHOW_S) -> list[EventMark]:
    """The events of ``camera_id`` with a face box within ``show_s`` of ``at``, nearest first."""
    near = [
        e for e in events
        if e.camera_id == camera_id and e.box is not None and e.kind in FACE_KINDS and abs(e.at - at) <= show_s
    ]  # fmt: skip
    return sorted(near, key=lambda e: abs(e.at - at))
