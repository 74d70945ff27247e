"""Zones applied in analysis: one raster mask per camera at the analysed resolution, made once.

A lookup is one array read per detection (the box centre), so the filter costs nothing next to detection.
The engine calls ``drop_excluded`` before the mask model and the tracker, and ``in_count_zone`` per tracked
detection (``app.zones`` says what the two kinds mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.domain import BBox, Detection
from app.zones import Zone, ZoneKind

EXCLUDED = 1
COUNTED = 2


def zone_mask(zones: Sequence[Zone], width: int, height: int) -> np.ndarray:
    """uint8 (height, width): bit EXCLUDED inside any exclusion zone, bit COUNTED inside the counting zone."""
    mask = np.zeros((height, width), np.uint8)
    for kind, bit in ((ZoneKind.COUNT, COUNTED), (ZoneKind.EXCLUDE, EXCLUDED)):
        layer = np.zeros_like(mask)
        polys = [
            np.array([[round(x * (width - 1)), round(y * (height - 1))] for x, y in z.points], np.int32)
            for z in zones
            if z.kind is kind
        ]
        if polys:
            cv2.fillPoly(layer, polys, 1)
            mask |= layer * np.uint8(bit)
    return mask


@dataclass(slots=True)
class CameraZones:
    """The zones of one camera and their mask, re-made only when the frame size changes."""

    zones: tuple[Zone, ...]
    _masks: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    @property
    def has_exclusions(self) -> bool:
        return any(z.kind is ZoneKind.EXCLUDE for z in self.zones)

    @property
    def has_count_zone(self) -> bool:
        return any(z.kind is ZoneKind.COUNT for z in self.zones)

    def mask(self, width: int, height: int) -> np.ndarray:
        m = self._masks.get((width, height))
        if m is None:
            self._masks.clear()  # one resolution at a time (a camera changes size rarely)
            m = self._masks[(width, height)] = zone_mask(self.zones, width, height)
        return m

    def bits(self, box: BBox, width: int, height: int) -> int:
        cx, cy = box.center
        x = min(max(int(cx), 0), width - 1)
        y = min(max(int(cy), 0), height - 1)
        return int(self.mask(width, height)[y, x])

    def drop_excluded(self, detections: list[Detection], width: int, height: int) -> list[Detection]:
        """The detections whose box centre is not in an exclusion zone."""
        if not self.has_exclusions or not detections:
            return detections
        return [d for d in detections if not self.bits(d.bbox, width, height) & EXCLUDED]

    def in_count_zone(self, box: BBox, width: int, height: int) -> bool:
        return bool(self.bits(box, width, height) & COUNTED)
