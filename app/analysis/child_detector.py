"""A ``FaceDetector`` whose real detector runs in one spawned child process.

Why: MediaPipe detector threads were seen to hang in a process that had imported PySide6 (its import
hook was on the hung stacks). The GUI process needs faces outside live analysis too (watchlist
enrolment, match review), so it asks a child started with ``spawn``, which never imports Qt. The
child is started on the first ``detect()``; images go over a pipe (pickled: fine for single photos).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import multiprocessing as mp
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

import numpy as np

from app.domain import Detection
from app.errors import ModelError, UserError
from models.face_detector import FaceDetector

log = logging.getLogger(__name__)

DetectorFactory = Callable[[], FaceDetector]

REPLY_TIMEOUT_S = 30.0  # one photo: well under a second normally
START_TIMEOUT_S = 120.0  # importing mediapipe and loading models on a busy 2-core machine


class _Outcome(enum.Enum):
    READY = "ready"
    FACES = "faces"
    USER_ERROR = "user_error"
    MODEL_ERROR = "model_error"
    BUG = "bug"


@dataclass(frozen=True, slots=True)
class _Reply:
    """What the child sends back: the detector is ready, faces, or why not (``message``)."""

    outcome: _Outcome
    faces: tuple[Detection, ...] = ()
    message: str = ""


class _ChildDied(Exception):
    """The child process ended (killed, crashed) before it answered."""


def _failure(exc: BaseException) -> _Reply:
    if isinstance(exc, ModelError):
        return _Reply(_Outcome.MODEL_ERROR, message=str(exc))
    if isinstance(exc, UserError):
        return _Reply(_Outcome.USER_ERROR, message=str(exc))
    return _Reply(_Outcome.BUG, message="".join(traceback.format_exception(exc)))


def _child_main(conn: Connection, factory: DetectorFactory) -> None:
    """The child: build the detector, then answer one image per request until ``None`` or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the parent's to handle
    from app.logs import enable_crash_traces

    enable_crash_traces()
    try:
        detector = factory()
    except Exception as exc:
        with contextlib.suppress(OSError):
            conn.send(_failure(exc))
        return
    try:
        conn.send(_Reply(_Outcome.READY))
        while True:
            image = conn.recv()
            if image is None:
                break
            try:
                reply = _Reply(_Outcome.FACES, tuple(detector.detect(image)))
            except Exception as exc:
                reply = _failure(exc)
            conn.send(reply)
    except (OSError, EOFError):
        pass  # the parent went away
    finally:
        detector.close()


class ChildProcessDetector:
    """``FaceDetector`` that runs ``factory()``'s detector in one long-lived spawned child process.

    ``factory`` must be a top-level function (spawn pickles it by name). A reply that takes longer than
    ``reply_timeout_s`` raises ``UserError`` and the stuck child is ended; a child that died is restarted
    once per call. Thread-safe (one request at a time)."""

    def __init__(
        self,
        factory: DetectorFactory,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self._factory = factory
        self._reply_timeout_s = reply_timeout_s
        self._start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The current child's process id (None before the first ``detect()`` and after ``close()``)."""
        proc = self._proc
        return proc.pid if proc is not None else None

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        with self._lock:
            if self._closed:
                raise RuntimeError("detect() after close()")
            try:
                return self._ask(image_bgr)
            except _ChildDied as exc:
                if self._closed:
                    raise UserError("face detection was closed while it was working on a photo") from None
                log.warning("face detection process stopped (%s); starting it again", exc)
            try:
                return self._ask(image_bgr)
            except _ChildDied as exc:
                raise UserError(
                    f"the face detection process stopped again ({exc}); try another photo, "
                    "and see the log file if it keeps happening"
                ) from None

    def close(self, timeout: float = 2.0) -> None:
        """End the child: ask it to stop, wait ``timeout`` s, then terminate it (never left running)."""
        self._closed = True
        if self._lock.acquire(timeout=timeout):
            try:
                self._end_child(timeout)
            finally:
                self._lock.release()
        else:  # a detect() is waiting on a stuck child: end it now, that call then fails
            proc = self._proc
            if proc is not None:
                proc.terminate()

    def __enter__(self) -> ChildProcessDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- inside the lock ------------------------------------------------------------------------------
    def _ask(self, image: np.ndarray) -> list[Detection]:
        conn, proc = self._ensure_child()
        try:
            conn.send(np.asarray(image))
        except OSError as exc:  # broken pipe: it died since the last look
            raise _ChildDied(self._reap(f"pipe closed: {exc}")) from None
        reply = self._receive(conn, proc, self._reply_timeout_s)
        if reply.outcome is _Outcome.FACES:
            return list(reply.faces)
        raise self._error(reply)

    def _ensure_child(self) -> tuple[Connection, BaseProcess]:
        if self._proc is not None and self._conn is not None:
            if self._proc.is_alive():
                return self._conn, self._proc
            log.warning("face detection process %s", self._reap("had stopped"))
        if self._closed:
            raise RuntimeError("detect() after close()")
        ctx = mp.get_context("spawn")  # never fork: the child must not inherit Qt or threads
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child_main, args=(child, self._factory), name="vigil-face-detection")
        proc.daemon = True  # ended by multiprocessing at exit if nobody called close()
        proc.start()
        child.close()  # the parent keeps only its end, so the child's death reads as EOF here
        self._proc, self._conn = proc, parent
        reply = self._receive(parent, proc, self._start_timeout_s)
        if reply.outcome is not _Outcome.READY:
            self._end_child(1.0)
            raise self._error(reply)
        log.info("face detection process %s started", proc.pid)
        return parent, proc

    def _receive(self, conn: Connection, proc: BaseProcess, timeout: float) -> _Reply:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready = wait([conn, proc.sentinel], timeout=max(0.0, left))
            if conn in ready or conn.poll():
                try:
                    reply: _Reply = conn.recv()
                    return reply
                except (EOFError, OSError):
                    raise _ChildDied(self._reap("closed its pipe")) from None
            if ready:  # only the sentinel: it ended without a word
                raise _ChildDied(self._reap("ended"))
            if left <= 0:
                self._end_child(0.5)
                raise UserError(
                    f"face detection process did not answer within {timeout:.0f} s; it was stopped and "
                    "starts again with the next photo (see the log file if this repeats)"
                )

    def _error(self, reply: _Reply) -> Exception:
        if reply.outcome is _Outcome.MODEL_ERROR:
            return ModelError(reply.message)
        if reply.outcome is _Outcome.USER_ERROR:
            return UserError(reply.message)
        log.error("face detection failed in the child process:\n%s", reply.message)
        last = reply.message.strip().splitlines()[-1:] or ["unknown error"]
        return RuntimeError(f"face detection failed in the child process: {last[0]}")

    def _reap(self, what: str) -> str:
        """Forget a dead child (joined: no zombie); return '<what>, exit code N' for messages."""
        proc = self._proc
        code = None
        if proc is not None:
            proc.join(1.0)
            code = proc.exitcode
        self._end_child(0.0)
        return f"{what}, exit code {code}"

    def _end_child(self, timeout: float) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if proc is None:
            return
        proc.join(timeout)
        if proc.is_alive():
            proc.terminate()
            proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)
        with contextlib.suppress(ValueError):
            proc.close()
