"""Check an event store without changing it: file integrity, schema version, audit chain, row counts.

``python -m app.store.check [--db PATH]`` (exit 0 when sound, 1 when not, 2 on a usage error). A CLI
sub-command can wrap ``check_store``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.errors import UserError
from app.store.db import integrity_check
from app.store.queries import StoreReader
from app.store.records import AuditVerdict


@dataclass(frozen=True, slots=True)
class StoreCheck:
    """Outcome of ``check_store``; ``ok`` when the file is sound and the audit chain intact."""

    path: Path
    integrity: tuple[str, ...]
    schema_version: int
    audit: AuditVerdict
    counts: dict[str, int]
    size_bytes: int
    crashes: tuple[int, int] = (0, 0)  # runs ended by a crash, tracks closed at their last checkpoint

    @property
    def ok(self) -> bool:
        return self.integrity == ("ok",) and self.audit.ok


def check_store(path: Path | str) -> StoreCheck:
    """Read-only checks; raises ``StoreError`` when the file cannot be read as an event store."""
    p = Path(path).expanduser()
    with StoreReader(p) as reader:
        return StoreCheck(
            path=p,
            integrity=tuple(integrity_check(p)),
            schema_version=reader.schema_version(),
            audit=reader.verify_audit(),
            counts=reader.counts(),
            size_bytes=reader.db_size_bytes(),
            crashes=reader.crashes(),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.store.check", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=None, help=f"database file (default {paths.default_db_path()})"
    )
    args = parser.parse_args(argv)
    try:
        result = check_store(args.db or paths.default_db_path())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"database:  {result.path} ({result.size_bytes / 1e6:.1f} MB, schema v{result.schema_version})")
    print(f"integrity: {'; '.join(result.integrity[:5])}")
    audit = result.audit
    print(f"audit log: {audit.reason}" + (f" (head {audit.head_hash[:16]}...)" if audit.ok else ""))
    print("rows:      " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    runs, tracks = result.crashes
    if runs:
        print(f"crashes:   {runs} run(s) ended without a clean stop; {tracks} track(s) closed at their last "
              "checkpoint (tracks.end_reason = 'crash')")  # fmt: skip
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
