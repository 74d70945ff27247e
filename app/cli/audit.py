"""``vigil audit verify|list``: check the hash chain of the audit log (names the first broken row)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from sqlite_utils import Database

from app.errors import UserError
from app.security.audit_access import read_audit
from app.security.prompt import add_store_options, cli_login, open_store
from app.security.station_start import check_head, logged_head
from app.store.audit import AuditLog

NAME = "audit"
HELP = "audit log: verify the hash chain, list entries (admin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = sub.add_parser("verify", help="check every row of the chain; exit 1 and name the first broken row")
    p.add_argument("--json", action="store_true")
    head = p.add_mutually_exclusive_group()
    head.add_argument(
        "--head", default=None, metavar="HEX", help="a newest hash noted earlier: must still be in the chain"
    )
    head.add_argument(
        "--head-from-log",
        type=Path,
        default=None,
        metavar="FILE",
        help="the newest 'audit chain head' line of this station log (written every hour) must still hold",
    )
    add_store_options(p, login=False)
    p = sub.add_parser("list", help="show entries (admin; the listing is audited)")
    p.add_argument("--actor", default="", help="only this user")
    p.add_argument("--action", default="", help="only actions starting with this, e.g. watchlist. or login")
    p.add_argument("--limit", type=int, default=100, help="newest N entries (default 100)")
    p.add_argument("--json", action="store_true")
    add_store_options(p)


def _head_result(db: Database, args: argparse.Namespace) -> tuple[bool, str] | None:
    if args.head:
        return check_head(db, args.head)
    if args.head_from_log is None:
        return None
    noted = logged_head(args.head_from_log)
    if noted is None:
        raise UserError(f"{args.head_from_log} holds no 'audit chain head' line (written hourly by the station)")
    return check_head(db, noted[1], noted[0])


def main(args: argparse.Namespace) -> int:
    db = open_store(args)
    try:
        if args.audit_command == "verify":
            # no login: the verdict shows row numbers only, and anyone checking integrity should be able to
            verdict = AuditLog.verify(db)
            head = _head_result(db, args)
            if args.json:
                print(json.dumps({"ok": verdict.ok, "rows": verdict.rows, "first_broken_row": verdict.first_broken_seq,
                                  "reason": verdict.reason, "head_hash": verdict.head_hash,
                                  "head_ok": None if head is None else head[0],
                                  "head_check": None if head is None else head[1]}))  # fmt: skip
            else:
                print(("OK: " if verdict.ok else "BROKEN: ") + verdict.reason)
                if verdict.ok:
                    print(f"newest hash: {verdict.head_hash} (note it down to detect later truncation)")
                else:
                    print(f"first broken row: {verdict.first_broken_seq}")
                if head is not None:
                    print(("HEAD OK: " if head[0] else "TRUNCATED: ") + head[1])
            return 0 if verdict.ok and (head is None or head[0]) else 1
        session = cli_login(db, args.user)
        rows = read_audit(db, session, args.actor, args.action, limit=args.limit)
        for r in rows:
            if args.json:
                print(json.dumps({"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action,
                                  "target": r.target, "details": r.details}, ensure_ascii=False))  # fmt: skip
            else:
                when = dt.datetime.fromtimestamp(r.at).strftime("%Y-%m-%d %H:%M:%S")
                print(
                    f"{r.seq:>6} {when} {r.actor:<16} {r.action:<20} {r.target:<18} {json.dumps(r.details, ensure_ascii=False)}"
                )
        return 0
    finally:
        db.close()
