"""Detection scheduler: detect sparsely, track densely.

Per camera and analysed frame: BlazeFace on the whole frame (the full-range model when the governor makes
it due, else the short-range one: measured, the short-range pass adds next to nothing to a frame the
full-range one saw), a few tiles of a rolling scan at tile resolution (tiles where the picture changed
first, the oldest first among them; a static tile only every ``static_rescan_s``), and one up-scaled crop
per live track at its predicted place, so a face once found stays found while it is small. How many tiles
a frame gets is the governor's choice (``app.analysis.governor``); ``tiles_per_frame`` is its current value.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.analysis.governor import ScanGovernor
from app.analysis.tracker import TrackHint
from app.domain import BBox, Detection, Frame
from models.face_detector import DetectorOptions, FaceCheck, Pass, TiledFaceDetector, as_bgr
from models.tiling import Tile, tile_grid

SHORT = Pass("short", 1)  # the model of every tile and track crop (tile size is carried by the Tile)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Knobs of the rolling scan: square tiles of each size in ``tiles`` (frame px; the short-range model's
    input is 128 px, so 128 px tiles find 16-32 px faces and 256 px tiles 32-64 px faces at half the calls)."""

    tiles: tuple[int, ...] = (256, 128)
    overlap: float = 0.25
    static_rescan_s: float = 10.0  # a tile with no change is looked at again after this long
    motion_width: int = 160  # width of the grey copy used for frame differencing
    motion_level: float = 10.0  # grey levels (0-255) of difference that count as change at a pixel
    motion_share: float = 0.01  # share of a tile's pixels that must change to mark it for a rescan
    track_crop_faces: float = 4.0  # a track's crop is this many face sizes wide
    track_crop_min: int = 64  # ... and at least this many px
    max_track_crops: int = 8
    track_crop_max_face: float = 128.0  # larger faces the whole-frame pass finds in 720p: no crop for them
    track_min_score: float = 0.5  # a box in a track crop is kept from this score (the track is a prior)
    track_found_within: float = 0.5  # a box within this many face sizes of a track's predicted centre
    track_found_score: float = 0.8  # ... scoring this much finds the track again: no crop for it
    # A confirmed track (two detections or more) unseen this long has walked off or turned away: no more
    # crops for it; the tiles and the whole-frame pass find it again if it comes back (its id waits
    # ``lost_after_s``). A track of one detection keeps its crop until it is confirmed or lost: a small
    # face a tile found once has no other way to be found again (measured, see README).
    track_crop_unseen_s: float = 1.0
    coverage_window_s: float = 2.0


