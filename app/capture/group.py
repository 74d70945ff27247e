"""CaptureGroup: start and stop the captures of many cameras together."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from app.capture.camera import CameraCapture, CaptureOptions, StatusCallback
from app.config import CameraConfig


class CaptureGroup:
    """One CameraCapture per enabled camera. Starts are staggered (``stagger_s`` apart) so that 16+ cameras
    do not all probe their streams in the same instant; ``stop`` signals all first, then waits."""

    def __init__(
        self,
        cameras: Iterable[CameraConfig],
        on_status: StatusCallback | None = None,
        options: CaptureOptions | None = None,
        stagger_s: float = 0.05,
    ) -> None:
        self.stagger_s = stagger_s
        self.captures: dict[str, CameraCapture] = {
            cam.id: CameraCapture(cam, on_status, options) for cam in cameras if cam.enabled
        }

    def start(self) -> None:
        for i, cap in enumerate(self.captures.values()):
            cap.start(delay_s=i * self.stagger_s)

    def stop(self, timeout: float = 5.0) -> None:
        for cap in self.captures.values():
            cap.request_stop()
        deadline = time.monotonic() + timeout
        for cap in self.captures.values():
            cap.stop(max(0.0, deadline - time.monotonic()))

    def __getitem__(self, camera_id: str) -> CameraCapture:
        return self.captures[camera_id]

    def __iter__(self) -> Iterator[CameraCapture]:
        return iter(self.captures.values())

    def __len__(self) -> int:
        return len(self.captures)
