"""``vigil bookmarks``: list, add, lock and release bookmarks and evidence locks (audited, like the window)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.errors import UserError
from app.playback.times import parse_local_time
from app.security.prompt import add_store_options, cli_authorise, open_store
from app.security.roles import Permission
from app.store import bookmarks as bm

NAME = "bookmarks"
HELP = "list, add, lock and release bookmarks and evidence locks on recordings"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store_options(p)  # --db, --config, --user (once accounts exist: locks need a supervisor)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="bookmarks and locks, oldest first")
    ls.add_argument("--camera", action="append", default=[], metavar="ID")
    ls.add_argument("--locked", action="store_true", help="active evidence locks only")
    add = sub.add_parser("add", help="bookmark a moment or range of one or more cameras")
    add.add_argument("--camera", action="append", required=True, metavar="ID")
    add.add_argument("--at", required=True, metavar="TIME", help='local time, e.g. "2026-03-01T14:05:00"')
    add.add_argument("--to", default=None, metavar="TIME", help="end of a range (default: a moment)")
    add.add_argument("--name", required=True)
    add.add_argument("--note", default="")
    add.add_argument("--lock", default=None, metavar="REASON", help="also lock the range as evidence")
    add.add_argument("--expires", default=None, metavar="TIME", help="when the lock ends (default: never)")
    lock = sub.add_parser("lock", help="make a bookmark an evidence lock")
    lock.add_argument("id", type=int)
    lock.add_argument("--reason", required=True)
    lock.add_argument("--expires", default=None, metavar="TIME")
    rel = sub.add_parser("release", help="end an evidence lock (the bookmark stays)")
    rel.add_argument("id", type=int)
    rel.add_argument("--note", default="")


def _local(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _print(b: bm.Bookmark) -> None:
    span = _local(b.start) if not b.is_range else f"{_local(b.start)} - {_local(b.end)}"
    lock = ""
    if b.lock_active():
        lock = f"  LOCKED until {'released' if b.lock_expires is None else _local(b.lock_expires)}: {b.lock_reason}"
    elif b.locked:
        lock = f"  (lock released by {b.released_by})" if b.released_by else "  (lock expired)"
    note = f" - {b.note}" if b.note else ""
    print(f"#{b.id:<5} {b.camera_id:<12} {span}  {b.name}{note}  [by {b.created_by}]{lock}")


def main(args: argparse.Namespace) -> int:
    db = open_store(args)
    path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
    locking = args.action in ("lock", "release") or (args.action == "add" and args.lock)
    permission = Permission.EXPORT if locking else Permission.WATCH
    try:
        if args.action == "list":
            rows = bm.list_bookmarks(db, args.camera or None, locked_only=args.locked)
            for b in rows:
                _print(b)
            if not rows:
                print("no bookmarks" + (" locked" if args.locked else ""))
            return 0
        user = cli_authorise(path, args.user, permission, "bookmarks")
        expires = parse_local_time(args.expires) if getattr(args, "expires", None) else None
        if args.action == "add":
            start = parse_local_time(args.at)
            end = parse_local_time(args.to) if args.to else start
            if args.lock and end <= start:
                raise UserError("an evidence lock needs a range: give --to TIME after --at")
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                made = bm.add_bookmark(db, args.camera, (start, end), args.name, args.note, by=user)
                if args.lock:
                    made = [bm.lock_bookmark(db, b.id, args.lock, expires, by=user) for b in made]
                db.conn.execute("COMMIT")
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            for b in made:
                _print(b)
        elif args.action == "lock":
            _print(bm.lock_bookmark(db, args.id, args.reason, expires, by=user))
        elif args.action == "release":
            _print(bm.release_lock(db, args.id, by=user, note=args.note))
        return 0
    finally:
        db.conn.close()
