"""``eval-scenes --live N``: score the detection scheduler as the live station would run it for N cameras.

Each annotated image becomes one second of a 1280x720 camera view (the image in the middle of a grey frame
the camera had watched, and scanned, before): the frames the station analyses in that second go through the
real engine (scheduler + tracker), with the tile budget the governor plans for N cameras on this machine.
The faces of the last frame are scored. ``cpu_ms_per_frame`` is the detection CPU per analysed 720p frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.governor import GovernorOptions, ScanGovernor, plan_full_every, plan_tiles
from app.analysis.scan import ScheduledFaceDetector
from app.analysis.scenes_eval import Classify, Problem, Scene, ScenesReport, read_image
from app.domain import BBox, Detection, Frame

CANVAS = (1280, 720)
GREY = 110


@dataclass(frozen=True, slots=True)
class LivePlan:
    """What the governor chooses for ``cameras`` cameras at ``fps`` on ``cores`` CPU cores."""

    cameras: int
    fps: float = 5.0
    cores: int = 0  # 0: this machine's

    @property
    def tiles_per_frame(self) -> float:
        return plan_tiles(self.cameras * self.fps, self.cores or None)

    @property
    def full_every(self) -> int:
        return plan_full_every(self.cameras * self.fps, self.cores or None)


def _on_canvas(image: np.ndarray) -> tuple[np.ndarray, int, int, float]:
    """The image centred on a grey 720p frame (scaled down if larger); returns frame, offset x, y, scale."""
    h, w = image.shape[:2]
    scale = min(1.0, CANVAS[0] / w, CANVAS[1] / h)
    if scale < 1.0:
        image = cv2.resize(
            image, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA
        )
        h, w = image.shape[:2]
    frame = np.full((CANVAS[1], CANVAS[0], 3), GREY, np.uint8)
    ox, oy = (CANVAS[0] - w) // 2, (CANVAS[1] - h) // 2
    frame[oy : oy + h, ox : ox + w] = image
    return frame, ox, oy, scale


def _back(d: Detection, ox: int, oy: int, scale: float) -> Detection:
    b = d.bbox
    box = BBox((b.x1 - ox) / scale, (b.y1 - oy) / scale, (b.x2 - ox) / scale, (b.y2 - oy) / scale)
    kps = tuple(((x - ox) / scale, (y - oy) / scale) for x, y in d.keypoints)
    return Detection(box, d.score, kps)


def evaluate_live(
    scenes: Iterable[Scene],
    plan: LivePlan,
    classify: Classify | None = None,
    progress: Callable[[int, Scene], None] | None = None,
) -> ScenesReport:
    """Score the scheduler on each scene shown for one second to a camera of an N-camera station."""
    governor = ScanGovernor(
        GovernorOptions(tiles=plan.tiles_per_frame, full_every=plan.full_every, latency_target_s=1e9)
    )
    detector = ScheduledFaceDetector(governor)
    engine = AnalysisEngine(EngineParts(detector=lambda: detector))
    report = ScenesReport(classifier=classify is not None)
    frames_per_scene = max(1, round(plan.fps))
    cpu, frames = 0.0, 0
    empty = np.full((CANVAS[1], CANVAS[0], 3), GREY, np.uint8)
    try:
        for n, scene in enumerate(scenes):
            if progress is not None:
                progress(n, scene)
            image = read_image(scene.image_path)
            if image is None:
                report.problems.append(Problem(scene.image_path, "cannot decode the image"))
                continue
            frame_img, ox, oy, scale = _on_canvas(image)
            cam = f"scene{n}"
            detector.assume_scanned(cam, empty, 0.0)
            t0, c0 = time.perf_counter(), time.process_time()
            last = None
            for k in range(frames_per_scene):
                t = (k + 1) / plan.fps
                last = engine.analyse([Frame(cam, k, frame_img, 1.7e9 + t, t)])[0].result
            cpu += time.process_time() - c0
            frames += frames_per_scene
            seconds = time.perf_counter() - t0
            engine.finish(cam)
            detector.forget(cam)
            assert last is not None
            found = [_back(Detection(f.bbox, f.score, f.keypoints), ox, oy, scale) for f in last.faces]
            pairs = report.add(scene.faces, found, seconds)
            if classify is not None and pairs:
                labels = list(classify(image, found))
                for i, j in pairs:
                    report.add_mask(scene.faces[i], labels[j] if j < len(labels) else None)
    finally:
        engine.close()
    report.extra = {
        "live_cameras": plan.cameras,
        "tiles_per_frame": round(plan.tiles_per_frame, 2),
        "full_range_every": plan.full_every,
        "cpu_ms_per_frame": round(1000.0 * cpu / frames, 2) if frames else None,
        "scan_coverage": round(min(1.0, plan.tiles_per_frame * plan.fps / detector.grid_tiles(*CANVAS)), 3),
        "options": detector.describe(),
    }
    return report
