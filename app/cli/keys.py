"""``vigil keys show|export-public FILE``: the station's export-signing key (public half only)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.errors import UserError
from app.security.station_key import load_or_create, pretty_fingerprint

NAME = "keys"
HELP = "the station's export-signing key: show its fingerprint, export the public key for recipients"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    sub.add_parser("show", help="public key and fingerprint (the private key never leaves the station)")
    p = sub.add_parser("export-public", help="write the public key to FILE, for `vigil verify --key FILE`")
    p.add_argument("file", type=Path, metavar="FILE")


def main(args: argparse.Namespace) -> int:
    key, created = load_or_create()
    pub = key.public
    if args.keys_command == "show":
        if created:
            print(f"created a new station key in {key.path.parent}")
        print("algorithm:   Ed25519")
        print(f"public key:  {pub.b64}")
        print(f"fingerprint: {pretty_fingerprint(pub.fingerprint)}")
        print(f"private key: {key.path} (readable by this account only)")
        return 0
    try:
        args.file.write_text(pub.export_text(), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    print(f"wrote public key {pretty_fingerprint(pub.fingerprint)} to {args.file}")
    return 0
