"""Capture from a real RTSP camera (GStreamer's gst-rtsp-server on 127.0.0.1) with a login: frames over TCP
and UDP, and a one-line cause (wrong password, unknown path, refused) when it does not open."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.capture.camera import CameraCapture, CaptureOptions
from app.capture.rtsp import RtspOutcome, probe_rtsp
from app.config import CameraConfig
from app.domain import Health
from tests.integration.capture_helpers import wait_for
from tests.integration.rtsp_helpers import PASSWORD, RtspServer, make_clip, rtsp_missing

OPTIONS = CaptureOptions(open_timeout_s=5, read_timeout_s=5, backoff_initial_s=0.2, backoff_max_s=0.5)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    why = rtsp_missing()
    if why:
        pytest.skip(why)
    return make_clip(tmp_path_factory.mktemp("rtsp") / "clip.mp4")


@pytest.fixture(scope="module")
def server(clip: Path) -> Iterator[RtspServer]:
    srv = RtspServer(clip).start()
    yield srv
    srv.kill()


@pytest.fixture(scope="module")
def digest_server(clip: Path) -> Iterator[RtspServer]:
    srv = RtspServer(clip, auth="digest").start()
    yield srv
    srv.kill()


def _udp_sockets() -> int | None:
    """UDP sockets this process holds (Linux: /proc), None elsewhere: RTP over UDP opens two per stream."""
    net = Path("/proc/net/udp")
    if not net.exists():
        return None
    inodes = {line.split()[9] for line in net.read_text().splitlines()[1:]}
    if Path("/proc/net/udp6").exists():
        inodes |= {line.split()[9] for line in Path("/proc/net/udp6").read_text().splitlines()[1:]}
    links = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)


def _capture(url: str, transport: str = "auto") -> CameraCapture:
    return CameraCapture(CameraConfig("cam1", "Hall", "default", url, transport=transport), options=OPTIONS)


@pytest.mark.parametrize("transport", ["tcp", "udp", "auto"])
def test_rtsp_with_the_right_password_gives_frames(server: RtspServer, transport: str) -> None:
    cap = _capture(server.url_with(), transport)
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.LIVE, timeout=20, what=f"LIVE over RTSP ({transport})")
        frame, _ = cap.frames.take_newer(0, timeout=5)
        assert frame is not None and frame.image.shape == (120, 160, 3)
        udp = _udp_sockets()
        if udp is not None and transport == "udp":
            assert udp >= 2, "RTP over UDP needs its own sockets"
        if udp is not None and transport == "tcp":
            assert udp == 0, "RTP interleaved in the RTSP TCP connection"
    finally:
        cap.stop()


def test_rtsp_wrong_password_is_reported_as_such_and_never_shown(server: RtspServer) -> None:
    cap = _capture(server.url_with("wrongpw"), "tcp")
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.OFFLINE, timeout=20, what="OFFLINE")
        msg = cap.status().message
        assert "wrong user name or password" in msg, msg
        assert "wrongpw" not in msg and "viewer:***@" in msg
        assert "\n" not in msg
    finally:
        cap.stop()


def test_probe_names_each_cause(server: RtspServer, digest_server: RtspServer) -> None:
    assert probe_rtsp(server.url_with()).outcome is RtspOutcome.OK
    assert probe_rtsp(digest_server.url_with()).outcome is RtspOutcome.OK
    wrong = probe_rtsp(server.url_with("nope"))
    assert (wrong.outcome, wrong.status, wrong.reason) == (
        RtspOutcome.WRONG_LOGIN,
        401,
        "wrong user name or password",
    )
    assert probe_rtsp(digest_server.url_with("nope")).outcome is RtspOutcome.WRONG_LOGIN
    assert probe_rtsp(server.url).outcome is RtspOutcome.NEEDS_LOGIN
    missing = probe_rtsp(server.url_with(path="/nosuch"))
    assert missing.outcome is RtspOutcome.NOT_FOUND and "stream not found on the camera" in missing.reason
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    refused = probe_rtsp(f"rtsp://viewer:{PASSWORD}@127.0.0.1:{free}/cam")
    assert refused.outcome is RtspOutcome.REFUSED and refused.reason.startswith(
        "camera refused the connection"
    )
    assert PASSWORD not in refused.reason


def test_probe_of_a_silent_or_foreign_server(server: RtspServer) -> None:
    with socket.socket() as silent:  # listens but never answers: a camera that hangs
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        answer = probe_rtsp(f"rtsp://127.0.0.1:{port}/cam", timeout=0.5)
        assert answer.outcome is RtspOutcome.NO_ANSWER and "no answer from 127.0.0.1" in answer.reason
