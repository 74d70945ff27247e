"""``vigil verify PATH [--key FILE | --fingerprint HEX]``: check an evidence export's signature and files.

Exit 0 only when every file matches the manifest, the manifest's Ed25519 signature is intact and, when an
expected station is given (``--key``/``--fingerprint``, or this machine's own station key), it signed it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.clips.manifest import SignatureCheck, check_signature, find_manifests, load_manifest, verify_manifest
from app.security.station_key import (
    PRIVATE_NAME,
    PUBLIC_NAME,
    PublicKey,
    key_dir,
    normalise_fingerprint,
    pretty_fingerprint,
)

NAME = "verify"
HELP = "check an exported clip folder: its signature (which station made it) and every file's SHA-256"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", metavar="DIR_OR_MANIFEST", type=Path, help="export folder or its manifest.json"
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--key", type=Path, metavar="FILE", help="the expected station's public key (from `vigil keys export-public`)"
    )
    who.add_argument(
        "--fingerprint", metavar="HEX", help="the expected station's key fingerprint (64 hex digits, spaces allowed)"
    )


def _expected(args: argparse.Namespace) -> tuple[str | None, str]:
    """(fingerprint, where it came from); falls back to this machine's station key when there is one."""
    if args.key is not None:
        return PublicKey.load(args.key).fingerprint, f"key file {args.key}"
    if args.fingerprint:
        return normalise_fingerprint(args.fingerprint), "--fingerprint"
    own = key_dir() / PUBLIC_NAME
    if (key_dir() / PRIVATE_NAME).is_file() and own.is_file():
        return PublicKey.load(own).fingerprint, "this station's own key"
    return None, ""


def _signature_line(sig: SignatureCheck, source: str) -> str:
    fp = pretty_fingerprint(sig.fingerprint) if sig.fingerprint else ""
    if sig.status == "unsigned":
        return "UNSIGNED: the manifest carries no signature; nothing proves which station made this export"
    if sig.status == "invalid":
        return f"BAD SIGNATURE: {sig.detail}"
    if sig.expected is True:
        return f"SIGNED by the expected station ({source}), fingerprint {fp}"
    if sig.expected is False:
        return (
            f"WRONG SIGNER: signed by key {fp}, which is NOT the expected station ({source}); "
            "the export was re-signed or comes from another station"
        )
    return (
        f"SIGNED by key {fp}, NOT checked against an expected station: "
        "give --key FILE or --fingerprint HEX of the station that should have made it"
    )


def main(args: argparse.Namespace) -> int:
    expected_fp, source = _expected(args)
    bad = 0
    for manifest in find_manifests(args.path):
        folder = manifest.parent
        sig = check_signature(load_manifest(manifest), expected_fp)
        report = verify_manifest(manifest)
        print(_signature_line(sig, source))
        for check in report.problems:
            print(f"{check.status.upper()}: {folder / check.name}: {check.detail}")
        # unsigned is a failure whenever a station is expected; without one it is reported but not fatal
        # (exports made before signing existed)
        sig_ok = sig.ok or (sig.status == "unsigned" and expected_fp is None)
        if report.ok and sig_ok:
            print(f"OK: {len(report.checks)} files unchanged in {folder}")
            continue
        bad += 1
        if not report.ok:
            print(f"FAILED: {len(report.problems)} of {len(report.checks)} files differ from {manifest}")
        else:
            print(f"FAILED: the files match the manifest but the manifest's origin is not proven ({folder})")
    return 1 if bad else 0
