"""Background checks for the camera manager: "Test connection" and the USB device scan.

Each runs in its own short-lived thread (cv2 open/read with timeouts) and reports through a Qt signal, so
the GUI never blocks; the result carries a numpy frame, turned into a QImage only on the GUI thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from app.capture.opener import open_network
from app.capture.rtsp import RtspOutcome, probe_rtsp
from app.logs import redact
from widgets.i18n import error_text, translate

OPEN_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """Outcome of one connection test. ``message`` is already redacted."""

    request: int
    ok: bool
    message: str
    image: np.ndarray | None = None


def open_capture(
    source: str, open_ms: int = OPEN_TIMEOUT_MS, read_ms: int = READ_TIMEOUT_MS
) -> cv2.VideoCapture:
    """cv2.VideoCapture for a URL, file or USB index, with open/read timeouts so a dead camera cannot hang."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, open_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_ms]
    target: str | int = int(source) if source.strip().isdigit() else source
    return cv2.VideoCapture(target, cv2.CAP_ANY, params)


def _rtsp_failure(source: str, shown: str) -> str | None:
    """Why an rtsp:// source did not open, asked of the camera itself (None: no better answer than OpenCV's)."""
    if not source.lower().startswith("rtsp://"):
        return None
    outcome = probe_rtsp(source, OPEN_TIMEOUT_MS / 1000).outcome
    texts = {
        RtspOutcome.WRONG_LOGIN: translate("connection_probe", "Cannot open {shown}: wrong user name or password."),
        RtspOutcome.NEEDS_LOGIN: translate(
            "connection_probe", "Cannot open {shown}: the camera needs a user name and password (rtsp://user:password@host/...)."
        ),
        RtspOutcome.FORBIDDEN: translate("connection_probe", "Cannot open {shown}: the camera forbids this user to watch the stream."),
        RtspOutcome.NOT_FOUND: translate("connection_probe", "Cannot open {shown}: stream not found on the camera; check the path."),
        RtspOutcome.REFUSED: translate("connection_probe", "Cannot open {shown}: the camera refused the connection; check the address and port."),
        RtspOutcome.NO_ANSWER: translate("connection_probe", "Cannot open {shown}: no answer from the camera; check the address and the network."),
        RtspOutcome.NO_HOST: translate("connection_probe", "Cannot open {shown}: host not found; check the address."),
    }
    text = texts.get(outcome)
    return text.format(shown=shown) if text else None


def probe_source(source: str, request: int = 0, transport: str = "auto") -> ProbeResult:
    """Open ``source`` (rtsp:// with ``transport``) and read one frame; the error names what failed, never
    the password."""
    shown = redact(source)
    if not source.strip():
        return ProbeResult(request, False, translate("connection_probe", "No source: enter a URL, a video file or a USB index."))
    if "://" not in source and not source.strip().isdigit() and not Path(source).exists():
        return ProbeResult(request, False, translate("connection_probe", "File not found: {shown}").format(shown=shown))
    cap = None
    try:
        if source.lower().startswith("rtsp://"):
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS]
            cap = open_network(source, transport, params)
        else:
            cap = open_capture(source)
        if not cap.isOpened():
            why = _rtsp_failure(source, shown)
            return ProbeResult(
                request, False, why or translate("connection_probe", "Cannot open {shown}: check the address, port and credentials.").format(shown=shown)
            )
        ok, image = cap.read()
        if not ok or image is None:
            return ProbeResult(request, False, translate("connection_probe", "Opened {shown} but no frame arrived within the timeout.").format(shown=shown))
        h, w = image.shape[:2]
        return ProbeResult(request, True, translate("connection_probe", "Connected: {w}x{h}").format(w=w, h=h), np.ascontiguousarray(image))
    except (cv2.error, OSError, ValueError) as exc:
        return ProbeResult(request, False, redact(translate("connection_probe", "Cannot open {shown}: {exc}").format(shown=shown, exc=error_text(exc))))
    finally:
        if cap is not None:
            cap.release()


def probe_usb(indices: Sequence[int] = range(10)) -> list[int]:
    """USB camera indices that open (quick: short timeouts; indices that fail are skipped)."""
    if sys.platform.startswith("linux"):  # only indices with a device node: no slow, noisy failed opens
        indices = [i for i in indices if Path(f"/dev/video{i}").exists()]
    found = []
    for i in indices:
        cap = open_capture(str(i), open_ms=800, read_ms=800)
        try:
            if cap.isOpened():
                found.append(i)
        finally:
            cap.release()
    return found


class ConnectionTester(QObject):
    """Runs ``probe_source`` in a thread per request; a newer request makes older answers stale."""

    finished = Signal(object)  # ProbeResult, delivered on the GUI thread (queued)
    usb_found = Signal(object)  # list[int]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._request = 0
        self._threads: list[threading.Thread] = []

    @property
    def request(self) -> int:
        return self._request

    def test(self, source: str, transport: str = "auto") -> int:
        self._request += 1
        request = self._request
        self._spawn(lambda: self._emit(self.finished, probe_source(source, request, transport)), "probe")
        return request

    def scan_usb(self) -> None:
        self._spawn(lambda: self._emit(self.usb_found, probe_usb()), "usb-scan")

    def wait(self, timeout: float = 10.0) -> None:
        """Join the probe threads (window close, tests)."""
        for t in list(self._threads):
            t.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]

    @staticmethod
    def _emit(signal, value: object) -> None:  # noqa: ANN001
        with contextlib.suppress(RuntimeError):  # the dialog closed while the probe ran: nobody to tell
            signal.emit(value)

    def _spawn(self, work, name: str) -> None:  # noqa: ANN001
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=work, name=f"vigil-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()
