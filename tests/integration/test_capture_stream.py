"""A live H.264 stream over HTTP (MPEG-TS with real timestamps, served by ffmpeg on loopback)."""

import shutil
import socket
import subprocess
import time

import pytest

from app.capture.camera import CameraCapture
from app.config import CameraConfig
from app.domain import Health

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="needs ffmpeg (the CI script installs it)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_live_ts_stream_is_read_at_its_rate_without_false_lag_reconnects(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/live.ts"
    server = subprocess.Popen(
        [
            "ffmpeg",
            "-v",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=15",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "15",
            "-f",
            "mpegts",
            "-listen",
            "1",
            url,
        ],
        stdin=subprocess.DEVNULL,
    )
    cap = CameraCapture(CameraConfig("net", "Net", "m", url))
    try:
        time.sleep(0.5)
        cap.start()
        deadline = time.monotonic() + 15
        while cap.health is not Health.LIVE and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cap.health is Health.LIVE, cap.status().message
        before = cap.stats().frames_in
        time.sleep(4)
        stats = cap.stats()
        assert 30 <= stats.frames_in - before <= 90  # ~15 fps for 4 s: live pace, no backlog burst
        assert stats.reconnects == 0
    finally:
        cap.stop()
        server.kill()
        server.wait(5)
