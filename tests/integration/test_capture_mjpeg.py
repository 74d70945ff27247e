"""Capture from a real HTTP MJPEG camera on 127.0.0.1 that goes away, comes back, and freezes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.capture.camera import CameraCapture, CaptureOptions
from app.config import CameraConfig
from app.domain import Health
from tests.integration.capture_helpers import StatusLog, wait_for
from tests.integration.mjpeg_server import MjpegServer

OPTIONS = CaptureOptions(
    open_timeout_s=3, read_timeout_s=3, stall_after_s=0.6, backoff_initial_s=0.2, backoff_max_s=0.5
)


@pytest.fixture
def server() -> Iterator[MjpegServer]:
    srv = MjpegServer(fps=15.0).start()
    yield srv
    srv.stop()


def _camera(url: str) -> CameraConfig:
    return CameraConfig("cam2", "Entrance B", "default", url)


def test_mjpeg_reconnects_after_the_server_restarts(server: MjpegServer) -> None:
    log = StatusLog()
    cap = CameraCapture(_camera(server.url), on_status=log, options=OPTIONS)
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE")
        frame, _ = cap.frames.take_newer(0, timeout=5)
        assert frame is not None and frame.image.shape == (120, 160, 3)
        assert cap.stats().reconnects == 0

        server.stop()
        wait_for(lambda: cap.health in (Health.OFFLINE, Health.STALLED), what="the drop to be noticed")
        wait_for(lambda: "connection refused" in cap.status().message, what="a failed reconnect")
        assert cap.status().message.startswith(
            f"cam2 'Entrance B': cannot open {server.url} (connection refused)"
        )
        frames_while_down = cap.stats().frames_in

        server.start()  # same port
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE again")
        wait_for(lambda: cap.stats().frames_in > frames_while_down + 5, what="frames after the restart")
        assert cap.stats().reconnects >= 1
        assert server.connections >= 2
        wait_for(
            lambda: log.saw(Health.LIVE, Health.OFFLINE, Health.LIVE),
            what="listener told LIVE -> OFFLINE -> LIVE",
        )
    finally:
        cap.stop()
    assert not cap.alive


def test_frozen_stream_is_stalled_then_live(server: MjpegServer) -> None:
    log = StatusLog()
    cap = CameraCapture(_camera(server.url), on_status=log, options=OPTIONS)
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE")
        server.paused.set()  # connection stays open, no frames: the reader is blocked in read()
        wait_for(lambda: cap.health is Health.STALLED, what="STALLED")
        assert cap.status().message.startswith("cam2 'Entrance B': no frames for ")
        server.paused.clear()
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE after the freeze")
        assert cap.stats().reconnects == 0  # recovered on the same connection
        wait_for(
            lambda: log.saw(Health.LIVE, Health.STALLED, Health.LIVE),
            what="listener told LIVE -> STALLED -> LIVE",
        )
    finally:
        cap.stop()
