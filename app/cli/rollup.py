"""``vigil rollup``: the city roll-up - subscribes to every station's MQTT topics into one SQLite store."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from app.errors import UserError
from app.logs import redact
from app.publish.broker import parse_broker_url
from app.rollup.store import KEEP_DAYS
from app.rollup.subscriber import Rollup

NAME = "rollup"
HELP = "city roll-up: store every station's compliance, events and health from an MQTT broker"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", required=True, metavar="URL", help="mqtt[s]://user:password@host:port")
    p.add_argument("--db", type=Path, required=True, metavar="PATH", help="the roll-up database (created)")
    p.add_argument("--duration", type=float, default=0.0, metavar="S", help="stop after S seconds (0: run)")
    p.add_argument("--ca-file", default="", metavar="PEM", help="CA certificate for mqtts://")
    p.add_argument("--cert-file", default="", metavar="PEM", help="client certificate (optional)")
    p.add_argument("--key-file", default="", metavar="PEM", help="client certificate's key")
    p.add_argument(
        "--keep-days", type=float, default=KEEP_DAYS, metavar="DAYS",
        help=f"prune the idempotency table after DAYS (hourly; default {KEEP_DAYS}, 0: never)",
    )  # fmt: skip
    p.add_argument(
        "--client-id", default="vigil-rollup", help="MQTT client id; the broker keeps this session's messages"
    )


def main(args: argparse.Namespace) -> int:
    if args.keep_days < 0:
        raise UserError(f"--keep-days must be 0 (never prune) or more, not {args.keep_days:g}")
    broker = parse_broker_url(args.broker, args.ca_file, args.cert_file, args.key_file)
    try:
        rollup = Rollup(
            args.db, broker, client_id=args.client_id, keep_days=args.keep_days,
            on_status=lambda m: print(m, file=sys.stderr),
        )  # fmt: skip
    except OSError as exc:
        raise UserError(f"cannot open roll-up database {args.db}: {exc}") from None
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    rollup.start()
    end = time.monotonic() + args.duration if args.duration > 0 else float("inf")
    refused_since = None
    while not done.is_set() and time.monotonic() < end:
        done.wait(0.2)
        if rollup.refused:
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since > 3.0 and not rollup.connected.is_set():
                rollup.stop()
                print(f"vigil rollup: error: {redact(rollup.refused)}", file=sys.stderr)
                return 1
        else:
            refused_since = None
    rollup.stop()
    s = rollup.stats
    print(
        f"roll-up {args.db}: stored {s.stored} message(s), {s.duplicates} duplicate(s) ignored, "
        f"{s.malformed} malformed skipped, {s.pruned} old received row(s) pruned",
        file=sys.stderr,
    )
    return 0
