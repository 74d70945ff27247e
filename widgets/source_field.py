"""The camera source field: shows ``rtsp://user:***@host/...`` once saved and keeps the real secret unless
the operator types a new one. Also the inline source check (bad URL, missing file)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtWidgets import QLineEdit, QWidget

from app.errors import UserError
from app.logs import redact

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pw>[^@/\s]*)@")
_QUERY_PW = re.compile(r"(?i)(?P<key>[?&](?:password|passwd|pass|pwd|token|auth)=)(?P<val>[^&\s]*)")
URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")


def check_source(source: str) -> str | None:
    """None when ``source`` looks usable, else a one-line message naming the problem and the fix."""
    try:
        from app.config import validate_source  # type: ignore[attr-defined]
    except ImportError:  # the config module's validator has not landed: use the basic checks below
        validate_source = None
    if validate_source is not None:
        try:
            problem = validate_source(source)
        except UserError as exc:
            return redact(str(exc))
        return redact(problem) if isinstance(problem, str) and problem else None
    return _basic_check(source)


def _basic_check(source: str) -> str | None:
    text = source.strip()
    if not text:
        return "Enter a camera address (rtsp://...), a video file or a USB index such as 0."
    if text.isdigit():
        return None
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in URL_SCHEMES:
            return f"Unsupported address type '{parts.scheme}': use one of {', '.join(URL_SCHEMES)}."
        if not parts.hostname:
            return f"No host in {redact(text)}: write it as rtsp://host:554/path."
        return None
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:/[^/]", text) or text.lower().startswith(URL_SCHEMES):
        return f"Malformed address {redact(text)}: write it as rtsp://host:554/path."
    if not Path(text).expanduser().is_file():
        return f"File not found: {text}. Pick an existing video file or enter a camera URL."
    return None


def restore_secrets(edited: str, real: str) -> str:
    """Put the real password back where the edited text still shows the redacted ``***``."""
    m = _USERINFO.search(real)
    if m and m["pw"]:
        edited = edited.replace(f"{m['user']}:***@", f"{m['user']}:{m['pw']}@", 1)
    for q in _QUERY_PW.finditer(real):
        edited = edited.replace(f"{q['key']}***", f"{q['key']}{q['val']}", 1)
    return edited


class SourceField(QLineEdit):
    """A URL field that never shows a saved password in clear."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._real = ""
        self._shown = ""
        self.setPlaceholderText("rtsp://user:password@host:554/stream, a video file, or a USB index")

    def set_value(self, value: str) -> None:
        """Load a saved source: the field shows it redacted."""
        self._real = value
        self._shown = redact(value)
        self.setText(self._shown)

    def value(self) -> str:
        """The real source: unchanged if the text was not edited, with secrets restored where still ***."""
        text = self.text().strip()
        if text == self._shown:
            return self._real
        return restore_secrets(text, self._real)

    def is_edited(self) -> bool:
        return self.text().strip() != self._shown
