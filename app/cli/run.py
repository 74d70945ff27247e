"""``vigil run --headless``: the full pipeline without a window; prints a per-camera summary."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from app.analysis.governor import station_coverage
from app.bootstrap import LiveFeed, LiveStation, StationOptions
from app.cli._station_args import add_station_arguments
from app.cli._station_args import session_config as load_session
from app.config import StationConfig
from app.domain import CameraStatus, Event
from app.errors import UserError

NAME = "run"
HELP = "run the station without a window (capture, analysis, events) and print a summary"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true", help="no window (the only mode of 'run')")
    add_station_arguments(
        p, "camera source for this run: rtsp://, http(s)://, file path or USB index (repeatable)"
    )
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS", help="stop after this long")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--record",
        action="store_true",
        help="record every camera continuously (1-minute MP4 segments, stream copy where possible)",
    )
    p.add_argument(
        "--media-dir",
        type=Path,
        default=None,
        help="where recordings/ and event clips/ go (default: the user data dir)",
    )
    p.add_argument("--quiet", action="store_true", help="no camera status lines on stderr")
    p.add_argument(
        "--publish", default=None, metavar="URL", help="publish to the city roll-up: mqtt[s]://user:pass@host:port"
    )
    p.add_argument("--station", default=None, metavar="ID", help="this station's id on the broker (topic level)")


def session_config(args: argparse.Namespace) -> StationConfig:
    """The settings file plus ``--source`` cameras (assigned to ``--site``)."""
    cfg = load_session(args)[1]
    if not any(c.enabled for c in cfg.cameras):
        raise UserError("no cameras: pass --source URL (repeatable) or add cameras to the settings file")
    return cfg


def site_compliance(db_path: str, since: float) -> dict[str, dict[str, Any]]:
    """Per mall, what the timeline shows for this run: people, decided, compliance and its basis."""
    from app.reports.basis import basis_text, too_few
    from app.store.compliance_query import ComplianceReader
    from app.store.errors import StoreError

    out: dict[str, dict[str, Any]] = {}
    try:
        with ComplianceReader(db_path) as reader:
            for site in reader.sites():
                if not site.cameras:
                    continue
                t = reader.site_series(site, since, time.time() + 60.0).totals()
                out[site.id] = {
                    "name": site.name,
                    "people": t.people,
                    "decided": t.decided,
                    "undecided": t.people - t.decided,
                    "compliance": None if t.compliance is None else round(t.compliance, 1),
                    "too_few_decided": too_few(t.decided),
                    "basis": basis_text(t.decided, t.people),
                }
    except StoreError:
        return {}
    return out


def summary(station: LiveStation, since: float | None = None) -> dict[str, Any]:
    per_camera: dict[str, dict[str, Any]] = {}
    for cid, feed in station.feeds().items():
        stats = feed.stats()
        per_camera[cid] = {
            "name": feed.camera.name,
            "frames_read": stats.frames_in,
            "frames_dropped": stats.frames_dropped,
            "frames_analysed": feed.counters["frames_analysed"],
            "faces": feed.counters["faces"],
            "tracks": len(feed.track_ids),
            "events": feed.counters["events"],
            "reconnects": stats.reconnects,
            "health": feed.status().health.value,
            "scan_coverage": _coverage(feed),
        }
    return {
        "per_camera": per_camera,
        "scan_coverage": _round3(station_coverage(station.feeds().values())),
        "db": station.db_path(),
        "mask_error": station.mask_error(),
        "store_errors": station.errors[-5:],
        "analysis": _analysis_health(station),
        "per_site": site_compliance(station.db_path(), since) if since is not None else {},
        "crash_recovery": {
            "runs": list(station.writer.recovered.runs),
            "tracks_closed": station.writer.recovered.tracks,
        },
        "run_id": station.writer.run_id,
    }


def _analysis_health(station: LiveStation) -> dict[str, Any]:
    """Restarts of the analysis processes in this run and the newest health line about them."""
    health = station.analysis_health()
    last = health.last
    return {"restarts": health.restarts, "last_notice": last.message if last is not None else None}


def _coverage(feed: LiveFeed) -> float | None:
    """Share of the frame the detection scheduler scanned at tile resolution per second (newest result)."""
    result = feed.results.peek()
    return None if result is None else result.scan_coverage


def _round3(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def main(args: argparse.Namespace) -> int:
    cfg = session_config(args)
    options = StationOptions(
        db_path=args.db,
        analysis_mode=args.analysis,
        detector_preset=args.preset,
        record=args.record,
        media_dir=args.media_dir,
    )
    stop = threading.Event()

    def on_item(item: Event | CameraStatus) -> None:
        if args.quiet:
            return
        if isinstance(item, CameraStatus):
            print(f"[{time.strftime('%H:%M:%S')}] {item.message}", file=sys.stderr, flush=True)
        else:
            print(
                f"[{time.strftime('%H:%M:%S')}] event {item.kind.value} on {item.camera_id}"
                + (f" (track {item.track_id})" if item.track_id else ""),
                file=sys.stderr,
                flush=True,
            )

    from app.publish.session import publish_settings, start_publisher

    publish = publish_settings(cfg.publish, args.publish, args.station)
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    station = LiveStation(cfg, options)
    station.add_listener(on_item)
    if not args.quiet:
        station.add_analysis_listener(
            lambda n: print(f"[{time.strftime('%H:%M:%S')}] {n.message}", file=sys.stderr, flush=True)
        )
    started = time.time()
    station.start()
    recovered = station.writer.recovered
    if recovered.runs:  # always shown: the counts of that run end at its last checkpoint
        print(f"[{time.strftime('%H:%M:%S')}] {recovered.message()}", file=sys.stderr, flush=True)
    publisher = start_publisher(station, publish, args.quiet) if publish else None
    try:
        station.wait_ready(120)
        if station.mask_error() and not args.quiet:
            print(f"mask analysis unavailable: {station.mask_error()}", file=sys.stderr)
        stop.wait(args.duration)
    finally:
        if publisher is not None:
            publisher.stop()  # what is not acknowledged yet stays in the outbox for the next run
        station.stop()  # ends open tracks too, so they are counted and stored
        signal.signal(signal.SIGINT, previous)
    report = summary(station, started)
    _print(report, args.json)
    return 0


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    cols = ["frames_read", "frames_analysed", "faces", "tracks", "events", "reconnects"]
    print(f"{'camera':<12} {'name':<24} " + " ".join(f"{c:>15}" for c in cols) + "  health")
    for cid, row in report["per_camera"].items():
        print(
            f"{cid:<12} {row['name'][:24]:<24} "
            + " ".join(f"{row[c]:>15}" for c in cols)
            + f"  {row['health']}"
        )
    if report["scan_coverage"] is not None:
        print(
            f"scan coverage: {100 * report['scan_coverage']:.0f} % of the frame per second (detection scheduler)"
        )
    for site in report["per_site"].values():
        pct = "no clear verdict" if site["compliance"] is None else f"{site['compliance']:.0f} %"
        print(f"{site['name']}: {pct} ({site['basis']})")
    print(f"events stored in {report['db']}")
    if report["analysis"]["restarts"]:
        print(f"analysis restarted {report['analysis']['restarts']} times: {report['analysis']['last_notice']}")
    if report["mask_error"]:
        print(f"note: mask analysis unavailable: {report['mask_error']}")
