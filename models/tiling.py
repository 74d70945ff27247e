"""Tiling a frame into overlapping crops and merging the detections found in them.

A small face vanishes when a whole 720p frame is shrunk to BlazeFace's 192x192 input; the same face in a
crop a few times the model input is large enough to be found. These helpers are pure (no model) so they are
unit-tested on their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain import BBox, Detection


@dataclass(frozen=True, slots=True)
class Tile:
    """A crop of the frame in pixels: ``image[y:y+h, x:x+w]``."""

    x: int
    y: int
    w: int
    h: int

    def is_cut(self, box: BBox, frame_w: int, frame_h: int, margin: float = 2.0) -> bool:
        """True when ``box`` (frame coords) touches a tile edge that is not also an edge of the frame."""
        return (
            (box.x1 <= self.x + margin and self.x > 0)
            or (box.y1 <= self.y + margin and self.y > 0)
            or (box.x2 >= self.x + self.w - margin and self.x + self.w < frame_w)
            or (box.y2 >= self.y + self.h - margin and self.y + self.h < frame_h)
        )


def _starts(length: int, tile: int, overlap: float) -> list[int]:
    """Evenly spread start offsets so tiles of ``tile`` px cover ``length`` with at least ``overlap``."""
    if tile >= length:
        return [0]
    step = tile * (1.0 - overlap)
    n = max(2, math.ceil((length - tile) / step) + 1)
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def tile_grid(width: int, height: int, tile: int, overlap: float = 0.25) -> list[Tile]:
    """Square tiles of ``tile`` px (clipped to the frame) covering a ``width`` x ``height`` frame.

    Neighbouring tiles overlap by at least ``overlap`` (a fraction of the tile) so a face narrower than the
    overlap lies wholly inside some tile. A frame no larger than one tile gives one tile: the frame itself.
    """
    if tile <= 0:
        raise ValueError(f"tile size must be positive, got {tile}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    tw, th = min(tile, width), min(tile, height)
    return [Tile(x, y, tw, th) for y in _starts(height, th, overlap) for x in _starts(width, tw, overlap)]


def _overlap_of_smaller(a: BBox, b: BBox) -> float:
    """Intersection over the smaller box's area: 1.0 when one box lies inside the other."""
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    smaller = min(a.area, b.area)
    return ix * iy / smaller if smaller > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A detection from one crop, before merging.

    ``cut``: it touches a tile edge inside the frame (probably a partial face). ``strong``: its score passed
    the threshold of its pass; a weak one is kept only when a detection from another crop confirms it.
    """

    det: Detection
    crop: int
    cut: bool = False
    strong: bool = True


def confirmed(cands: Sequence[Candidate], iou: float = 0.5) -> list[Candidate]:
    """Strong candidates, plus weak ones that a candidate from another crop overlaps by at least ``iou``.

    Two independent views (overlapping tiles, or two tile scales) agreeing on a low-score face are right far
    more often than a single low-score box (measured on mask_scenes: see README).
    """
    return [
        c
        for c in cands
        if c.strong or any(o.crop != c.crop and o.det.bbox.iou(c.det.bbox) >= iou for o in cands)
    ]


def merge_detections(cands: Sequence[Candidate], iou: float = 0.3, contain: float = 0.7) -> list[Detection]:
    """Greedy NMS over candidates from all crops; returns detections sorted by score, best first.

    Whole boxes win over cut ones, then higher scores win. A box is suppressed when its IoU with a kept box
    is at least ``iou``, or when most of it (``contain`` of the smaller area) lies inside a kept box, which
    removes the half-face a tile border leaves beside the whole face found in a neighbouring tile.
    """
    order = sorted(cands, key=lambda c: (c.cut, -c.det.score))
    kept: list[Detection] = []
    for c in order:
        box = c.det.bbox
        if any(box.iou(k.bbox) >= iou or _overlap_of_smaller(box, k.bbox) >= contain for k in kept):
            continue
        kept.append(c.det)
    kept.sort(key=lambda d: -d.score)
    return kept