@dataclass(slots=True)
class CameraScan:
    """Rolling-scan state of one camera: its tile grid, which tiles changed, when each was scanned."""

    size: tuple[int, int]
    tiles: list[Tile]
    dirty: list[bool]
    scanned_at: list[float]
    grey: np.ndarray | None = None
    history: deque[tuple[float, int]] = field(default_factory=deque)  # (time, tiles scanned)
    cells: tuple[float, tuple[np.ndarray, ...]] | None = None  # (scale, each tile's box on the grey copy)

    @classmethod
    def for_size(cls, width: int, height: int, opts: ScanOptions) -> CameraScan:
        tiles = scan_grid(width, height, opts)
        return cls((width, height), tiles, [True] * len(tiles), [-math.inf] * len(tiles))

    def mark_motion(self, image: np.ndarray, opts: ScanOptions) -> None:
        """Difference a small grey copy against the last one; mark tiles whose pixels changed."""
        w, h = self.size
        sw = max(8, min(opts.motion_width, w))
        scale = sw / w
        sh = max(8, round(h * scale))
        step = max(1, w // (2 * sw))  # subsample first: INTER_AREA over a whole 720p frame costs ~1 ms
        small = cv2.resize(image[::step, ::step], (sw, sh), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        prev, self.grey = self.grey, grey
        if prev is None or prev.shape != grey.shape:
            return  # first frame: every tile is already marked
        changed = cv2.absdiff(grey, prev) >= opts.motion_level
        if not changed.any():
            return
        integral = cv2.integral(changed.astype(np.uint8))
        if self.cells is None or self.cells[0] != scale:
            self.cells = (scale, _tile_cells(self.tiles, scale))
        x1, y1, x2, y2 = self.cells[1]
        n = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
        for i in np.flatnonzero(n >= opts.motion_share * (x2 - x1) * (y2 - y1)):
            self.dirty[i] = True

    def pick(self, budget: int, now: float, opts: ScanOptions) -> list[int]:
        """The tiles to scan now: changed tiles and tiles not scanned for ``static_rescan_s``, oldest first."""
        due = [
            i
            for i in range(len(self.tiles))
            if self.dirty[i] or now - self.scanned_at[i] >= opts.static_rescan_s
        ]
        due.sort(key=lambda i: (self.scanned_at[i], -self.tiles[i].w))  # ties: coarse tiles first
        chosen = due[: max(0, budget)]
        for i in chosen:
            self.dirty[i] = False
            self.scanned_at[i] = now
        self.history.append((now, len(chosen)))
        while self.history and now - self.history[0][0] > opts.coverage_window_s:
            self.history.popleft()
        return chosen

    def coverage(self, opts: ScanOptions) -> float:
        """Share of the frame scanned at tile resolution per second (over the last window, at most 1)."""
        if not self.tiles:
            return 0.0
        scanned = sum(n for _, n in self.history)
        return min(1.0, scanned / len(self.tiles) / opts.coverage_window_s)


def _tile_cells(tiles: Sequence[Tile], scale: float) -> tuple[np.ndarray, ...]:
    """Each tile's box on the grey copy (x1, y1, x2, y2 arrays), at least one pixel wide and high."""
    x1 = np.array([int(t.x * scale) for t in tiles], np.intp)
    y1 = np.array([int(t.y * scale) for t in tiles], np.intp)
    x2 = np.maximum(x1 + 1, np.array([int((t.x + t.w) * scale) for t in tiles], np.intp))
    y2 = np.maximum(y1 + 1, np.array([int((t.y + t.h) * scale) for t in tiles], np.intp))
    return x1, y1, x2, y2


def scan_grid(width: int, height: int, opts: ScanOptions) -> list[Tile]:
    """Every tile of a full scan: one overlapping grid per tile size, coarse first."""
    return [
        t for size in sorted(opts.tiles, reverse=True) for t in tile_grid(width, height, size, opts.overlap)
    ]


def track_crop(
    center: tuple[float, float], face_px: float, width: int, height: int, opts: ScanOptions
) -> Tile:
    """A square crop around a track's predicted centre, shifted (not cut) to stay inside the frame."""
    side = int(min(max(opts.track_crop_faces * face_px, opts.track_crop_min), width, height))
    x = int(min(max(center[0] - side / 2, 0), width - side))
    y = int(min(max(center[1] - side / 2, 0), height - side))
    return Tile(x, y, side, side)


class ScheduledFaceDetector:
    """``FaceDetector`` plus ``detect_frame()``: whole frame + rolling tiles + track crops, per camera.

    Not thread-safe: one per thread, made in that thread (it owns MediaPipe detectors)."""

    def __init__(
        self,
        governor: ScanGovernor,
        options: ScanOptions | None = None,
        detector: DetectorOptions | None = None,
    ) -> None:
        self.options = options or ScanOptions()
        self.governor = governor
        base = detector or DetectorOptions(passes=(Pass("full"), Pass("short")), verify_score=0.5)
        self._base = TiledFaceDetector(base)
        self._whole = [p for p in base.passes if not p.tile]
        self._cameras: dict[str, CameraScan] = {}
        self.last_ms = 0.0
        self.calls = 0  # MediaPipe calls of the last detect_frame (whole passes, tiles, crops; no close-ups)

    def describe(self) -> str:
        o, n = self.options, self.governor.full_every
        cadence = "every frame" if n == 1 else "every second frame" if n == 2 else f"every {n}th frame"
        between = " (short range never)" if n == 1 else " (short range between)"
        return (
            f"scheduled: {self._base.describe()}; rolling scan of {'+'.join(map(str, o.tiles))} px tiles "
            f"({self.governor.tiles_per_frame:.1f} per frame now), whole frame at full range on {cadence}"
            f"{between}, "
            "one crop per live track not found again"
        )

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        """One still image, no history: whole frame + every tile (a full scan)."""
        image = as_bgr(image_bgr)
        h, w = image.shape[:2]
        if h == 0 or w == 0:
            return []
        jobs = self._jobs(w, h, scan_grid(w, h, self.options), full=True, both=True)
        return self._base.detect_crops(image, jobs)

    def detect_frame(
        self, frame: Frame, tracks: Sequence[TrackHint] = ()
    ) -> list[Detection]:
        """Detect on one analysed frame of a camera; ``tracks``: its live tracks (``FaceTracker.predictions``)."""
        t0 = time.perf_counter()
        image = as_bgr(frame.image)
        h, w = image.shape[:2]
        if h == 0 or w == 0:
            return []
        scan = self._cameras.get(frame.camera_id)
        if scan is None or scan.size != (w, h):
            scan = self._cameras[frame.camera_id] = CameraScan.for_size(w, h, self.options)
        scan.mark_motion(image, self.options)
        now, o, base = frame.captured_mono, self.options, self._base.options
        budget = self.governor.tiles_for(frame.camera_id)
        full = self.governor.full_due(frame.camera_id)
        # 1. the whole frame (full range when due, else short range) and the scan's tiles
        jobs = self._jobs(w, h, [scan.tiles[i] for i in scan.pick(budget, now, o)], full)
        # a low-score box on a live track was checked on a close-up when the track began: not each frame
        trusted = [box_of(t.center, t.face_px) for t in tracks]
        found = self._base.detect_crops(image, jobs, trusted=trusted)
        # 2. one crop per small live track that step 1 did not find again (a person stays found while small)
        lost = [t for t in tracks if _wants_crop(t, found, o)][: o.max_track_crops]
        crops = [(SHORT, track_crop(t.center, t.face_px, w, h, o), o.track_min_score) for t in lost]
        if crops:
            extra = self._base.detect_crops(image, crops, trusted=trusted)
            found += [d for d in extra if not any(d.bbox.iou(f.bbox) >= base.nms_iou for f in found)]
        self.calls = len(jobs) + len(crops)
        self.last_ms = 1000.0 * (time.perf_counter() - t0)
        self.governor.observe(frame.camera_id, self.last_ms, time.monotonic() - frame.captured_mono)
        return found

    def coverage(self, camera_id: str) -> float | None:
        scan = self._cameras.get(camera_id)
        return None if scan is None else round(scan.coverage(self.options), 3)

    def assume_scanned(self, camera_id: str, image: np.ndarray, now: float) -> None:
        """Start ``camera_id`` as if it had watched (and fully scanned) this static view up to ``now``:
        what a live camera's scan state is before something new appears (used by ``eval-scenes --live``)."""
        image = as_bgr(image)
        h, w = image.shape[:2]
        scan = self._cameras[camera_id] = CameraScan.for_size(w, h, self.options)
        scan.mark_motion(image, self.options)
        scan.dirty = [False] * len(scan.tiles)
        scan.scanned_at = [now] * len(scan.tiles)

    def grid_tiles(self, width: int, height: int) -> int:
        """How many tiles a full scan of a ``width`` x ``height`` frame has."""
        return len(scan_grid(width, height, self.options))

    def _jobs(
        self, w: int, h: int, tiles: Sequence[Tile], full: bool, both: bool = False
    ) -> list[tuple[Pass, Tile, float]]:
        """The whole-frame pass (full range when ``full``, else short range; every whole-frame pass when
        ``both`` or when the detector has no pass of that kind) and ``tiles``, with thresholds."""
        o, whole = self._base.options, Tile(0, 0, w, h)
        passes = [p for p in self._whole if both or (p.model == "full") == full] or self._whole
        jobs = [(p, whole, o.min_score) for p in passes]
        return jobs + [(SHORT, t, o.tile_min_score) for t in tiles]

    def forget(self, camera_id: str) -> None:
        self._cameras.pop(camera_id, None)
        self.governor.forget(camera_id)

    @property
    def face_check(self) -> FaceCheck | None:
        """The cheap face check run before a close-up (``TiledFaceDetector.face_check``)."""
        return self._base.face_check

    @face_check.setter
    def face_check(self, check: FaceCheck | None) -> None:
        self._base.face_check = check

    def close(self) -> None:
        self._base.close()

    def __enter__(self) -> ScheduledFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wants_crop(t: TrackHint, found: Sequence[Detection], o: ScanOptions) -> bool:
    """A small track, not yet confirmed or seen within ``track_crop_unseen_s``, that no confident box of
    this frame found again."""
    return (
        t.face_px < o.track_crop_max_face
        and (t.hits < 2 or t.unseen_s <= o.track_crop_unseen_s)
        and not any(
            d.score >= o.track_found_score and _finds(d, t.center, t.face_px, o.track_found_within)
            for d in found
        )
    )


def _finds(d: Detection, center: tuple[float, float], face_px: float, within: float) -> bool:
    """Whether box ``d`` is the track predicted at ``center`` with a ``face_px`` face found again: its centre
    within ``within`` face sizes and its size within 2x."""
    return (
        math.dist(d.bbox.center, center) <= within * face_px and 0.5 <= d.bbox.size / max(face_px, 1.0) <= 2.0
    )


def box_of(center: tuple[float, float], size: float) -> BBox:
    """A square box of ``size`` around ``center`` (for tests and overlays)."""
    half = size / 2
    return BBox(center[0] - half, center[1] - half, center[0] + half, center[1] + half)
