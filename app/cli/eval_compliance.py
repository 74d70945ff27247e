"""``vigil eval-compliance DIR``: people counted and compliance % per clip against human truth.

Every clip is played once through the engine, detector preset, mask gate, tracker and verdict rules the
live station uses for ``--cameras`` cameras on this machine, and counted through a real (temporary) store:
the % printed is the one the timeline would show for that clip.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.errors import UserError

NAME = "eval-compliance"
HELP = "people counted and compliance %% per clip against truth.csv, as the live station at N cameras"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder with the video clips (and truth.csv unless --truth)")
    parser.add_argument(
        "--cameras",
        type=int,
        default=16,
        metavar="N",
        help="evaluate as a station with N cameras (default 16)",
    )
    parser.add_argument(
        "--truth", type=Path, default=None, metavar="FILE", help="truth CSV (default DIR/truth.csv)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="take [analysis] from this settings file (default: shipped defaults)",
    )
    parser.add_argument(
        "--clip", action="append", default=[], metavar="NAME", help="only this clip (repeatable)"
    )
    parser.add_argument(
        "--zones",
        type=Path,
        default=None,
        metavar="FILE",
        help="per-clip camera zones (default: zones.toml beside the truth file, if there)",
    )
    parser.add_argument(
        "--no-zones", action="store_true", help="play every clip without zones (ignore zones.toml)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} %"


def format_table(report: dict[str, Any]) -> str:
    head = ("clip", "truth", "counted", "mask", "no", "incor", "undec", "truth %", "measured %", "error")
    rows = [head]
    for clip, r in report["per_clip"].items():
        rows.append(
            (
                clip,
                str(r["people_truth"]),
                str(r["people_counted"]),
                str(r["masked"]),
                str(r["unmasked"]),
                str(r["incorrect"]),
                str(r["undecided"]),
                _pct(r["compliance_truth"]),
                _pct(r["compliance_measured"]),
                "-" if r["error_pp"] is None else f"{r['error_pp']:.0f} pp",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    cfg = report["config"]
    mae, pce = report["compliance_mae_pp"], report["people_count_error"]
    lines += [
        "",
        f"compliance MAE: {'-' if mae is None else f'{mae:.1f} pp'}   "
        f"people count error: {'-' if pce is None else f'{100 * pce:.0f} %'}",
        f"as a station with {cfg['cameras']} cameras: preset {cfg['detector_preset']}, "
        f"{cfg['analysis_fps']:g} analysed frames/s per camera, mask model {cfg['mask_model']}, "
        + (
            "with zones (" + ", ".join(c for c, r in report["per_clip"].items() if r.get("zones")) + ")"
            if report.get("with_zones")
            else "no zones"
        ),
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    root: Path = args.dir
    if not root.is_dir():
        raise UserError(f"clip folder not found: {root}")
    if args.cameras < 1:
        raise UserError(f"--cameras must be 1 or more, not {args.cameras}")
    from app.evaluation.compliance import ZONES_FILE, evaluate, read_truth, read_zones

    truth_path: Path = args.truth or root / "truth.csv"
    truth = read_truth(truth_path)
    if args.no_zones and args.zones is not None:
        raise UserError("--zones and --no-zones cannot be used together")
    zones = {}
    if args.zones is not None:
        zones = read_zones(args.zones)
    elif not args.no_zones and (truth_path.parent / ZONES_FILE).is_file():
        zones = read_zones(truth_path.parent / ZONES_FILE)
    if args.clip:
        unknown = [c for c in args.clip if c not in {t.clip for t in truth}]
        if unknown:
            raise UserError(f"--clip not in the truth file: {', '.join(unknown)}")
        truth = [t for t in truth if t.clip in args.clip]
    base = None
    if args.config is not None:
        from app.config import load_config

        base = load_config(args.config)

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    report = evaluate(root, truth, args.cameras, base, progress, zones=zones)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    return 0
