"""Camera source strings: classification and validation (no OpenCV here, so config can use it)."""

from __future__ import annotations

import enum
import json
import re
import socket
from urllib.parse import urlsplit

from app.logs import redact


class SourceKind(enum.Enum):
    """How a camera source is opened."""

    NETWORK = "network"  # rtsp://, http(s):// (MJPEG), rtmp://
    USB = "usb"  # a device index such as "0", or /dev/videoN
    FILE = "file"  # a video file, played at its native rate


NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https")
_SOURCE_HELP = "give an rtsp:// or http(s):// URL, a video file path or a USB camera index such as 0"
_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # 2+ letters: "C:\..." is a path
_BROKEN_SCHEME = re.compile(r"^(rtsps?|rtmp|https?)(:/?(?!/)|//)", re.IGNORECASE)


def source_kind(source: str) -> SourceKind:
    """Classify a (valid) source string."""
    s = source.strip()
    if s.isdigit() or re.fullmatch(r"/dev/video\d+", s):
        return SourceKind.USB
    if "://" in s and s.split("://", 1)[0].lower() in NETWORK_SCHEMES:
        return SourceKind.NETWORK
    return SourceKind.FILE


def validate_source(source: str) -> str | None:
    """Why ``source`` cannot be a camera source (one line, password redacted), or None if it looks usable.

    Files are not checked for existence: a capture waits for a missing file to appear."""
    s = source
    if not s.strip():
        return f"source is empty; {_SOURCE_HELP}"
    if s != s.strip():
        return f"source {_quote(s)} has leading or trailing spaces; remove them"
    if s.isdigit():
        return None if int(s) <= 99 else f"USB camera index {s} is out of range; use 0 to 99"
    broken = _BROKEN_SCHEME.match(s)
    if broken and "://" not in s:
        return f"malformed URL {_quote(s)}; expected {broken.group(1).lower()}://host[:port]/path"
    m = _URL_LIKE.match(s)
    if m and "://" in s:
        scheme = m.group(1).lower()
        if scheme not in NETWORK_SCHEMES:
            allowed = ", ".join(f"{x}://" for x in NETWORK_SCHEMES)
            return f"unsupported URL scheme '{scheme}://' in {_quote(s)}; use {allowed} or a file path"
        if any(c.isspace() for c in s):
            return f"URL {_quote(s)} contains spaces; percent-encode them (%20)"
        try:
            parts = urlsplit(s)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return f"URL {_quote(s)} has an invalid port; expected {scheme}://host:1-65535/path"
        if not parts.hostname:
            return f"URL {_quote(s)} has no host; expected {scheme}://host[:port]/path"
        return None
    return None


def _quote(s: str) -> str:
    return json.dumps(redact(s), ensure_ascii=False)


_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}


def diagnose_network(url: str, timeout: float) -> str:
    """Why a network camera would not open, found with one plain TCP connect (a short phrase, no URL)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    except ValueError:
        return "invalid port"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror:
        return f"host {host} not found"
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return f"no answer from {host}:{port}, timed out"
    except OSError as exc:
        return (exc.strerror or "network error").lower()
    return "the camera answered but sent no video; check the stream path, user name and password"
