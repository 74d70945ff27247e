"""``vigil export``: cut recorded footage into an evidence package (MP4 + manifest + summary), audited."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from app import paths
from app.clips.audit import DbAuditSink
from app.clips.export import Exporter, ExportProgress, ExportRequest
from app.clips.naming import utc_iso
from app.errors import UserError
from app.security.prompt import cli_authorise
from app.security.roles import Permission

NAME = "export"
HELP = "export recorded video of a time range as evidence (MP4, manifest with SHA-256, summary)"
# exit codes: 0 exported; 2 nothing exported (bad input, no recording, failure: one line says why);
# 3 exported, but damaged segments in the range were skipped (named in a warning, the summary and the manifest)
EXIT_SKIPPED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "exit codes: 0 exported; 2 nothing exported (the line before says why); 3 exported, but damaged "
        "recording segments in the range were skipped (named in the warnings, summary.txt and manifest.json)"
    )
    parser.add_argument(
        "--camera", action="append", required=True, metavar="ID", help="camera id (repeatable)"
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="ISO",
        help="start, e.g. 2025-03-01T14:05:00Z; without Z or an offset it is local time",
    )
    parser.add_argument("--to", dest="end", required=True, metavar="ISO", help="end (same format as --from)")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="folder to create the export in"
    )
    parser.add_argument(
        "--reason", required=True, metavar="TEXT", help="why this footage is exported (audited)"
    )
    parser.add_argument("--case", default="", metavar="REF", help="case or incident reference")
    parser.add_argument(
        "--user",
        default=os.environ.get("VIGIL_USER", ""),
        metavar="NAME",
        help="your account (a supervisor or admin; password from VIGIL_PASSWORD or a prompt)",
    )
    parser.add_argument(
        "--overlays", action="store_true", help="burn in boxes, verdicts, time and camera name"
    )
    parser.add_argument(
        "--blur-faces", action="store_true", help="blur every face except the kept person's (--keep-event)"
    )
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument(
        "--keep-event",
        type=int,
        default=None,
        metavar="ID",
        help="with --blur-faces: keep the person of this event (an unmasked person's) sharp",
    )
    keep.add_argument(
        "--keep-track",
        type=int,
        default=None,
        metavar="N",
        help="with --blur-faces: keep the person whose stored track N has an event in the range sharp",
    )
    parser.add_argument(
        "--db", type=Path, default=None, metavar="PATH", help="station database (default: user data)"
    )
    parser.add_argument("--recordings", type=Path, default=None, metavar="DIR", help="recordings folder")


def parse_time(text: str, flag: str) -> float:
    """ISO 8601 (``Z``/offset = that zone, none = local time) or UTC epoch seconds."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace(" ", "T"))
    except ValueError as exc:
        raise UserError(f"{flag} {text!r} is not a date-time; use e.g. 2025-03-01T14:05:00Z") from exc
    if dt.tzinfo is None:
        dt = dt.astimezone()  # local time, as the operator sees it on screen
    return dt.timestamp()


def main(args: argparse.Namespace) -> int:
    db_path = args.db or paths.default_db_path()
    rec_dir = args.recordings or paths.data_dir() / "recordings"
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    user = cli_authorise(db_path, args.user, Permission.EXPORT, ",".join(args.camera))
    req = ExportRequest(
        cameras=tuple(args.camera),
        start=start,
        end=end,
        out_dir=args.out,
        reason=args.reason,
        case_ref=args.case,
        user=user,
        overlays=args.overlays,
        blur_faces=args.blur_faces,
        keep_track=args.keep_track,
        keep_event=args.keep_event,
    )
    if (req.keep_event is not None or req.keep_track is not None) and not req.blur_faces:
        raise UserError("--keep-event and --keep-track only apply with --blur-faces; add --blur-faces")
    print(f"exporting {', '.join(req.cameras)} from {utc_iso(start)} to {utc_iso(end)}", file=sys.stderr)

    def progress(p: ExportProgress) -> None:
        print(f"\rexport: {p.fraction * 100:5.1f} % {p.camera_id:<20}", end="", file=sys.stderr, flush=True)

    exporter = Exporter(db_path, rec_dir, DbAuditSink(db_path))
    try:
        result = exporter.run(req, progress)
    finally:
        print(file=sys.stderr)
    for cid, gap in result.gaps:
        print(f"warning: {cid}: nothing recorded {utc_iso(gap.start)} to {utc_iso(gap.end)}", file=sys.stderr)
    for cid, k in result.skipped:
        seg = k.segment
        print(
            f"warning: {cid}: skipped damaged recording {seg.path} ({utc_iso(seg.start)} to {utc_iso(seg.end)}): "
            f"{k.why}; the rest of the range is exported",
            file=sys.stderr,
        )
    for c in result.cameras:
        if c.person_found is False:
            print(
                f"warning: {c.camera_id}: the selected person was not found; every face is blurred",
                file=sys.stderr,
            )
        if c.mask_verdicts is False:
            print(f"warning: {c.camera_id}: no mask model; boxes are drawn as uncertain", file=sys.stderr)
    for f in result.files:
        print(f)
    print(result.manifest)
    print(f"manifest SHA-256 {result.manifest_sha256}", file=sys.stderr)
    return EXIT_SKIPPED if result.skipped else 0
