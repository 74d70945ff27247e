"""Fault-injection suite: short settings by default (``.ci/run``), long ones with ``VIGIL_FAULT_FULL=1``
(``.ci/faults``). Each count can also be set on its own, e.g. ``VIGIL_FAULT_ANALYSIS_KILLS=25``.

The figures each test measured are appended as JSON lines to ``$VIGIL_FAULT_REPORT`` when it is set
(``.ci/faults`` sets it and prints the file at the end: the README's table comes from there)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FULL = os.environ.get("VIGIL_FAULT_FULL", "") not in ("", "0")


def scaled(name: str, short: float, full: float) -> float:
    """``VIGIL_FAULT_<NAME>`` if set, else ``full`` in the long run and ``short`` in the default one."""
    raw = os.environ.get(f"VIGIL_FAULT_{name.upper()}")
    if raw:
        return float(raw)
    return full if FULL else short


@dataclass(frozen=True, slots=True)
class FaultSettings:
    full: bool

    def count(self, name: str, short: int, full: int) -> int:
        return int(scaled(name, short, full))

    def seconds(self, name: str, short: float, full: float) -> float:
        return scaled(name, short, full)


@pytest.fixture(scope="session")
def faults() -> FaultSettings:
    return FaultSettings(FULL)


def report(test: str, **figures: Any) -> None:
    """Record what a fault test measured (one JSON line in ``$VIGIL_FAULT_REPORT``, and on stdout)."""
    line = json.dumps({"test": test, "full": FULL, **figures}, sort_keys=True)
    print(line)
    path = os.environ.get("VIGIL_FAULT_REPORT")
    if path:
        with Path(path).open("a", encoding="utf-8") as f:
            f.write(line + "\n")


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``cond`` until true and return the seconds it took; fail after ``timeout`` (a safety net, not a
    timing assert)."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - start
