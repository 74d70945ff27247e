"""``vigil bench``: speed figures of the pipeline (and, with flags, of the mask model, the GUI, clips)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.analysis.bench import BenchOptions, run_pipeline_bench

NAME = "bench"
HELP = "benchmark: N copies of a clip as live cameras through capture + analysis"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--streams", type=int, default=4, help="number of simulated cameras (default 4)")
    p.add_argument(
        "--source",
        type=Path,
        default=None,
        help="video file to play as every camera (default: the real CCTV clip with faces from ../shared "
        "as 1280x720 15 fps H.264, else a generated test pattern)",
    )
    p.add_argument("--seconds", type=float, default=20.0, help="measuring time after warm-up (default 20)")
    p.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds, not measured (default 5)")
    p.add_argument("--analysis-fps", type=float, default=5.0, help="analysis rate per camera (default 5)")
    p.add_argument("--analysis", choices=["process", "thread", "off"], default="process")
    p.add_argument(
        "--preset", default="auto", help="detector preset: auto (default), live, fast, balanced, accurate"
    )
    p.add_argument(
        "--no-decode-baseline",
        action="store_true",
        help="skip the decode-only run (--analysis off) measured after the full one for cpu_ratio",
    )
    p.add_argument("--mask", action="store_true", help="instead: mask classifier ms per face (1 thread)")
    p.add_argument(
        "--gui",
        action="store_true",
        help="instead: the station window on a 4x4 wall of --streams cameras (run under Xvfb or a "
        "desktop): event-loop stall p50/p99 and painted fps per tile",
    )
    p.add_argument(
        "--compliance",
        type=int,
        default=0,
        metavar="ROWS",
        help="instead: compliance query speed on a generated table of ROWS minute rows",
    )
    p.add_argument(
        "--clips",
        action="store_true",
        help="instead: recording CPU for --streams cameras and export speed (10-minute 720p clip)",
    )
    p.add_argument("--rollup", action="store_true", help="instead: city roll-up ingestion over MQTT")
    p.add_argument("--stations", type=int, default=300, help="--rollup: simulated stations (default 300)")
    p.add_argument("--cameras", type=int, default=6, help="--rollup: cameras per station (default 6)")
    p.add_argument("--broker", default="", metavar="URL", help="--rollup: broker (default: a private mosquitto)")
    p.add_argument("--json", action="store_true", help="print JSON")


def main(args: argparse.Namespace) -> int:
    if args.streams < 1:
        print("vigil bench: --streams must be at least 1", file=sys.stderr)
        return 2
    if args.mask:
        from models.mask_classifier import MaskClassifier, benchmark_ms_per_face

        clf = MaskClassifier(threads=1)
        ms = {str(b): round(benchmark_ms_per_face(clf, batch=b), 3) for b in (1, 16, 64)}
        print(json.dumps({"ms_per_face_by_batch": ms, "providers": clf.providers}, indent=2))
        return 0
    if args.rollup:
        from app.rollup.bench import run_rollup_bench

        print(json.dumps(run_rollup_bench(args.stations, args.cameras, args.seconds, args.broker), indent=2))
        return 0
    if args.gui:
        return _gui_bench(args)
    if args.compliance:
        import tempfile

        from app.store.compliance_bench import run_compliance_bench

        with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
            print(json.dumps(run_compliance_bench(args.compliance, Path(tmp) / "c.sqlite3"), indent=2))
        return 0
    if args.clips:
        from app.clips.bench import run_clip_bench

        clip_report = run_clip_bench(cameras=args.streams)
        print(json.dumps(clip_report, indent=2))
        return 0
    opts = BenchOptions(
        streams=args.streams,
        source=args.source,
        seconds=args.seconds,
        warmup_s=args.warmup,
        analysis_fps=args.analysis_fps,
        analysis_mode=args.analysis,
        detector_preset=args.preset,
        decode_baseline=not args.no_decode_baseline,
    )

    def progress(msg: str) -> None:
        print(f"\rbench {args.streams} streams: {msg}   ", end="", file=sys.stderr, flush=True)

    report = run_pipeline_bench(opts, progress)
    print(file=sys.stderr)
    _print(report, args.json)
    return 0


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"streams {report['streams']}, {report['seconds']} s, analysis in {report['analysis_mode']}, "
        f"detector {report['detector_preset']}"
    )
    print(f"  capture fps (min)   {report['capture_fps_min']}")
    print(f"  analysed fps (min)  {report['analysed_fps_min']}  (target {report['analysis_fps_target']})")
    print(f"  latency p50 / p95   {report['latency_p50_ms']} / {report['latency_p95_ms']} ms")
    print(f"  CPU                 {report['cpu_percent']} % of one core ({report['cpu_cores']} cores)")
    if report.get("decode_cpu_percent") is not None:
        print(
            f"  decode only         {report['decode_cpu_percent']} % (full / decode: {report['cpu_ratio']})"
        )
    if report.get("scan_coverage") is not None:
        print(f"  scan coverage       {100 * report['scan_coverage']:.0f} % of the frame per second")
    print(
        f"  peak RSS            {report['peak_rss_mb']} MB (growth after warm-up {report['rss_growth_mb']} MB)"
    )


def _gui_bench(args: argparse.Namespace) -> int:
    """The real window on a real station: N live copies of the clip, analysis on."""
    import tempfile

    from app.analysis.bench import bench_station
    from widgets.shell.bench_gui import run_gui_bench

    opts = BenchOptions(
        streams=args.streams,
        source=args.source,
        analysis_fps=args.analysis_fps,
        analysis_mode=args.analysis,
        detector_preset=args.preset,
    )
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        station = bench_station(opts, Path(tmp)).start()
        try:
            station.wait_ready(120)
            report = run_gui_bench(station, seconds=args.seconds, grid="4x4")
        finally:
            station.stop()
    print(json.dumps(report, indent=2))
    return 0
