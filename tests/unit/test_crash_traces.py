"""A native crash (which no Python handler can catch) leaves the stacks of every thread in crash.log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import ctypes, sys, threading, time
from pathlib import Path
from app.logs import enable_crash_traces
assert enable_crash_traces(Path(sys.argv[1])) is not None
threading.Thread(target=time.sleep, args=(60,), name="capture-cam1", daemon=True).start()
def analyse_frame():
    ctypes.string_at(0)  # a segfault, as a broken native library would cause
analyse_frame()
"""


def test_a_segfault_leaves_every_threads_stack_in_crash_log(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}  # no PYTHONFAULTHANDLER from the caller
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    log = (tmp_path / "crash.log").read_text()
    assert "Fatal Python error: Segmentation fault" in log
    assert "analyse_frame" in log  # the crashing thread's Python stack
    assert "Current thread 0x" in log and "\nThread 0x" in log  # the crashing thread and the others


def test_an_existing_fault_handler_is_left_alone(tmp_path: Path) -> None:
    # pytest has enabled faulthandler in this process: Vigil must not take its output away
    from app.logs import enable_crash_traces

    assert enable_crash_traces(tmp_path) is None
    assert not (tmp_path / "crash.log").exists()
