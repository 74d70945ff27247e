"""``vigil watchlist fetch-model``: download an embedding model once, pinned by SHA-256.

The only network use of the feature, and only when an admin runs it. The file is written to a temporary
name next to ``out`` and renamed only after its SHA-256 matched, so a failed or tampered download never
leaves a usable model behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from app.errors import UserError

MAX_BYTES = 1 << 30
_HEX = re.compile(r"[0-9a-fA-F]{64}")


def fetch_model(url: str, sha256: str, out: Path, timeout_s: float = 60.0) -> Path:
    if not _HEX.fullmatch(sha256 or ""):
        raise UserError("--sha256 must be the 64 hex digits of the model file's SHA-256 (pinned on purpose)")
    if not url.startswith(("https://", "http://", "file://")):
        raise UserError(f"unsupported URL {url!r}; use https://, http:// or file://")
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp, open(tmp, "wb") as f:  # noqa: S310
            while chunk := resp.read(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise UserError(f"{url} is larger than {MAX_BYTES >> 20} MiB; not a face model")
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise UserError(f"cannot download {url}: {reason}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    got = digest.hexdigest()
    if got != sha256.lower():
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"the file at {url} has SHA-256 {got}, not the pinned {sha256.lower()}; nothing was saved "
            "(wrong URL, or the file was changed)"
        )
    os.replace(tmp, out)
    return out
