"""A capture thread that hangs inside the codec (a read() that never returns, as a broken decoder or a
server that accepts and then stalls below FFmpeg's timeouts can cause) is found by the watchdog and
replaced: one health line, video resumes, and the hung thread never publishes a frame when it wakes."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from app.capture.camera import CameraCapture, CaptureOptions
from app.capture.source import SourceKind
from app.config import CameraConfig
from app.domain import Health
from tests.faults.conftest import FaultSettings, report, wait_until
from tests.integration.capture_helpers import StatusLog
from tests.media import make_clip

ODD = (17, 23, 3)  # the shape of the frame the hung read returns when it finally wakes


class _HangingDecoder:
    """A real decoder of ``path`` whose read() blocks for good after ``frames`` frames (until ``wake``)."""

    def __init__(self, path: Path, frames: int, wake: threading.Event) -> None:
        self._cap = cv2.VideoCapture(str(path))
        self._left, self._wake = frames, wake
        self.entered_hang = threading.Event()

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self._left <= 0:
            self.entered_hang.set()
            self._wake.wait()
            return True, np.zeros(ODD, np.uint8)
        self._left -= 1
        ok, img = self._cap.read()
        return ok, img

    def get(self, prop: int) -> float:
        return float(self._cap.get(prop))

    def set(self, prop: int, value: float) -> bool:
        return bool(self._cap.set(prop, value))

    def grab(self) -> bool:
        return bool(self._cap.grab())

    def release(self) -> None:
        self._cap.release()


class _Capture(CameraCapture):
    """The first open() gets the hanging decoder; later opens get the real one (the camera is fine)."""

    def __init__(self, *args: object, hang_n: int, clip: Path, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.wake = threading.Event()
        self.hangs: list[_HangingDecoder] = []
        self._hang_n, self._clip = hang_n, clip
        self.published: list[tuple[int, ...]] = []

    def _open(self, kind: SourceKind):  # type: ignore[no-untyped-def]
        if len(self.hangs) < self._hang_n:
            dec = _HangingDecoder(self._clip, 10, self.wake)
            self.hangs.append(dec)
            return dec
        return super()._open(kind)

    def _publish(self, img: np.ndarray) -> None:
        before = self._seq
        super()._publish(img)
        if self._seq != before:
            self.published.append(img.shape)


def test_capture_hung_in_the_codec_is_replaced_and_the_hung_thread_stays_silent(
    tmp_path: Path, faults: FaultSettings
) -> None:
    hangs = faults.count("capture_hangs", 2, 3)
    clip = make_clip(tmp_path / "door.mp4", frames=90, size=(160, 120), fps=30)
    log = StatusLog()
    options = CaptureOptions(stall_after_s=0.5, hang_after_s=1.5, backoff_initial_s=0.1)
    cap = _Capture(CameraConfig("cam1", "Door", "m", str(clip)), log, options, hang_n=hangs, clip=clip)
    cap.start()
    try:
        for i in range(hangs):
            wait_until(
                lambda i=i: len(cap.hangs) > i and cap.hangs[i].entered_hang.is_set(), 30, f"hang {i + 1}"
            )
            wait_until(
                lambda i=i: sum("replaced it" in m for m in log.messages()) > i, 30, f"replacement {i + 1}"
            )
        seq = cap.stats().frames_in
        wait_until(lambda: cap.health is Health.LIVE and cap.stats().frames_in > seq + 10, 30, "video again")
    finally:
        cap.wake.set()  # the hung reads return now: their frames must be dropped
        cap.stop()
    for dec in cap.hangs:
        assert dec.entered_hang.is_set()
    lines = [m for m in log.messages() if "capture thread hung" in m]
    assert len(lines) == hangs
    assert all("inside the video decoder" in m and "replaced it with a new one" in m for m in lines)
    assert log.saw(Health.LIVE, Health.OFFLINE, Health.LIVE)
    assert ODD not in cap.published
    assert cap.stats().reconnects >= hangs
    report("capture_codec_hang", hangs=hangs, replaced=len(lines), frames_after=cap.stats().frames_in - seq)
