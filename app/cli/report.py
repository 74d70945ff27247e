"""``vigil report``: per-site compliance by local hour as CSV, or a one-page-per-site PDF summary."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from app import paths
from app.config import load_config
from app.errors import UserError
from app.i18n import LANGUAGES
from app.reports import FORMATS, ReportRequest, parse_time, run_report
from app.security.prompt import cli_authorise
from app.security.roles import Permission

NAME = "report"
HELP = "compliance report per site and hour (CSV) or one page per site (PDF)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--site", action="append", default=[], metavar="NAME", help="site id or name (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="every site with cameras")
    p.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="ISO",
        help="start, e.g. 2026-03-01 or 2026-03-01T08:00 (site's local time unless an offset is given)",
    )
    p.add_argument(
        "--to", dest="end", required=True, metavar="ISO", help="end (exclusive), same forms as --from"
    )
    p.add_argument(
        "--format", choices=FORMATS, default=None, help="csv or pdf (default: from --out's suffix, else csv)"
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="file to write (replaced atomically)"
    )
    p.add_argument(
        "--db", type=Path, default=None, help=f"event database (default {paths.default_db_path()})"
    )
    p.add_argument(
        "--config", type=Path, default=None, help="settings file whose site time zones override the store's"
    )
    p.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="language of the report's texts (the CLI stays English)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--user",
        default=os.environ.get("VIGIL_USER", ""),
        metavar="NAME",
        help="your account (a supervisor or admin; password from VIGIL_PASSWORD or a prompt)",
    )


class _Progress:
    """Progress on stderr: an updating line on a terminal, a line per quarter otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = -1.0
        self.shown = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if now - self.shown >= 0.1 or fraction >= 1.0:
                self.shown = now
                print(f"\rvigil report: {fraction:4.0%} {message:<40}", end="", file=sys.stderr, flush=True)
        elif int(fraction * 4) > int(self.last * 4):
            print(f"vigil report: {fraction:4.0%} {message}", file=sys.stderr, flush=True)
        self.last = fraction

    def done(self) -> None:
        if self.tty and not self.quiet and self.last >= 0:
            print(file=sys.stderr)


def _report_language(lang: str) -> tuple[str, ...]:
    """Load the report language's Qt catalogue (an offscreen QGuiApplication, QtGui only); returns the
    CSV column titles in that language (empty for English)."""
    if lang == "en":
        return ()
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        _pdf_writer.app = QGuiApplication(["vigil", "-platform", "offscreen"])  # type: ignore[attr-defined]
    from widgets.i18n import csv_header, install_language

    if not install_language(lang):
        raise UserError(f"the {lang} translation is missing from this installation; use --lang en")
    return csv_header()


def _pdf_writer() -> Any:
    """Qt's PDF writer; a headless run gets an offscreen QGuiApplication (QtGui only, no widgets)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        _pdf_writer.app = QGuiApplication(["vigil", "-platform", "offscreen"])  # type: ignore[attr-defined]
    # the one place the CLI reaches into widgets/: Qt's painter code lives there, loaded only for PDF
    from widgets.compliance.report_pdf import write_pdf

    return write_pdf


def main(args: argparse.Namespace) -> int:
    fmt = args.format or ("pdf" if args.out.suffix.lower() == ".pdf" else "csv")
    from app.rollup.store import is_rollup_db

    if args.db is not None and is_rollup_db(args.db):  # the city roll-up: one row per mall
        from app.rollup.report import write_station_report

        if fmt != "csv":
            raise UserError("a roll-up database gives a CSV report (one row per mall)")
        n = write_station_report(args.db, parse_time(args.start, "--from"), parse_time(args.end, "--to"),
                                 args.out, tuple(args.site))  # fmt: skip
        print(f"wrote {args.out} ({n} station(s))")
        return 0
    zones = {}
    if args.config is not None:
        zones = {s.id: s.timezone for s in load_config(args.config).sites if s.timezone}
    request = ReportRequest(
        start=parse_time(args.start, "--from"),
        end=parse_time(args.end, "--to"),
        out=args.out,
        fmt=fmt,
        sites=tuple(args.site),
        zones=zones,
        csv_header=_report_language(args.lang),
    )
    cli_authorise(
        args.db or paths.default_db_path(), args.user, Permission.REPORT, ",".join(args.site) or "all"
    )
    progress = _Progress(args.quiet)
    try:
        result = run_report(
            args.db or paths.default_db_path(), request, progress, _pdf_writer() if fmt == "pdf" else None
        )
    finally:
        progress.done()
    unit = "pages" if fmt == "pdf" else "rows"
    print(f"wrote {result.path} ({result.sites} site(s), {result.rows} {unit})")
    return 0
