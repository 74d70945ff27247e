"""``vigil verify PATH``: check an evidence export against its manifest (exit 1 if any file differs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.clips.manifest import find_manifests, verify_manifest

NAME = "verify"
HELP = "check an exported clip folder (or its manifest.json) against the SHA-256 sums in its manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", metavar="DIR_OR_MANIFEST", type=Path, help="export folder or its manifest.json"
    )


def main(args: argparse.Namespace) -> int:
    bad = 0
    for manifest in find_manifests(args.path):
        report = verify_manifest(manifest)
        folder = manifest.parent
        if report.ok:
            print(f"OK: {len(report.checks)} files unchanged in {folder}")
            continue
        bad += 1
        for check in report.problems:
            print(f"{check.status.upper()}: {folder / check.name}: {check.detail}")
        print(f"FAILED: {len(report.problems)} of {len(report.checks)} files differ from {manifest}")
    return 1 if bad else 0
