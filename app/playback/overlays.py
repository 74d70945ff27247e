"""What the station saw at a moment of a recording: the stored events' face boxes and verdicts, or where the
store has none for that moment, the export-time analysis of the shown frame (``app/playback/analysed.py``).

Per-frame boxes are not stored (privacy and size), only each event's box at its time; an event's box is shown
on the frames within ``SHOW_S`` of it, so stepping through an incident shows the person the station flagged.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from app.playback.analysed import AnalysedMoment
from app.playback.decoder import DecodedFrame
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


class OverlaySource(enum.Enum):
    """Where a tile's boxes come from, shown on the tile so nobody mistakes one for the other."""

    STORED = "stored"  # the events the station stored at that moment (what it saw then)
    ANALYSED = "analysed"  # the export-time analysis run now on the decoded frame
    NONE = "none"  # neither (no analysis available)


ANALYSIS_STALE_S = 0.5  # an analysis of a frame further than this from the shown one is not drawn on it


def overlay_source(stored: Sequence[EventMark], can_analyse: bool) -> OverlaySource:
    """Stored boxes win; where the store has none for the moment, the analysis of the frame (if any)."""
    if stored:
        return OverlaySource.STORED
    return OverlaySource.ANALYSED if can_analyse else OverlaySource.NONE


def analysis_applies(moment: AnalysedMoment | None, frame: DecodedFrame | None) -> bool:
    """Whether ``moment``'s boxes may be drawn on ``frame``: same camera and segment, close in time."""
    if moment is None or frame is None or moment.result is None:
        return False
    return (
        moment.camera_id == frame.camera_id
        and moment.segment_id == frame.segment_id
        and abs(moment.at - frame.at) <= ANALYSIS_STALE_S
    )
