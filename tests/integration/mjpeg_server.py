"""A real HTTP MJPEG camera on 127.0.0.1 (multipart/x-mixed-replace), stoppable and restartable."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import cv2
import numpy as np

BOUNDARY = "vigilframe"


def _jpeg(i: int, size: tuple[int, int]) -> bytes:
    w, h = size
    img = np.full((h, w, 3), 30, np.uint8)
    x = (i * 5) % max(1, w - 20)
    cv2.rectangle(img, (x, h // 3), (x + 20, h // 3 + 20), (0, 200, 255), -1)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    return buf.tobytes()


class MjpegServer:
    """Serves ``/video.mjpg`` at ``fps``; ``stop()`` drops every client, ``start()`` listens again on the
    same port (so a capture must reconnect)."""

    def __init__(self, fps: float = 15.0, size: tuple[int, int] = (160, 120), port: int = 0) -> None:
        self.fps = fps
        self.frames = [_jpeg(i, size) for i in range(16)]
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.paused = threading.Event()  # set: keep connections open but send nothing (a frozen camera)
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> MjpegServer:
        owner = self
        stopping = self._stopping = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                if self.path != "/video.mjpg":
                    self.send_error(404)
                    return
                owner.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                i = 0
                try:
                    while not stopping.wait(1.0 / owner.fps):
                        if owner.paused.is_set():
                            continue
                        jpg = owner.frames[i % len(owner.frames)]
                        head = (
                            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpg)}\r\n\r\n"
                        )
                        self.wfile.write(head.encode("ascii") + jpg + b"\r\n")
                        self.wfile.flush()
                        i += 1
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="mjpeg-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and end every stream (clients see the connection drop)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
