"""A real RTSP camera for tests: rtsp_serve.py (GStreamer's gst-rtsp-server) in its own process, which a
test can kill and start again on the same port."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SERVE = Path(__file__).with_name("rtsp_serve.py")
SYSTEM_PY = "/usr/bin/python3"
USER, PASSWORD = "viewer", "s3cret"


def rtsp_missing() -> str:
    """'' when the RTSP server can run here, else why not (a skip reason)."""
    if not Path(SYSTEM_PY).exists() or shutil.which("ffmpeg") is None:
        return "needs /usr/bin/python3 and ffmpeg"
    r = subprocess.run([SYSTEM_PY, str(SERVE), "--check"], capture_output=True, text=True, timeout=30)
    return "" if r.returncode == 0 else f"GStreamer RTSP server not installed: {r.stdout.strip()}"


def make_clip(path: Path, seconds: int = 60) -> Path:
    """A small H.264 clip (160x120, 10 fps, a key frame every second) for the server to play."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
         "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-preset", "ultrafast", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


class RtspServer:
    """``start()`` runs the server (with a login unless ``user`` is empty); ``kill()`` kills it -9; a later
    ``start()`` listens on the same port again."""

    def __init__(self, clip: Path, user: str = USER, password: str = PASSWORD, auth: str = "basic") -> None:
        self.clip, self.user, self.password, self.auth = clip, user, password, auth
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    def url_with(self, password: str | None = None, path: str = "/cam") -> str:
        pw = self.password if password is None else password
        return f"rtsp://{self.user}:{pw}@127.0.0.1:{self.port}{path}"

    def start(self) -> RtspServer:
        cmd = [SYSTEM_PY, str(SERVE), "--clip", str(self.clip), "--port", str(self.port), "--auth", self.auth]
        if self.user:
            cmd += ["--user", self.user, "--password", self.password]
        for _ in range(20):  # a port just freed by a killed server can take a moment to be reusable
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().strip()
            if line.startswith("READY "):
                self.port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
                return self
            self.proc.wait(10)
            assert line.startswith("ERROR cannot listen"), line
        raise AssertionError(f"RTSP server could not listen on port {self.port} again")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
