"""CPU governor of the detection scheduler: how many scan tiles each analysed frame gets, and how often the
whole frame gets the full-range model.

Every analysed frame gets one whole-frame pass: the full-range model when it is due, else the cheaper
short-range one. The governor never drops an analysed or painted frame; it only shrinks (or grows back)
the rolling scan and, when even no scan is too much, makes the full-range pass due on every second
analysed frame of a camera (the short-range pass runs between, and the track crops on every frame, so
known faces stay tracked).
The plan (``plan_tiles``, ``plan_full_every``) splits a detection budget of the station's CPU over the
cameras' total analysis rate; at run time the governor holds each engine's detection time under its share
and cuts the scan at once when capture-to-result latency nears the 300 ms target (a busy machine: other
programs, decoding, the window).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from app.config import StationConfig
from app.station_api import CameraFeed

# Measured on the 2-core dev VM (README, Face detection scheduler; CPU ms per MediaPipe call, 2026-12-07):
# a call costs about the same for any crop size (the model input is fixed), so a scan's cost is its calls.
FULL_MS = 7.5  # the full-range model on the whole frame
SHORT_MS = 3.0  # the short-range model on the whole frame
TILE_MS = 2.4  # one short-range call on a tile, a track crop or a close-up check
OTHER_MS = 2.0  # mask model, tracking, shared memory per frame
DETECT_SHARE = 0.45  # share of all CPU cores detection may use; decoding and the window need the rest
MAX_FULL_EVERY = 2  # the full-range pass runs at least on every second analysed frame of a camera
MIN_TILES = 1.0  # a plan keeps at least this much scan per frame before it thins the full-range pass


def _per_frame_ms(total_fps: float, cores: int | None, share: float) -> float:
    cores = cores or os.cpu_count() or 1
    return share * cores * 1000.0 / total_fps


def whole_frame_ms(full_every: int) -> float:
    """Mean CPU of the whole-frame pass per analysed frame when full range runs on every ``full_every``-th
    frame and short range on the others."""
    every = max(1, full_every)
    return (FULL_MS + SHORT_MS * (every - 1)) / every


def plan_full_every(total_fps: float, cores: int | None = None, share: float = DETECT_SHARE) -> int:
    """1 (full range on every analysed frame) while that leaves ``MIN_TILES`` of scan; else 2."""
    if total_fps <= 0:
        return 1
    per_frame_ms = _per_frame_ms(total_fps, cores, share)
    for every in range(1, MAX_FULL_EVERY + 1):
        if per_frame_ms - whole_frame_ms(every) - OTHER_MS >= MIN_TILES * TILE_MS:
            return every
    return MAX_FULL_EVERY


def plan_tiles(total_fps: float, cores: int | None = None, share: float = DETECT_SHARE) -> float:
    """Scan tiles per analysed frame that fit ``share`` of ``cores`` at ``total_fps`` analysed frames/s
    (beside the whole-frame passes at ``plan_full_every``'s cadence)."""
    if total_fps <= 0:
        return 64.0
    per_frame_ms = _per_frame_ms(total_fps, cores, share)
    every = plan_full_every(total_fps, cores, share)
    return max(0.0, (per_frame_ms - whole_frame_ms(every) - OTHER_MS) / TILE_MS)


@dataclass(frozen=True, slots=True)
class GovernorOptions:
    """``tiles``: the plan (start and ceiling); ``budget_ms_per_s``: this engine's detection time budget
    (0: no time budget, latency only); ``latency_target_s``: cut the scan when p95 latency passes it."""

    tiles: float = 8.0
    full_every: int = 1  # the plan: full range on every n-th analysed frame (the floor at run time)
    budget_ms_per_s: float = 0.0
    latency_target_s: float = 0.2  # cut above this p95; grow back only below 0.6 of it
    window: int = 40  # frames over which latency p95 and the time spent are judged
    cut: float = 0.6  # multiplicative decrease when over target
    grow: float = 0.5  # additive increase (tiles) when well under target
    max_tiles: float = 64.0


def station_coverage(feeds: Iterable[CameraFeed]) -> float | None:
    """Mean scan coverage of the cameras' newest results (None when no camera runs the scheduler)."""
    values = []
    for feed in feeds:
        result = feed.results.peek()
        if result is not None and result.scan_coverage is not None:
            values.append(result.scan_coverage)
    return sum(values) / len(values) if values else None


def station_governor(config: StationConfig, engines: int, cores: int | None = None) -> GovernorOptions:
    """Governor settings for each of ``engines`` analysis engines serving the station's enabled cameras."""
    cores = cores or os.cpu_count() or 1
    total = sum(c.analysis_fps for c in config.cameras if c.enabled)
    budget = DETECT_SHARE * cores * 1000.0 / max(1, engines)
    return GovernorOptions(
        tiles=plan_tiles(total, cores), full_every=plan_full_every(total, cores), budget_ms_per_s=budget
    )


class ScanGovernor:
    """AIMD on tiles per frame, one per analysis engine (an engine serves several cameras); when the scan is
    already at nothing and the engine is still over its budget, the full-range pass is thinned
    (``full_every`` up to ``MAX_FULL_EVERY``), and it is restored before the scan grows back.

    Fed by the scheduler after every frame: detection ms and capture-to-result latency so far."""

    def __init__(self, options: GovernorOptions | None = None) -> None:
        self.options = o = options or GovernorOptions()
        self.tiles_per_frame = min(o.tiles, o.max_tiles)
        self._ceiling = min(o.tiles, o.max_tiles)
        self._latency: deque[float] = deque(maxlen=o.window)
        self._spent: deque[tuple[float, float]] = deque(maxlen=o.window)  # (monotonic, detect ms)
        self._credit: dict[str, float] = {}
        self.full_every = max(1, min(o.full_every, MAX_FULL_EVERY))
        self._frames: dict[str, int] = {}
        self._since = 0
        self.cuts = 0

    def tiles_for(self, camera_id: str) -> int:
        """Whole tiles for this camera's frame now; fractions carry over to its next frames."""
        credit = self._credit.get(camera_id, 0.0) + self.tiles_per_frame
        n = int(credit)
        self._credit[camera_id] = min(credit - n, 1.0)
        return n

    def full_due(self, camera_id: str) -> bool:
        """Whether this camera's frame now gets the full-range whole-frame pass (its first frame always)."""
        n = self._frames.get(camera_id, 0)
        self._frames[camera_id] = n + 1
        return n % self.full_every == 0

    def forget(self, camera_id: str) -> None:
        self._frames.pop(camera_id, None)
        self._credit.pop(camera_id, None)

    def observe(self, camera_id: str, detect_ms: float, latency_s: float, now: float | None = None) -> None:
        o = self.options
        now = time.monotonic() if now is None else now
        self._latency.append(latency_s)
        self._spent.append((now, detect_ms))
        self._since += 1
        if self._since < max(4, o.window // 4):
            return
        self._since = 0
        over = False
        p95 = sorted(self._latency)[int(0.95 * (len(self._latency) - 1))]
        if p95 > o.latency_target_s:
            over = True
        rate = self.ms_per_second()
        if o.budget_ms_per_s > 0 and rate is not None and rate > o.budget_ms_per_s:
            over = True
        if over:
            if self.tiles_per_frame <= 0.0:
                self.full_every = min(MAX_FULL_EVERY, self.full_every + 1)
            self.tiles_per_frame = max(0.0, self.tiles_per_frame * o.cut - 0.25)
            self.cuts += 1
        elif p95 < 0.6 * o.latency_target_s and (
            o.budget_ms_per_s <= 0 or rate is None or rate < 0.85 * o.budget_ms_per_s
        ):
            if self.full_every > max(1, o.full_every):
                self.full_every -= 1
            else:
                self.tiles_per_frame = min(self._ceiling, self.tiles_per_frame + o.grow)

    def ms_per_second(self) -> float | None:
        """Detection time spent per second of wall time over the window (None before 2 samples)."""
        if len(self._spent) < 2:
            return None
        span = self._spent[-1][0] - self._spent[0][0]
        if span <= 0:
            return None
        return sum(ms for _, ms in list(self._spent)[1:]) / span
