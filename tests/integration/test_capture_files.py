"""Capture from real video files and from sources that cannot work: real decoding, real threads."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from app.capture.camera import CameraCapture, CaptureOptions, backoff_delay
from app.capture.group import CaptureGroup
from app.config import CameraConfig
from app.domain import Frame, Health
from tests.integration.capture_helpers import StatusLog, wait_for
from tests.media import make_clip

FAST = CaptureOptions(
    open_timeout_s=2, read_timeout_s=2, stall_after_s=1, backoff_initial_s=0.1, backoff_max_s=0.3
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip15.mp4", frames=10, size=(160, 120), fps=15.0)


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """Exceptions that escaped any thread during the test (there must be none)."""
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    return errors


def _cam(cid: str, source: str, name: str = "", **kw: object) -> CameraConfig:
    return CameraConfig(cid, name or cid.upper(), "default", source, **kw)  # type: ignore[arg-type]


def test_file_plays_at_native_rate_and_loops(clip: Path) -> None:
    cap = CameraCapture(_cam("cam1", str(clip), "Front"), options=FAST)
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE")
        seen: list[Frame] = []
        version, end = 0, time.monotonic() + 1.0
        while time.monotonic() < end:
            frame, version = cap.frames.take_newer(version, timeout=0.2)
            if frame is not None:
                seen.append(frame)
        # 15 fps for 1 s: about 15 frames, never the hundreds an unpaced loop would decode
        assert 5 <= len(seen) <= 30
        assert [f.seq for f in seen] == sorted({f.seq for f in seen})
        assert seen[-1].image.shape == (120, 160, 3) and seen[-1].camera_id == "cam1"
        kept = seen[0].image.copy()
        wait_for(lambda: cap.stats().frames_in > 12, what="the 10-frame clip to loop")
        assert (seen[0].image == kept).all()  # a frame someone holds is never overwritten by later reads
        stats = cap.stats()
        assert cap.health is Health.LIVE and stats.reconnects == 0 and 0 < stats.fps < 60
    finally:
        cap.stop()
    assert not cap.alive and cap.health is Health.STOPPED


def test_non_looping_file_stops_at_end(clip: Path) -> None:
    log = StatusLog()
    cap = CameraCapture(_cam("cam2", str(clip), "Once", loop=False), on_status=log, options=FAST)
    cap.start()
    wait_for(lambda: cap.health is Health.STOPPED, what="end of file")
    cap.stop()
    assert 1 <= cap.stats().frames_in <= 10
    assert log.saw(Health.CONNECTING, Health.LIVE, Health.STOPPED)
    assert log.messages()[-1] == f"cam2 'Once': end of file {clip}"


def test_max_width_downscales(clip: Path) -> None:
    cap = CameraCapture(_cam("cam1", str(clip)), options=CaptureOptions(max_width=80))
    cap.start()
    try:
        frame, _ = cap.frames.take_newer(0, timeout=10)
        assert frame is not None and frame.image.shape == (60, 80, 3)
    finally:
        cap.stop()


def test_stop_is_prompt_while_backing_off(tmp_path: Path) -> None:
    slow = CaptureOptions(backoff_initial_s=60, backoff_max_s=60)
    cap = CameraCapture(_cam("cam1", str(tmp_path / "missing.mp4")), options=slow)
    cap.start()
    wait_for(lambda: cap.health is Health.OFFLINE, what="OFFLINE")
    assert "retrying in" in cap.status().message
    cap.stop(timeout=5)  # the thread waits 60 s between retries: only an Event wait can end this early
    assert not cap.alive and cap.health is Health.STOPPED


def test_missing_file_is_retried_until_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "later.mp4"
    log = StatusLog()
    cap = CameraCapture(_cam("cam3", str(path), "Later"), on_status=log, options=FAST)
    cap.start()
    try:
        wait_for(lambda: cap.health is Health.OFFLINE, what="OFFLINE")
        assert cap.status().message.startswith(f"cam3 'Later': video file not found: {path}; retrying in ")
        make_clip(tmp_path / "tmp.mp4", frames=5, size=(64, 48))
        os.replace(tmp_path / "tmp.mp4", path)  # appears whole, as a user copying it in would see it
        wait_for(lambda: cap.health is Health.LIVE, what="LIVE after the file appeared")
        assert cap.stats().reconnects >= 1
        wait_for(
            lambda: log.saw(Health.CONNECTING, Health.OFFLINE, Health.LIVE),
            what="listener told CONNECTING -> OFFLINE -> LIVE",
        )
    finally:
        cap.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_sources_report_clearly_and_others_keep_running(
    clip: Path, tmp_path: Path, thread_errors: list[BaseException | None]
) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    port = _closed_port()
    bad = {
        "cam1": (
            str(tmp_path / "gone.mp4"),
            f"cam1 'CAM1': video file not found: {tmp_path / 'gone.mp4'}; retrying in",
        ),
        "cam2": (
            str(text),
            f"cam2 'CAM2': cannot open video file {text} (not a video, or an unsupported format)",
        ),
        "cam3": ("rtsp//x", "cam3 'CAM3': invalid source: malformed URL \"rtsp//x\"; expected rtsp://host"),
        "cam4": (
            f"http://127.0.0.1:{port}/video",
            f"cam4 'CAM4': cannot open http://127.0.0.1:{port}/video (connection refused); retrying in",
        ),
        "cam5": ("99", "cam5 'CAM5': no USB camera at index 99; retrying in"),
    }
    logs = {cid: StatusLog() for cid in [*bad, "good"]}
    caps = [CameraCapture(_cam(cid, src), on_status=logs[cid], options=FAST) for cid, (src, _) in bad.items()]
    good = CameraCapture(_cam("good", str(clip)), on_status=logs["good"], options=FAST)
    for c in [*caps, good]:
        c.start()
    try:
        for c in caps:
            log_ = logs[c.camera.id]
            # wait on the listener, not on ``c.health``: the status is set before listeners are told
            wait_for(lambda log_=log_: Health.OFFLINE in log_.healths(), what=f"{c.camera.id} OFFLINE")
            expected = bad[c.camera.id][1]
            message = next(s.message for s in log_.items if s.health is Health.OFFLINE)
            assert message.startswith(expected), message
            assert "\n" not in message
        seq_before = good.stats().frames_in
        wait_for(lambda: good.stats().frames_in > seq_before + 5, what="frames from the good camera")
        assert good.health is Health.LIVE
        wait_for(lambda: caps[0].stats().reconnects >= 2, what="retries of the missing file")
        assert all(c.alive for c in caps if c.camera.id != "cam3")  # still retrying, not crashed
    finally:
        for c in [*caps, good]:
            c.stop()
    assert thread_errors == []


def test_passwords_never_in_status_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log = StatusLog()
    cap = CameraCapture(
        _cam("cam6", "rtsp://admin:secret@127.0.0.1:9/", "Entrance B"), on_status=log, options=FAST
    )
    cap.start()
    wait_for(lambda: cap.stats().reconnects >= 1, what="a retry")
    cap.stop()
    messages = log.messages() + [cap.status().message]
    assert any("cannot open rtsp://admin:***@127.0.0.1:9/ (camera refused the connection on 127.0.0.1:9)" in m for m in messages)
    assert all("secret" not in m for m in messages)
    assert caplog.records and all("secret" not in r.getMessage() for r in caplog.records)
    assert "secret" not in caplog.text


def test_listener_errors_do_not_stop_the_camera(clip: Path) -> None:
    def broken(_status: object) -> None:
        raise RuntimeError("listener bug")

    cap = CameraCapture(_cam("cam1", str(clip)), on_status=broken, options=FAST)
    cap.start()
    try:
        wait_for(lambda: cap.stats().frames_in > 3, what="frames despite the listener")
        assert cap.health is Health.LIVE
    finally:
        cap.stop()


def test_sixteen_cameras_start_and_stop_together(clip: Path) -> None:
    cams = [_cam(f"cam{i}", str(clip)) for i in range(16)] + [_cam("off", str(clip), enabled=False)]
    group = CaptureGroup(cams, options=FAST, stagger_s=0.02)
    assert len(group) == 16 and "off" not in group.captures
    group.start()
    try:
        wait_for(lambda: all(c.stats().frames_in >= 3 for c in group), timeout=30, what="frames from all 16")
        assert all(c.health is Health.LIVE for c in group)
    finally:
        group.stop(timeout=5)
    assert all(not c.alive and c.health is Health.STOPPED for c in group)


def test_backoff_grows_is_capped_and_jittered() -> None:
    o = CaptureOptions(backoff_initial_s=1, backoff_max_s=30, jitter=0.2)
    assert [backoff_delay(a, o) for a in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff_delay(2, o, rand=0.0) == pytest.approx(3.2)
    assert backoff_delay(2, o, rand=0.999999) == pytest.approx(4.8, abs=1e-4)
