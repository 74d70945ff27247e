"""Options and settings shared by the commands that start a station (``run`` and ``gui``)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from app.config import SiteConfig, StationConfig, camera_from_source, load_config, with_cameras


def add_station_arguments(p: argparse.ArgumentParser, source_help: str) -> None:
    p.add_argument("--source", action="append", default=[], metavar="URL", help=source_help)
    p.add_argument("--site", default=None, metavar="NAME", help="site (mall) for --source cameras")
    p.add_argument("--config", type=Path, default=None, help="settings file (default: user config dir)")
    p.add_argument("--no-config", action="store_true", help="ignore the settings file; use --source only")
    p.add_argument("--db", type=Path, default=None, help="event database (default: user data dir)")
    p.add_argument(
        "--analysis",
        choices=["process", "thread", "off"],
        default="process",
        help="where analysis runs (default: child processes)",
    )
    p.add_argument(
        "--preset",
        default="auto",
        help="face detector: auto (default: the detection scheduler, sized by its CPU governor), live, fast, "
        "balanced, accurate",
    )


def session_config(args: argparse.Namespace) -> tuple[StationConfig, StationConfig]:
    """(what the settings file holds, that plus the ``--source`` cameras of this session on ``--site``)."""
    saved = StationConfig() if args.no_config and args.config is None else load_config(args.config)
    base = saved
    site_id = "default"
    if args.site:
        found = next((s for s in base.sites if args.site in (s.id, s.name)), None)
        if found is None:
            found = SiteConfig(id=args.site, name=args.site)
            base = replace(base, sites=(*base.sites, found))
        site_id = found.id
    cams = [camera_from_source(src, i + 1, site=site_id) for i, src in enumerate(args.source)]
    return saved, with_cameras(base, cams)
