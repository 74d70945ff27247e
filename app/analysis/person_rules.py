"""Who counts as a person: rules on top of the tracker, so posters, signs and displays are not visitors.

*Background suppression*: a "face" whose box does not move (centre within ``static_move`` face sizes, size
within ``static_move`` too) and whose pixels do not change (mean absolute difference of a small grey
thumbnail below ``static_pixels`` grey levels) for ``static_after_s`` seconds is a poster, a sign or a
display: its track is flagged ``static`` and never counted. A real person who stands still still blinks,
breathes and turns a little; one movement beyond the limits clears the track for good.

*Face-like detections*: a track counts only after ``face_hits`` detections scoring ``face_score`` or
more. Gloved hands, papers on a desk and the back of a head get boxed now and then, but their boxes never
score like a face; a real face does, at least twice, somewhere along its track.

*Duplicate faces*: of two boxes of one frame whose centres lie within ``duplicate_within`` face sizes
(of the better-scored box), only the better-scored one is kept: the other is a hand, a collar or papers
next to a face, and would become a second "person" beside the real one.

*Counting zone* (``app.zones``): with one, a track counts only once it was seen inside it.

Pure logic on ``Track.data``; the engine calls ``observe`` (and ``observe_zone``) for every detection it
tracks and the tracker's ``is_person`` asks ``is_static`` and ``outside_count_zone``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from app.domain import BBox, Detection

if TYPE_CHECKING:
    from app.analysis.tracker import Track

THUMB = 16


@dataclass(frozen=True, slots=True)
class PersonRules:
    static_after_s: float = 8.0  # 0: off
    static_move: float = 0.15  # box centre / size change, in face sizes
    static_pixels: float = 3.0  # mean |grey difference| (0-255) of a 16x16 thumbnail
    # off here; the station switches them on from [analysis] (``app.analysis.spec.tracker_options``)
    face_hits: int = 0  # detections scoring face_score or more before a track counts; 0: off
    face_score: float = 0.72
    duplicate_within: float = 0.0  # face sizes between two boxes' centres; 0: off


def _thumb(image: np.ndarray, box: BBox) -> np.ndarray | None:
    h, w = image.shape[:2]
    x0, y0 = max(0, int(box.x1)), max(0, int(box.y1))
    x1, y1 = min(w, int(box.x2)), min(h, int(box.y2))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return cv2.resize(crop, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32)


def observe(rules: PersonRules, track: Track, box: BBox, image: np.ndarray, now_mono: float) -> None:
    """Update ``track``'s static state with one more detection."""
    if rules.static_after_s <= 0:
        return
    d = track.data
    if d.get("moved"):
        return
    ref = d.get("static_ref")
    if ref is None:
        thumb = _thumb(image, box)
        if thumb is not None:
            d["static_ref"] = (box, thumb, now_mono)
        return
    ref_box, ref_thumb, since = ref
    size = max(ref_box.size, 1.0)
    (cx, cy), (rx, ry) = box.center, ref_box.center
    moved = ((cx - rx) ** 2 + (cy - ry) ** 2) ** 0.5 / size > rules.static_move
    moved = moved or abs(box.size - ref_box.size) / size > rules.static_move
    if not moved:
        thumb = _thumb(image, box)
        moved = thumb is not None and float(np.abs(thumb - ref_thumb).mean()) > rules.static_pixels
    if moved:
        d["moved"] = True
        d.pop("static", None)
        d.pop("static_ref", None)
    elif now_mono - since >= rules.static_after_s:
        d["static"] = True


def observe_score(rules: PersonRules, track: Track, score: float) -> None:
    """Count ``track``'s face-like detections (score ``face_score`` or more)."""
    if score >= rules.face_score:
        track.data["face_hits"] = track.data.get("face_hits", 0) + 1


def lacks_face(rules: PersonRules, track: Track) -> bool:
    """True while ``track`` has fewer than ``face_hits`` face-like detections (not yet a person)."""
    return rules.face_hits > 0 and track.data.get("face_hits", 0) < rules.face_hits


def drop_duplicates(rules: PersonRules, detections: list[Detection]) -> list[Detection]:
    """The detections of one frame without those centred within ``duplicate_within`` face sizes of a
    better-scored one (order kept)."""
    if rules.duplicate_within <= 0 or len(detections) < 2:
        return detections
    kept: list[int] = []
    for i in sorted(range(len(detections)), key=lambda k: -detections[k].score):
        cx, cy = detections[i].bbox.center
        near = False
        for j in kept:
            (kx, ky), size = detections[j].bbox.center, max(detections[j].bbox.size, 1.0)
            if ((cx - kx) ** 2 + (cy - ky) ** 2) ** 0.5 < rules.duplicate_within * size:
                near = True
                break
        if not near:
            kept.append(i)
    return [detections[i] for i in sorted(kept)]


def is_static(track: Track) -> bool:
    return bool(track.data.get("static"))


def observe_zone(track: Track, inside: bool) -> bool:
    """Counting zone: a track counts once it was seen inside (sticky); until then it is ``outside``.
    True when this detection brought an outside track in."""
    d = track.data
    before = d.get("zone")
    if inside:
        d["zone"] = "inside"
    elif before is None:
        d["zone"] = "outside"
    return inside and before == "outside"


def outside_count_zone(track: Track) -> bool:
    """True if the camera has a counting zone and this track was never inside it."""
    return track.data.get("zone") == "outside"
