"""The station's Ed25519 signing key: created at first start, private half readable by the station's user only.

Exports are signed with it (``app.clips.signing``); the public half and its fingerprint go into every
manifest, the audit log and ``vigil keys show`` so a recipient can check who produced a folder.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app import paths
from app.errors import UserError

log = logging.getLogger("vigil.keys")

PRIVATE_NAME = "station_ed25519.pem"
PUBLIC_NAME = "station_ed25519.pub"
PUB_HEADER = "vigil-station-ed25519"


def key_dir() -> Path:
    """``VIGIL_KEY_DIR`` overrides; else ``<data dir>/keys``."""
    env = os.environ.get("VIGIL_KEY_DIR")
    return Path(env) if env else paths.data_dir() / "keys"


def fingerprint(raw_public: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex (64 characters)."""
    return hashlib.sha256(raw_public).hexdigest()


def pretty_fingerprint(fp: str) -> str:
    """``ab12 cd34 ...`` groups of four, for reading aloud over the phone."""
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


def normalise_fingerprint(text: str) -> str:
    fp = "".join(c for c in text.lower() if c in "0123456789abcdef")
    if len(fp) != 64:
        raise UserError(
            f"a fingerprint is 64 hex digits (SHA-256 of the station's public key); got {len(fp)} in {text!r}"
        )
    return fp


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    def export_text(self) -> str:
        """One line ``vigil-station-ed25519 <base64> <fingerprint>``: what ``--key FILE`` reads."""
        return f"{PUB_HEADER} {self.b64} {self.fingerprint}\n"

    @staticmethod
    def from_b64(text: str) -> PublicKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except ValueError as exc:
            raise UserError(f"not a base64 public key: {text[:40]!r}") from exc
        if len(raw) != 32:
            raise UserError(f"an Ed25519 public key is 32 bytes; this one has {len(raw)}")
        return PublicKey(raw)

    @staticmethod
    def load(path: Path) -> PublicKey:
        """A ``.pub`` file written by ``vigil keys export-public`` (or a PEM public key)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read public key file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
        if "BEGIN PUBLIC KEY" in text:
            try:
                pem_key = serialization.load_pem_public_key(text.encode("ascii"))
            except ValueError as exc:
                raise UserError(f"{path} is not a readable PEM public key: {exc}") from exc
            if not isinstance(pem_key, Ed25519PublicKey):
                raise UserError(f"{path} is not an Ed25519 key")
            return PublicKey(pem_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        parts = text.split()
        if len(parts) < 2 or parts[0] != PUB_HEADER:
            raise UserError(
                f"{path} is not a Vigil station public key (expected a line starting {PUB_HEADER!r})"
            )
        key = PublicKey.from_b64(parts[1])
        if len(parts) >= 3 and normalise_fingerprint(parts[2]) != key.fingerprint:
            raise UserError(f"{path}: the fingerprint on the line does not match the key; the file was altered")
        return key


@dataclass(frozen=True)
class StationKey:
    private: Ed25519PrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(part, 0o600)
    os.replace(part, path)


def load_or_create(directory: Path | None = None) -> tuple[StationKey, bool]:
    """The station key in ``directory`` (default ``key_dir()``), created if absent. Returns (key, created)."""
    folder = directory or key_dir()
    priv = folder / PRIVATE_NAME
    if priv.is_file():
        try:
            key = serialization.load_pem_private_key(priv.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise UserError(
                f"the station signing key {priv} is unreadable or damaged ({exc}); restore it from backup "
                "(exports signed with it cannot be re-signed) or move it away to create a new one"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise UserError(f"{priv} is not an Ed25519 key")
        if os.name == "posix" and priv.stat().st_mode & 0o077:
            log.warning("station key %s was readable by others; permissions reset to 0600", priv)
            os.chmod(priv, 0o600)
        return StationKey(key, priv), False
    try:
        new = Ed25519PrivateKey.generate()
        pem = new.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(priv, pem)
        station = StationKey(new, priv)
        (folder / PUBLIC_NAME).write_text(station.public.export_text(), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot create the station signing key in {folder}: {exc.strerror or exc}") from exc
    log.info("created station signing key %s (fingerprint %s)", priv, station.public.fingerprint)
    return station, True
