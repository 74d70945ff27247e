"""Per-camera zones: polygons in normalised frame coordinates (0-1, origin top left), stored in the config.

*Exclusion* zones (Frigate's motion masks): a face whose box centre lies inside one is dropped before
tracking and counting, and is not drawn (a sign, a poster, a display, a mirror). A *counting* zone (at most
one per camera, Frigate's "required zone"): when set, only tracks seen inside it at least once count for
compliance; the others are still tracked and drawn, marked as not counted. Plain data, no OpenCV: the
analysis side (``app.analysis.zone_filter``) turns it into a mask at the analysed resolution.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]

MIN_POINTS = 3
MAX_POINTS = 64
MAX_ZONES = 16


class ZoneKind(enum.Enum):
    EXCLUDE = "exclude"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class Zone:
    """One polygon: ``points`` as (x, y) in 0-1 of the frame width and height."""

    kind: ZoneKind
    points: tuple[Point, ...]

    def contains(self, x: float, y: float) -> bool:
        """Even-odd rule on normalised coordinates (the filter uses a raster mask; this is for tests and UI)."""
        inside = False
        pts = self.points
        for i in range(len(pts)):
            (x1, y1), (x2, y2) = pts[i], pts[i - 1]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    def area(self) -> float:
        """Share of the frame the polygon covers (shoelace formula)."""
        pts = self.points
        s = sum(pts[i - 1][0] * pts[i][1] - pts[i][0] * pts[i - 1][1] for i in range(len(pts)))
        return abs(s) / 2.0


class ZoneError(ValueError):
    """A zone that cannot be used; the message says what is wrong (without location)."""


def zone_from_dict(raw: Any) -> Zone:
    """A zone from its config table ``{kind = "exclude", points = [[x, y], ...]}``; raises ZoneError."""
    if not isinstance(raw, dict):
        raise ZoneError(
            'must be a table such as {kind = "exclude", points = [[0.1, 0.1], [0.3, 0.1], [0.2, 0.3]]}'
        )
    unknown = sorted(set(raw) - {"kind", "points"})
    if unknown:
        raise ZoneError(f"unknown key '{unknown[0]}'; a zone has only kind and points")
    kind = raw.get("kind")
    try:
        zkind = ZoneKind(kind)
    except ValueError:
        raise ZoneError(f'kind must be "exclude" or "count", got {kind!r}') from None
    return Zone(zkind, _points(raw.get("points")))


def _points(v: Any) -> tuple[Point, ...]:
    if not isinstance(v, list | tuple) or not MIN_POINTS <= len(v) <= MAX_POINTS:
        raise ZoneError(f"points must be a list of {MIN_POINTS} to {MAX_POINTS} [x, y] pairs")
    out: list[Point] = []
    for p in v:
        ok = isinstance(p, list | tuple) and len(p) == 2
        ok = ok and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        if not ok or not all(math.isfinite(c) and 0.0 <= c <= 1.0 for c in p):
            raise ZoneError(
                f"each point must be [x, y] with x and y between 0 and 1 (share of the frame), got {p!r}"
            )
        out.append((round(float(p[0]), 4), round(float(p[1]), 4)))
    zone = Zone(ZoneKind.EXCLUDE, tuple(out))
    if zone.area() < 1e-5:
        raise ZoneError("the points enclose no area (draw at least three points that are not in a line)")
    return tuple(out)


def check_zones(zones: Sequence[Zone]) -> None:
    """Rules across the zones of one camera; raises ZoneError."""
    if len(zones) > MAX_ZONES:
        raise ZoneError(f"at most {MAX_ZONES} zones per camera, got {len(zones)}")
    if sum(1 for z in zones if z.kind is ZoneKind.COUNT) > 1:
        raise ZoneError("at most one counting zone per camera; merge them into one polygon")


def zone_to_dict(zone: Zone) -> dict[str, Any]:
    return {"kind": zone.kind.value, "points": [[x, y] for x, y in zone.points]}


def counting_zone(zones: Sequence[Zone]) -> Zone | None:
    return next((z for z in zones if z.kind is ZoneKind.COUNT), None)
