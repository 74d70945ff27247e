"""Analysis in a child process: frames go through shared memory, results come back as dataclasses.

Why: MediaPipe detector threads were seen to hang in a process that had imported PySide6, and a
child process also takes analysis off the GUI process's GIL. The child is started with ``spawn``,
so it never inherits Qt or capture threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from app.analysis.engine import AnalysisEngine
from app.analysis.healing import (
    CHECKPOINT_S,
    AnalysisHealth,
    ChildGone,
    HealthBoard,
    RestartPolicy,
    TrackKeeper,
    exit_text,
)
from app.analysis.spec import EngineSpec, build_parts
from app.analysis.worker import CameraLane, EndedSink, OutputSink, RateMeter, RoundScheduler, ZoneSync
from app.capture.slot import LatestSlot
from app.domain import Frame, FrameResult
from app.zones import Zone

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrameRef:
    """A frame that lies in shared memory ``shm_name`` (C-contiguous uint8, ``shape``)."""

    camera_id: str
    seq: int
    shm_name: str
    shape: tuple[int, ...]
    captured_at: float
    captured_mono: float


def lower_priority(steps: int) -> None:
    """Run this process ``steps`` below its parent's priority (``[analysis] process_nice``): on a full
    machine the window keeps painting and the decoders keep reading, and analysis gets the rest, which the
    detection governor fits its scan to. Measured on 2 cores at 16 cameras (README: Performance)."""
    if steps <= 0:
        return
    try:
        if hasattr(os, "nice"):
            os.nice(steps)
        elif sys.platform == "win32":
            import ctypes

            below_normal = 0x4000  # BELOW_NORMAL_PRIORITY_CLASS
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
    except OSError as exc:
        log.warning("analysis process keeps its priority: %s", exc)


def _child_main(conn: Connection, spec: EngineSpec) -> None:
    from app.logs import enable_crash_traces, setup_logging

    setup_logging()
    enable_crash_traces()  # a native crash in MediaPipe or ONNX Runtime leaves its stacks in crash.log
    # one OpenCV thread: the analysis processes already fill the cores, and OpenCV's own pool for a resize
    # or a colour conversion only added CPU (measured in-process: ~10 % of the analysis time per frame)
    import cv2

    cv2.setNumThreads(1)
    lower_priority(spec.analysis.process_nice)
    engine = AnalysisEngine(build_parts(spec))
    blocks: dict[str, SharedMemory] = {}
    last_key: object = None
    last_sent = 0.0
    try:
        engine.analyse([])
        conn.send(("ready", engine.mask_error))
        while True:
            msg = conn.recv()
            if msg is None:
                break
            verb, arg = msg
            if verb == "analyse":
                frames = []
                for ref in arg:
                    shm = blocks.get(ref.shm_name)
                    if shm is None:
                        shm = blocks[ref.shm_name] = SharedMemory(ref.shm_name)
                    img = np.ndarray(ref.shape, np.uint8, buffer=shm.buf)
                    frames.append(Frame(ref.camera_id, ref.seq, img, ref.captured_at, ref.captured_mono))
                outputs = engine.analyse(frames)
                del frames, img
                # the open tracks go to the parent whenever their set changed and at least once a second:
                # a restarted child continues them (app.analysis.healing)
                trackers = engine.open_trackers()
                key = tuple((cid, tuple(t.tracks)) for cid, t in trackers.items())
                now = time.monotonic()
                checkpoint = None
                if key != last_key or now - last_sent >= CHECKPOINT_S:
                    checkpoint, last_key, last_sent = trackers, key, now
                conn.send(("outputs", outputs, checkpoint))
            elif verb == "restore":
                engine.restore(arg)
            elif verb == "zones":
                engine.set_zones(*arg)
            elif verb == "finish":
                conn.send(("ended", engine.finish(arg)))
            elif verb == "forget":
                old = blocks.pop(arg, None)
                if old is not None:
                    old.close()
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        with contextlib.suppress(OSError, EOFError):
            conn.send(("ended", engine.finish()))
        engine.close()
        for shm in blocks.values():
            shm.close()


class _SharedFrames:
    """One shared-memory block per camera, re-made when the frame size changes."""

    def __init__(self) -> None:
        self._blocks: dict[str, SharedMemory] = {}

    def put(self, frame: Frame) -> tuple[str, str | None]:
        """Copy the frame in; return (block name, name of a replaced block or None)."""
        img = np.ascontiguousarray(frame.image)
        shm = self._blocks.get(frame.camera_id)
        replaced = None
        if shm is None or shm.size < img.nbytes:
            if shm is not None:
                replaced = shm.name
                self.drop(frame.camera_id)
            shm = self._blocks[frame.camera_id] = SharedMemory(create=True, size=img.nbytes)
        np.ndarray(img.shape, np.uint8, buffer=shm.buf)[...] = img
        return shm.name, replaced

    def drop(self, camera_id: str) -> str | None:
        shm = self._blocks.pop(camera_id, None)
        if shm is None:
            return None
        shm.close()
        shm.unlink()
        return shm.name

    def close(self) -> None:
        for cid in list(self._blocks):
            self.drop(cid)


class ProcessAnalysisRunner:
    """Same interface as ``ThreadAnalysisRunner``; the engine lives in one child process."""

    def __init__(
        self,
        spec: EngineSpec,
        sink: OutputSink,
        ended: EndedSink,
        max_batch: int = 8,
        board: HealthBoard | None = None,
    ) -> None:
        self._spec, self._sink, self._ended = spec, sink, ended
        self.board = board or HealthBoard()
        self._board = self.board
        self._keeper = TrackKeeper()
        self._policy = RestartPolicy()
        self._delivered = False
        self._max_batch = max_batch
        self._scheduler = RoundScheduler()
        self._meter = RateMeter()
        self._stop_evt = threading.Event()
        self._finish: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="analysis-parent", daemon=True)
        self._mask_error: str | None = None
        self.ready = threading.Event()
        self.child_pid: int | None = None

    def add_camera(
        self,
        camera_id: str,
        frames: LatestSlot[Frame],
        results: LatestSlot[FrameResult],
        fps: float,
        zones: tuple[Zone, ...] = (),
    ) -> None:
        self._scheduler.add(CameraLane(camera_id, frames, results, 1.0 / max(fps, 0.1), zones=zones))

    def remove_camera(self, camera_id: str) -> None:
        if self._scheduler.remove(camera_id) is not None:
            with self._lock:
                self._finish.append(camera_id)

    def start(self) -> None:
        self._thread.start()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        return self.ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_evt.set()
        self._thread.join(timeout)

    def analysed_fps(self) -> float:
        return self._meter.rate()

    @property
    def mask_error(self) -> str | None:
        return self._mask_error

    def health(self) -> AnalysisHealth:
        """Restarts of the analysis process so far and the newest notice."""
        return self.board.health()

    def _run(self) -> None:
        ctx = mp.get_context("spawn")
        shared = _SharedFrames()
        down_since: float | None = None
        try:
            while not self._stop_evt.is_set():
                started = time.monotonic()
                try:
                    self._serve(ctx, shared, down_since)
                    return
                except ChildGone as gone:
                    self.ready.set()  # the first start counts as done, working or not
                    down_since = time.monotonic()
                    delay = self._policy.delay(down_since - started)
                    later = f" in {delay:.0f} s" if delay else ""
                    self._board.post(
                        "warning",
                        f"analysis process {self.child_pid} stopped ({gone}); "
                        f"{len(self._scheduler)} cameras wait for it, restarting it{later}",
                    )
                    self._stop_evt.wait(delay)
        except Exception:
            log.exception("analysis child process failed")
            self._board.post("error", "analysis stopped after an internal error (details in the log file)")
        finally:
            self.ready.set()
            shared.close()
            if not self._delivered:  # the child died: close its tracks at their last sighting
                self._ended(self._keeper.end_all())

    def _serve(self, ctx: Any, shared: _SharedFrames, down_since: float | None) -> None:
        """Start one child and feed it until stop (returns) or until it dies (raises ``ChildGone``)."""
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child_main, args=(child, self._spec), name="vigil-analysis", daemon=True)
        proc.start()
        child.close()  # only the child holds its end now: its death reads as EOF here
        self.child_pid = proc.pid
        self._delivered = False
        try:
            kind, err = self._recv(parent, proc, timeout=120.0)
            self._mask_error = err
            if down_since is not None:
                self._resume(parent, proc, time.monotonic() - down_since)
            self.ready.set()
            self._loop(parent, proc, shared)
        except BaseException:
            _end_process(proc, 0.0)
            parent.close()
            raise
        self._delivered = self._shutdown(parent, proc)
        parent.close()

    def _resume(self, conn: Connection, proc: Any, paused_s: float) -> None:
        cameras = self._scheduler.camera_ids()
        kept = self._keeper.resume(paused_s, cameras)
        self._ended(self._keeper.end_except(cameras))  # cameras removed while the child was down
        self._send(conn, proc, ("restore", kept))
        self._board.post(
            "info",
            f"analysis process restarted in {paused_s:.1f} s (process {proc.pid}); "
            f"{len(cameras)} cameras analysed again, {sum(len(t.tracks) for t in kept.values())} open tracks kept",
            restarted=True,
        )

    def _loop(self, conn: Connection, proc: Any, shared: _SharedFrames) -> None:
        zone_sync = ZoneSync()
        while not self._stop_evt.is_set():
            with self._lock:
                finish, self._finish = self._finish, []
            for cid in finish:
                self._send(conn, proc, ("finish", cid))
                self._ended(self._recv(conn, proc)[1])
                self._keeper.forget(cid)
                name = shared.drop(cid)
                if name:
                    self._send(conn, proc, ("forget", name))
            now = time.monotonic()
            batch = self._scheduler.due(now, self._max_batch)
            if not batch:
                self._stop_evt.wait(min(0.02, max(0.002, self._scheduler.seconds_to_next(now))))
                continue
            for lane, _ in batch:
                if zone_sync.changed(lane):
                    conn.send(("zones", (lane.camera_id, lane.zones)))
            refs = []
            for _, frame in batch:
                name, replaced = shared.put(frame)
                if replaced:
                    self._send(conn, proc, ("forget", replaced))
                refs.append(
                    FrameRef(
                        frame.camera_id,
                        frame.seq,
                        name,
                        frame.image.shape,
                        frame.captured_at,
                        frame.captured_mono,
                    )
                )
            self._send(conn, proc, ("analyse", refs))
            _, outputs, checkpoint = self._recv(conn, proc)
            self._keeper.update(checkpoint, outputs)
            self._meter.tick(len(outputs))
            for (lane, _), out in zip(batch, outputs, strict=True):
                lane.results.put(out.result)
                self._sink(out)

    @staticmethod
    def _send(conn: Connection, proc: Any, msg: object) -> None:
        try:
            conn.send(msg)
        except (OSError, EOFError):  # broken pipe: the child died since the last answer
            proc.join(1.0)
            raise ChildGone(exit_text(proc.exitcode)) from None

    @staticmethod
    def _recv(conn: Connection, proc: Any, timeout: float = 30.0) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout
        try:
            while not conn.poll(0.1):
                if not proc.is_alive():
                    proc.join(1.0)
                    raise ChildGone(exit_text(proc.exitcode))
                if time.monotonic() > deadline:
                    raise ChildGone(f"did not answer within {timeout:.0f} s; it was stopped")
            msg: tuple[Any, ...] = conn.recv()
        except (OSError, EOFError):
            proc.join(1.0)
            raise ChildGone(exit_text(proc.exitcode)) from None
        return msg

    def _shutdown(self, conn: Connection, proc: Any) -> bool:
        """Ask the child to end; True when it handed over its ended tracks."""
        delivered = False
        try:
            conn.send(None)
            while conn.poll(5.0):
                kind, payload = conn.recv()[:2]
                if kind == "ended":
                    self._ended(payload)
                    delivered = True
                    break
        except (OSError, EOFError):
            pass
        _end_process(proc, 5.0)
        return delivered


def _end_process(proc: Any, timeout: float) -> None:
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join(1.0)


class PooledAnalysisRunner:
    """Several child processes; each camera lives in one of them (its tracker stays in one engine)."""

    def __init__(self, spec: EngineSpec, sink: OutputSink, ended: EndedSink, processes: int = 2) -> None:
        self.board = HealthBoard()  # one board: the station shows restarts of all its processes together
        self._runners = [
            ProcessAnalysisRunner(spec, sink, ended, board=self.board) for _ in range(max(1, processes))
        ]
        self._home: dict[str, ProcessAnalysisRunner] = {}

    def add_camera(
        self,
        camera_id: str,
        frames: LatestSlot[Frame],
        results: LatestSlot[FrameResult],
        fps: float,
        zones: tuple[Zone, ...] = (),
    ) -> None:
        self.remove_camera(camera_id)
        runner = min(self._runners, key=lambda r: sum(1 for h in self._home.values() if h is r))
        runner.add_camera(camera_id, frames, results, fps, zones)
        self._home[camera_id] = runner

    def remove_camera(self, camera_id: str) -> None:
        runner = self._home.pop(camera_id, None)
        if runner is not None:
            runner.remove_camera(camera_id)

    def start(self) -> None:
        for r in self._runners:
            r.start()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        return all(r.wait_ready(timeout) for r in self._runners)

    def stop(self, timeout: float = 5.0) -> None:
        for r in self._runners:
            r._stop_evt.set()
        for r in self._runners:
            r.stop(timeout)

    def analysed_fps(self) -> float:
        return sum(r.analysed_fps() for r in self._runners)

    @property
    def mask_error(self) -> str | None:
        return next((r.mask_error for r in self._runners if r.mask_error), None)

    def health(self) -> AnalysisHealth:
        return self.board.health()

    @property
    def child_pids(self) -> list[int | None]:
        return [r.child_pid for r in self._runners]
