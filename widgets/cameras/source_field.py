"""The camera source field: shows ``rtsp://user:***@host/...`` once saved and keeps the real secret unless
the operator types a new one. Also the inline source check (bad URL, missing file)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QLineEdit, QWidget

from app.capture.source import SourceKind, source_kind
from app.config import validate_source
from app.logs import redact
from widgets.i18n import translate

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pw>[^@/\s]*)@")
_QUERY_PW = re.compile(r"(?i)(?P<key>[?&](?:password|passwd|pass|pwd|token|auth)=)(?P<val>[^&\s]*)")


def check_source(source: str) -> str | None:
    """None when ``source`` looks usable, else a one-line message naming the problem and the fix.

    Stricter than the config loader on one point: while an operator types a file path, a file that does
    not exist is almost always a typo, so it is reported here (a capture would just wait for it)."""
    problem = validate_source(source)
    if problem:
        return redact(problem[0].upper() + problem[1:])
    text = source.strip()
    if source_kind(text) is SourceKind.FILE and not Path(text).expanduser().is_file():
        return translate("source_field", "File not found: {text}. Pick an existing video file or enter a camera URL.").format(text=text)
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
        self.setPlaceholderText(self.tr("rtsp://user:password@host:554/stream, a video file, or a USB index"))

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
