"""Export manifest (who, when, why, what, SHA-256 of every file), plain-text summary, and verification."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.security.station_key import PublicKey, StationKey

MANIFEST_NAME = "manifest.json"
SUMMARY_NAME = "summary.txt"
FORMAT = "vigil-export/1"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_entry(path: Path, base: Path) -> dict[str, Any]:
    return {
        "name": path.relative_to(base).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    part.replace(path)


@dataclass(frozen=True, slots=True)
class FileCheck:
    name: str
    status: str  # "ok", "changed", "missing", "unexpected"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    manifest: Path
    checks: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(c for c in self.checks if c.status != "ok")


def find_manifests(path: Path) -> list[Path]:
    """The manifest at ``path``, in the folder ``path``, or in each export folder directly under it."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UserError(f"{path} does not exist; give an export folder or its {MANIFEST_NAME}")
    if (path / MANIFEST_NAME).is_file():
        return [path / MANIFEST_NAME]
    found = sorted(p for p in path.glob(f"*/{MANIFEST_NAME}"))
    if not found:
        raise UserError(f"no {MANIFEST_NAME} in {path} or its sub-folders; give the export folder")
    return found


def load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a readable export manifest: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
        raise UserError(f"{path} is not a Vigil export manifest (format {FORMAT!r} expected)")
    return data


def verify_manifest(path: Path) -> VerifyReport:
    """Check every file listed in the manifest (size and SHA-256) and flag files that are not listed."""
    data = load_manifest(path)
    base = path.parent.resolve()
    checks: list[FileCheck] = []
    listed: set[str] = {MANIFEST_NAME}
    for entry in data["files"]:
        name = str(entry.get("name", ""))
        listed.add(name)
        target = (base / name).resolve()
        if base not in target.parents:  # a tampered manifest must not make us read outside the folder
            checks.append(FileCheck(name, "changed", "path points outside the export folder"))
            continue
        if not target.is_file():
            checks.append(FileCheck(name, "missing", "file not found"))
            continue
        size = target.stat().st_size
        digest = sha256_file(target)
        if digest != entry.get("sha256"):
            detail = (
                f"SHA-256 {digest[:16]}... differs from the manifest's {str(entry.get('sha256'))[:16]}..."
            )
            if size != entry.get("bytes"):
                detail += f" (size {size} bytes, manifest says {entry.get('bytes')})"
            checks.append(FileCheck(name, "changed", detail))
        else:
            checks.append(FileCheck(name, "ok"))
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base).as_posix()
        if p.is_file() and rel not in listed:
            checks.append(FileCheck(rel, "unexpected", "not listed in the manifest"))
    return VerifyReport(path, tuple(checks))


# -- signatures ---------------------------------------------------------------------------------------------
SIGNATURE_KEY = "signature"
SIGNATURE_ALG = "ed25519"


def canonical_bytes(data: dict[str, Any]) -> bytes:
    """What is signed: the manifest without its ``signature`` block, as sorted compact UTF-8 JSON."""
    body = {k: v for k, v in data.items() if k != SIGNATURE_KEY}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_manifest(data: dict[str, Any], key: StationKey) -> dict[str, Any]:
    """``data`` plus a ``signature`` block: algorithm, the station's public key, its fingerprint, the value."""
    pub = key.public
    value = base64.b64encode(key.sign(canonical_bytes(data))).decode("ascii")
    return {
        **data,
        SIGNATURE_KEY: {
            "algorithm": SIGNATURE_ALG,
            "public_key": pub.b64,
            "fingerprint": pub.fingerprint,
            "value": value,
        },
    }


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    status: str  # "valid", "unsigned", "invalid"
    fingerprint: str = ""  # of the key that signed (valid) or claims to have signed (invalid)
    expected: bool | None = None  # signer is the expected station (None: no expected key given)
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Signed, intact, and (when an expected key was given) by that key."""
        return self.status == "valid" and self.expected is not False


def check_signature(data: dict[str, Any], expected_fp: str | None = None) -> SignatureCheck:
    """Check the manifest's own signature, then whether its signer has fingerprint ``expected_fp``."""
    block = data.get(SIGNATURE_KEY)
    if not isinstance(block, dict):
        expected = None if expected_fp is None else False
        return SignatureCheck("unsigned", "", expected, "the manifest carries no signature")
    if block.get("algorithm") != SIGNATURE_ALG:
        return SignatureCheck("invalid", "", False, f"unknown signature algorithm {block.get('algorithm')!r}")
    try:
        pub = PublicKey.from_b64(str(block.get("public_key", "")))
        value = base64.b64decode(str(block.get("value", "")), validate=True)
    except (UserError, ValueError) as exc:
        return SignatureCheck("invalid", "", False, f"damaged signature block: {exc}")
    fp = pub.fingerprint
    if block.get("fingerprint") != fp:
        return SignatureCheck("invalid", fp, False, "the fingerprint in the manifest does not match its key")
    if not pub.verify(value, canonical_bytes(data)):
        return SignatureCheck(
            "invalid", fp, False, "the signature does not match the manifest: it was edited after signing"
        )
    expected = None if expected_fp is None else (fp == expected_fp)
    return SignatureCheck("valid", fp, expected)
