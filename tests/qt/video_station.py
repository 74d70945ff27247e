"""A station for screenshots: cv2 plays real video files into LatestSlots at their own rate, and BlazeFace
(models/face_detector.py) runs in the same thread on every 3rd frame, so boxes match their frames even on a
loaded machine. Mask verdicts are scripted from the file name (the mask model is another work item)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2

from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import Event, EventKind, Face, Health, MaskState
from tests.qt.scripted_station import ScriptedStation


def _verdict(name: str) -> MaskState:
    if "no_mask" in name:
        return MaskState.NO_MASK
    if "puts_on" in name:
        return MaskState.INCORRECT
    return MaskState.MASK if "mask" in name else MaskState.UNCERTAIN


class VideoStation(ScriptedStation):
    """ScriptedStation whose feeds play ``videos``; ``offline`` extra cameras never connect."""

    def __init__(self, videos: list[Path], offline: int = 0) -> None:
        cams = [
            CameraConfig(f"cam{i}", p.stem.replace("_", " "), "riverside", str(p))
            for i, p in enumerate(videos)
        ]
        cams += [
            CameraConfig(f"off{i}", f"Car park {i + 1}", "riverside", f"rtsp://admin:secret@10.9.9.{i}/live")
            for i in range(offline)
        ]
        super().__init__(
            StationConfig(sites=(SiteConfig("riverside", "Riverside Mall"),), cameras=tuple(cams))
        )
        for i in range(offline):
            self.feed(f"off{i}").health = Health.OFFLINE
            self.feed(f"off{i}").fps = 0.0
        self._videos = videos
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> VideoStation:
        for i, path in enumerate(self._videos):
            t = threading.Thread(target=self._play, args=(f"cam{i}", path), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _play(self, camera_id: str, path: Path) -> None:
        from models.face_detector import MediaPipeFaceDetector

        feed = self.feed(camera_id)
        cap = cv2.VideoCapture(str(path))
        period = 1.0 / (cap.get(cv2.CAP_PROP_FPS) or 25.0)
        verdict = _verdict(path.stem)
        alerted = False
        with MediaPipeFaceDetector("full", min_score=0.5) as detector:
            n, next_t = 0, time.monotonic()
            while not self._stop.is_set():
                ok, image = cap.read()
                if not ok:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    continue
                if n % 3 == 0:
                    dets = detector.detect(image)
                    faces = tuple(
                        Face(d.bbox, d.score, d.keypoints, 1 + k, verdict, verdict=verdict)
                        for k, d in enumerate(dets)
                    )
                frame = feed.push_frame(image)
                if n % 3 == 0:
                    feed.push_result(frame, faces)
                    if faces and verdict is MaskState.NO_MASK and not alerted:
                        alerted = True
                        b = faces[0].bbox.clamp(frame.width, frame.height)
                        crop = image[int(b.y1) : int(b.y2), int(b.x1) : int(b.x2)]
                        ok_jpg, jpg = cv2.imencode(".jpg", crop)
                        self.emit(
                            Event(
                                time.time(),
                                camera_id,
                                EventKind.NO_MASK,
                                1,
                                {},
                                jpg.tobytes() if ok_jpg else None,
                            )
                        )
                n += 1
                next_t += period
                self._stop.wait(max(0.0, next_t - time.monotonic()))
        cap.release()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
