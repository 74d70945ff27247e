"""A camera server killed and restarted N times while the station's capture reads it: an HTTP MJPEG
camera, and a real RTSP server (gst-rtsp-server in its own process, killed -9) with a login. Every restart
must give one LIVE-after-OFFLINE recovery, the capture thread must never crash, and no thread may leak.
N: ``VIGIL_FAULT_CAMERA_RESTARTS`` (5 by default, 100 with ``VIGIL_FAULT_FULL=1``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.capture.camera import CameraCapture, CaptureOptions
from app.config import CameraConfig
from app.domain import Health
from tests.faults.conftest import FaultSettings, report, wait_until
from tests.integration.capture_helpers import StatusLog
from tests.integration.mjpeg_server import MjpegServer
from tests.integration.rtsp_helpers import RtspServer, make_clip, rtsp_missing

# short timeouts and a capped backoff: a real station uses 1 s .. 30 s, which only stretches the run
OPTIONS = CaptureOptions(
    open_timeout_s=3, read_timeout_s=3, stall_after_s=1.0, backoff_initial_s=0.2, backoff_max_s=0.5
)


def recoveries(log: StatusLog) -> int:
    """How many times the capture went LIVE again after having been OFFLINE or STALLED."""
    count, down = 0, False
    for health in log.healths():
        if health in (Health.OFFLINE, Health.STALLED):
            down = True
        elif health is Health.LIVE and down:
            count, down = count + 1, False
    return count


def _capture_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("capture-") and t.is_alive()]


def _restart_loop(
    name: str, camera: CameraConfig, restarts: int, kill: Callable[[], None], start: Callable[[], None]
) -> None:
    before = len(_capture_threads())
    log = StatusLog()
    cap = CameraCapture(camera, on_status=log, options=OPTIONS)
    started = time.monotonic()
    downs: list[float] = []
    cap.start()
    try:
        wait_until(lambda: cap.health is Health.LIVE, 30, "the first LIVE")
        for i in range(restarts):
            frames = cap.stats().frames_in
            wait_until(lambda n=frames: cap.stats().frames_in > n, 20, f"frames before kill {i + 1}")
            kill()
            t0 = time.monotonic()
            wait_until(
                lambda: cap.health in (Health.OFFLINE, Health.STALLED), 30, f"the drop after kill {i + 1}"
            )
            start()
            wait_until(lambda n=i + 1: recoveries(log) == n, 60, f"LIVE again after restart {i + 1}")
            downs.append(time.monotonic() - t0)
            assert cap.alive, f"capture thread died at restart {i + 1}"
        frames = cap.stats().frames_in
        wait_until(lambda: cap.stats().frames_in > frames, 20, "frames after the last restart")
    finally:
        cap.stop()
    crashes = [m for m in log.messages() if "internal error" in m]
    wait_until(lambda: len(_capture_threads()) <= before, 10, "capture threads to end")
    downs.sort()
    report(
        f"camera_restarts_{name}",
        restarts=restarts,
        recoveries=recoveries(log),
        crashes=len(crashes),
        capture_threads_left=len(_capture_threads()) - before,
        reconnects=cap.stats().reconnects,
        median_recovery_s=round(downs[len(downs) // 2], 2) if downs else None,
        max_recovery_s=round(downs[-1], 2) if downs else None,
        wall_s=round(time.monotonic() - started, 1),
    )
    assert not cap.alive and len(_capture_threads()) == before
    assert recoveries(log) == restarts and not crashes
    assert all("s3cret" not in m for m in log.messages())


def test_mjpeg_server_restarted_n_times(faults: FaultSettings) -> None:
    n = faults.count("camera_restarts", 5, 100)
    server = MjpegServer(fps=15.0).start()
    try:
        camera = CameraConfig("cam1", "Entrance", "default", server.url)
        _restart_loop("mjpeg", camera, n, server.stop, lambda: server.start() and None)
    finally:
        server.stop()


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_rtsp_server_with_login_killed_and_restarted_n_times(
    faults: FaultSettings, tmp_path: Path, transport: str
) -> None:
    why = rtsp_missing()
    if why:
        pytest.skip(why)
    n = faults.count("camera_restarts", 5, 100)
    server = RtspServer(make_clip(tmp_path / "clip.mp4", seconds=120)).start()
    try:
        camera = CameraConfig("cam1", "Entrance", "default", server.url_with(), transport=transport)
        _restart_loop(f"rtsp_{transport}", camera, n, server.kill, lambda: server.start() and None)
    finally:
        server.kill()


def test_rtsp_password_changed_on_the_camera_is_one_clear_line(tmp_path: Path) -> None:
    why = rtsp_missing()
    if why:
        pytest.skip(why)
    server = RtspServer(make_clip(tmp_path / "clip.mp4", seconds=30), password="changed-on-camera").start()
    log = StatusLog()
    cap = CameraCapture(
        CameraConfig("cam1", "Entrance", "default", server.url_with("s3cret"), transport="tcp"),
        on_status=log,
        options=OPTIONS,
    )
    cap.start()
    try:
        wait_until(lambda: cap.stats().reconnects >= 3, 60, "three failed logins")
    finally:
        cap.stop()
        server.kill()
    lines = [m for m in log.messages() if "wrong user name or password" in m]
    report("rtsp_wrong_password", attempts=cap.stats().reconnects + 1, lines=len(lines), line=lines[0][:140])
    assert len(lines) == 1, log.messages()  # retries with the same cause do not repeat the line
    assert lines[0].startswith(
        f"cam1 'Entrance': cannot open {server.url_with('***')} (wrong user name or password)"
    )
    assert all("s3cret" not in m and "changed-on-camera" not in m for m in log.messages())
    assert Health.LIVE not in log.healths()
