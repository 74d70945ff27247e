"""OPENCV_FFMPEG_CAPTURE_OPTIONS per RTSP transport, and the gate that keeps concurrent opens apart."""

from __future__ import annotations

import os
import threading

from app.capture import opener
from app.capture.opener import FFMPEG_OPTIONS_ENV, _EnvGate, ffmpeg_options


def test_transport_replaces_only_rtsp_transport() -> None:
    assert ffmpeg_options("tcp", "") == "rtsp_transport;tcp"
    assert (
        ffmpeg_options("udp", "stimeout;5000000|rtsp_transport;tcp") == "stimeout;5000000|rtsp_transport;udp"
    )
    assert ffmpeg_options("auto", "rtsp_transport;tcp") == "rtsp_transport;tcp"
    assert ffmpeg_options("auto", "") is None


def test_gate_runs_same_value_together_and_other_values_after() -> None:
    gate = _EnvGate()
    seen: list[str | None] = []
    inside = threading.Event()
    release = threading.Event()

    def tcp_open() -> None:
        with gate.holding("rtsp_transport;tcp"):
            inside.set()
            release.wait(10)

    def udp_open() -> None:
        with gate.holding("rtsp_transport;udp"):
            seen.append(os.environ.get(FFMPEG_OPTIONS_ENV))

    first = threading.Thread(target=tcp_open)
    first.start()
    assert inside.wait(10)
    with gate.holding("rtsp_transport;tcp"):  # the same value does not wait for the first open
        assert os.environ[FFMPEG_OPTIONS_ENV] == "rtsp_transport;tcp"
    second = threading.Thread(target=udp_open)
    second.start()
    second.join(0.2)
    assert seen == []  # another value waits while the tcp open is inside OpenCV
    release.set()
    first.join(10)
    second.join(10)
    assert seen == ["rtsp_transport;udp"]
    assert os.environ.get(FFMPEG_OPTIONS_ENV) == opener._USER_OPTIONS  # the user's own value is back


def test_recorder_inputs_follow_the_transport() -> None:
    from app.clips.sources import input_args

    url = "rtsp://u:p@10.0.0.5/s1"
    assert input_args(url, False, False, "udp")[:2] == ["-rtsp_transport", "udp"]
    assert input_args(url, False, False, "tcp")[:2] == ["-rtsp_transport", "tcp"]
    assert input_args(url, False, False)[:2] == ["-rtsp_transport", "tcp"]  # auto: TCP, as OpenCV's default
    assert "-rtsp_transport" not in input_args("http://10.0.0.7/video.mjpg", False, False, "udp")
