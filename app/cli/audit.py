"""``vigil audit verify|list``: check the hash chain of the audit log (names the first broken row)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from app.security.audit_access import read_audit
from app.security.prompt import add_store_options, cli_login, open_store
from app.store.audit import AuditLog

NAME = "audit"
HELP = "audit log: verify the hash chain, list entries (admin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = sub.add_parser("verify", help="check every row of the chain; exit 1 and name the first broken row")
    p.add_argument("--json", action="store_true")
    add_store_options(p, login=False)
    p = sub.add_parser("list", help="show entries (admin; the listing is audited)")
    p.add_argument("--actor", default="", help="only this user")
    p.add_argument("--action", default="", help="only actions starting with this, e.g. watchlist. or login")
    p.add_argument("--limit", type=int, default=100, help="newest N entries (default 100)")
    p.add_argument("--json", action="store_true")
    add_store_options(p)


def main(args: argparse.Namespace) -> int:
    db = open_store(args)
    try:
        if args.audit_command == "verify":
            # no login: the verdict shows row numbers only, and anyone checking integrity should be able to
            verdict = AuditLog.verify(db)
            if args.json:
                print(json.dumps({"ok": verdict.ok, "rows": verdict.rows, "first_broken_row": verdict.first_broken_seq,
                                  "reason": verdict.reason, "head_hash": verdict.head_hash}))  # fmt: skip
            else:
                print(("OK: " if verdict.ok else "BROKEN: ") + verdict.reason)
                if verdict.ok:
                    print(f"newest hash: {verdict.head_hash} (note it down to detect later truncation)")
                else:
                    print(f"first broken row: {verdict.first_broken_seq}")
            return 0 if verdict.ok else 1
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
