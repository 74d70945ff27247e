"""Logging to a rotating file in the user data dir, with camera credentials redacted."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import re
import time
from pathlib import Path
from typing import IO

from app import paths

# scheme://user:password@host -> scheme://user:***@host ; also ?password=... / &pass=... query values
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pw>[^@/\s]*)@")
_QUERY_PW = re.compile(r"(?i)(?P<key>[?&](?:password|passwd|pass|pwd|token|auth)=)(?P<val>[^&\s]*)")


def redact(text: str) -> str:
    """Hide passwords in URLs (userinfo and password-like query parameters) anywhere in ``text``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _QUERY_PW.sub(lambda m: f"{m['key']}***", text)


class RedactingFilter(logging.Filter):
    """Applied to every handler so that no record can leak a camera password."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: int = logging.INFO, log_file: Path | None = None, console: bool = False) -> Path:
    """Configure the root logger once: rotating file (5 x 5 MB) and optionally stderr."""
    path = log_file or paths.log_dir() / "vigil.log"
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, "_vigil", False):
            root.removeHandler(h)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        )
    except OSError:
        pass  # read-only home: keep running, log to stderr only
    if console:
        handlers.append(logging.StreamHandler())
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFilter())
        h._vigil = True  # type: ignore[attr-defined]
        root.addHandler(h)
    return path


_crash_file: IO[str] | None = None  # kept open for the life of the process


def enable_crash_traces(directory: Path | None = None) -> Path | None:
    """Write the Python stacks of every thread to ``<log dir>/crash.log`` when the process dies of a native
    fault (segfault, abort), which the logging module cannot catch. Leaves an existing handler (pytest's,
    ``PYTHONFAULTHANDLER``) alone; returns the file, or None when nothing was set up."""
    global _crash_file
    if faulthandler.is_enabled():
        return None
    path = (directory or paths.log_dir()) / "crash.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _crash_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - must outlive this function
        _crash_file.write(f"--- pid {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        _crash_file.flush()
        faulthandler.enable(_crash_file, all_threads=True)
    except OSError:
        return None
    return path
