"""RTSP probe: one DESCRIBE over a plain socket (Basic or Digest login from the URL) that says why an
rtsp:// camera would not open: wrong password, unknown stream path, refused, no answer. OpenCV/FFmpeg
only says "cannot open"; this names the cause in one line, never with the password."""

from __future__ import annotations

import base64
import enum
import hashlib
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_PORT = 554


class RtspOutcome(enum.Enum):
    """What the camera answered to DESCRIBE."""

    OK = "ok"  # 200: the login and the path are fine (the failure is in the video itself)
    WRONG_LOGIN = "wrong_login"  # 401 although the URL has a user name and password
    NEEDS_LOGIN = "needs_login"  # 401 and the URL has no credentials
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404
    OTHER_STATUS = "other_status"  # any other RTSP status
    NOT_RTSP = "not_rtsp"  # something answered, but not RTSP
    REFUSED = "refused"  # nothing listens on that port
    NO_ANSWER = "no_answer"  # timed out
    NO_HOST = "no_host"  # the host name does not resolve
    NETWORK = "network"  # another socket error


@dataclass(frozen=True, slots=True)
class RtspAnswer:
    """Outcome of one probe; ``reason`` is a short English phrase without URL or password."""

    outcome: RtspOutcome
    reason: str
    status: int = 0


def probe_rtsp(url: str, timeout: float = 3.0) -> RtspAnswer:
    """DESCRIBE ``url`` (answering one 401 challenge with the URL's credentials) and classify the answer."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        return RtspAnswer(RtspOutcome.NETWORK, "invalid port")
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port:
        netloc += f":{parts.port}"
    uri = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            status, reason, headers = _describe(sock, uri, 1, None)
            if status == 401 and user:
                challenge = headers.get("www-authenticate", "")
                auth = _authorization(challenge, user, password, uri)
                if auth is not None:
                    status, reason, headers = _describe(sock, uri, 2, auth)
    except socket.gaierror:
        return RtspAnswer(RtspOutcome.NO_HOST, f"host {host} not found")
    except ConnectionRefusedError:
        return RtspAnswer(RtspOutcome.REFUSED, f"camera refused the connection on {where}")
    except TimeoutError:
        return RtspAnswer(RtspOutcome.NO_ANSWER, f"no answer from {where}, timed out")
    except _NotRtsp:
        return RtspAnswer(
            RtspOutcome.NOT_RTSP, f"{where} answered, but not as an RTSP camera; check the port"
        )
    except OSError as exc:
        return RtspAnswer(RtspOutcome.NETWORK, (exc.strerror or "network error").lower())
    return _classify(status, reason, bool(user))


def _classify(status: int, reason: str, has_login: bool) -> RtspAnswer:
    if status == 200:
        return RtspAnswer(
            RtspOutcome.OK, "the camera accepted the login but sent no video it could decode", 200
        )
    if status == 401 and has_login:
        return RtspAnswer(RtspOutcome.WRONG_LOGIN, "wrong user name or password", 401)
    if status == 401:
        return RtspAnswer(
            RtspOutcome.NEEDS_LOGIN,
            "the camera needs a user name and password; add them to the URL (rtsp://user:password@host/...)",
            401,
        )
    if status == 403:
        return RtspAnswer(RtspOutcome.FORBIDDEN, "the camera forbids this user to watch the stream", 403)
    if status == 404:
        return RtspAnswer(
            RtspOutcome.NOT_FOUND, "stream not found on the camera; check the path after the host", 404
        )
    shown = re.sub(r"[^\x20-\x7e]", "?", reason)[:60]
    return RtspAnswer(RtspOutcome.OTHER_STATUS, f"the camera answered RTSP {status} {shown}".strip(), status)


class _NotRtsp(Exception):
    pass


def _describe(sock: socket.socket, uri: str, cseq: int, auth: str | None) -> tuple[int, str, dict[str, str]]:
    lines = [
        f"DESCRIBE {uri} RTSP/1.0",
        f"CSeq: {cseq}",
        "Accept: application/sdp",
        "User-Agent: Vigil probe",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            if not head:
                raise _NotRtsp
            break
        head += chunk
        if len(head) > 65536:
            raise _NotRtsp
    text = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    first, *rest = text.split("\r\n")
    m = re.match(r"RTSP/\d\.\d (\d{3}) ?(.*)$", first)
    if not m:
        raise _NotRtsp
    headers: dict[str, str] = {}
    for line in rest:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        # several WWW-Authenticate lines: prefer Digest (a camera offering both takes either)
        if key == "www-authenticate" and key in headers and not value.strip().lower().startswith("digest"):
            continue
        headers[key] = value.strip()
    # a body (an SDP) may follow; the answer's status is all the probe needs
    return int(m.group(1)), m.group(2).strip(), headers


def _authorization(challenge: str, user: str, password: str, uri: str) -> str | None:
    """The Authorization header answering a Basic or Digest challenge (RFC 2617, MD5), or None."""
    scheme, _, rest = challenge.partition(" ")
    if scheme.lower() == "basic":
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    if scheme.lower() != "digest":
        return None
    params = {k.lower(): q or t for k, q, t in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', rest)}
    realm, nonce = params.get("realm", ""), params.get("nonce", "")

    def md5(s: str) -> str:
        return hashlib.md5(s.encode("utf-8"), usedforsecurity=False).hexdigest()

    ha1, ha2 = md5(f"{user}:{realm}:{password}"), md5(f"DESCRIBE:{uri}")
    fields = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    if "auth" in qops:
        cnonce = os.urandom(8).hex()
        response = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = md5(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in params:
        fields.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(fields)
