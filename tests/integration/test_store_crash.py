"""Kill -9 a process that is writing events: the file stays sound and every batch it saw committed is there."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.store import StoreReader, integrity_check

REPO = Path(__file__).resolve().parents[2]

# The child submits events as fast as it can and prints how many the writer has committed so far.
CHILD = r"""
import sys, time
from app.domain import Event, EventKind
from app.store import StoreWriter
w = StoreWriter(sys.argv[1], flush_interval_s=0.1)
w.start()
print("started", w.run_id, flush=True)
i, last = 0, -1
while True:
    for _ in range(20):
        w.submit(Event(time.time(), "cam1", EventKind.NO_MASK, track_id=i, details={"i": i},
                       thumbnail_jpeg=b"\xff\xd8" + bytes(600)))
        i += 1
    written = w.stats().written
    if written != last:
        print("written", written, flush=True)
        last = written
    time.sleep(0.002)
"""


def _run_and_kill(path: Path, rng: random.Random) -> tuple[int, int]:
    """Start the child, let it commit at least once, SIGKILL it at a random moment; return
    (its run id, the last committed count it reported)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    first_commit = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.split())
            if lines[-1][0] == "written" and int(lines[-1][1]) > 0:
                first_commit.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not first_commit.wait(timeout=60):
            proc.kill()
            pytest.fail(f"child never committed: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(rng.uniform(0.0, 0.6))  # the random moment
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        reader.join(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    run_id = int(next(words for words in lines if words[0] == "started")[1])
    reported = max(int(words[1]) for words in lines if words[0] == "written")
    return run_id, reported


def test_sigkill_while_writing_loses_at_most_the_unflushed_batch(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    path = tmp_path / "crash.sqlite3"
    for _round in range(3):  # each round also reopens (recovers) the previous, killed, file
        run_id, reported = _run_and_kill(path, rng)
        assert integrity_check(path) == ["ok"], f"seed {seed}"
        with StoreReader(path) as reader:
            rows = [e for e in reader.recent_events(1_000_000) if e.run_id == run_id]
            stored = sorted(e.details["i"] for e in rows)
            # everything the child saw committed survived, and what survived is a gapless prefix
            assert len(stored) >= reported, f"seed {seed}: {len(stored)} stored < {reported} reported"
            assert stored == list(range(len(stored))), f"seed {seed}: holes in the stored events"
            assert all(e.has_thumbnail for e in rows), f"seed {seed}: an event lost its thumbnail"
