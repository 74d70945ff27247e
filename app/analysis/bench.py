"""Pipeline benchmark: N copies of a clip played as live cameras through capture + analysis.

Measures per-stream capture fps, analysed fps, frames skipped, capture-to-result latency, CPU and
peak RSS (this process plus the analysis child).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from app.bootstrap import LiveStation, StationOptions, resolve_preset
from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import FrameResult
from app.errors import UserError


@dataclass(frozen=True, slots=True)
class BenchOptions:
    streams: int = 4
    source: Path | None = None
    seconds: float = 20.0
    warmup_s: float = 5.0
    analysis_fps: float = 5.0
    analysis_mode: str = "process"
    detector_preset: str = "auto"
    decode_baseline: bool = True  # also measure decoding alone (--analysis off) for cpu_ratio


SHARED_VIDEO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "video"
FACE_CLIP = "cctv_office_fisheye_360p.mp4"  # real CCTV view with several people and small faces


def make_face_clip(out_dir: Path, fps: int = 15) -> Path | None:
    """The shared real CCTV clip with faces as 1280x720 H.264 at ``fps`` (None without ../shared or ffmpeg)."""
    src, ffmpeg = SHARED_VIDEO / FACE_CLIP, shutil.which("ffmpeg")
    if not src.is_file() or ffmpeg is None:
        return None
    out = out_dir / f"faces_720p_{fps}fps.mp4"
    cmd = [ffmpeg, "-v", "error", "-y", "-i", str(src), "-vf", "scale=1280:720", "-r", str(fps)]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-g", str(fps * 2), "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True)
    return out


def make_bench_clip(out_dir: Path, seconds: int = 20, fps: int = 15) -> Path:
    """A 1280x720 H.264 clip at ``fps`` (ffmpeg's test pattern) when no --source is given."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise UserError("bench needs ffmpeg to make a 720p H.264 test clip; install it or pass --source FILE")
    out = out_dir / f"bench_720p_{fps}fps.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate={fps}:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            str(fps * 2),
            "-pix_fmt",
            "yuv420p",
            str(out),
        ],
        check=True,
    )
    return out


class _Sampler(threading.Thread):
    """Samples CPU time and RSS of this process and its children every 0.5 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="bench-sampler")
        self.proc = psutil.Process()
        self.stop_evt = threading.Event()
        self.peak_rss = 0
        self.rss_series: list[tuple[float, int]] = []

    def procs(self) -> list[psutil.Process]:
        return [self.proc, *self.proc.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def run(self) -> None:
        while not self.stop_evt.wait(0.5):
            rss = 0
            for p in self.procs():
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
            self.peak_rss = max(self.peak_rss, rss)
            self.rss_series.append((time.monotonic(), rss))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_station(opts: BenchOptions, tmp: Path) -> LiveStation:
    """A station (not started) playing ``opts.streams`` copies of the clip as live cameras."""
    tmp.mkdir(parents=True, exist_ok=True)
    source = opts.source or make_face_clip(tmp) or make_bench_clip(tmp)
    if not Path(source).is_file():
        raise UserError(f"bench source not found: {source}")
    cams = tuple(
        CameraConfig(
            id=f"b{i + 1:02d}",
            name=f"bench {i + 1}",
            site="bench",
            source=str(source),
            analysis_fps=opts.analysis_fps,
        )
        for i in range(opts.streams)
    )
    cfg = StationConfig(sites=(SiteConfig("bench", "Bench"),), cameras=cams)
    options = StationOptions(
        db_path=tmp / "bench.sqlite3",
        analysis_mode=opts.analysis_mode,
        detector_preset=opts.detector_preset,
        media_dir=tmp,
        event_clips=False,
    )
    return LiveStation(cfg, options)


def run_pipeline_bench(opts: BenchOptions, progress: Any = None) -> dict[str, Any]:
    """The full run and, unless switched off, a decode-only run of the same clip in the same call: the
    ratio of the two is far less noisy on a shared machine than either CPU figure."""
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        source = opts.source or make_face_clip(Path(tmp)) or make_bench_clip(Path(tmp))
        opts = replace(opts, source=source)
        report = _measure(bench_station(opts, Path(tmp) / "full"), opts, progress)
        report["source"] = str(source)
        if opts.decode_baseline and opts.analysis_mode != "off":
            off = replace(opts, analysis_mode="off", seconds=max(5.0, opts.seconds / 2))
            decode = _measure(bench_station(off, Path(tmp) / "decode"), off, progress)
            report["decode_cpu_percent"] = decode["cpu_percent"]
            ratio = report["cpu_percent"] / decode["cpu_percent"] if decode["cpu_percent"] else None
            report["cpu_ratio"] = None if ratio is None else round(ratio, 2)
        return report


def _measure(station: LiveStation, opts: BenchOptions, progress: Any) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {}
    coverage: dict[str, list[float]] = {}
    lock = threading.Lock()
    recording = threading.Event()

    def on_result(result: FrameResult) -> None:
        if recording.is_set():
            with lock:
                latencies.setdefault(result.camera_id, []).append(result.latency_s * 1000.0)
                if result.scan_coverage is not None:
                    coverage.setdefault(result.camera_id, []).append(result.scan_coverage)

    station.result_observers.append(on_result)
    sampler = _Sampler()
    station.start()
    try:
        station.wait_ready(120)
        sampler.start()
        _wait(opts.warmup_s, progress, "warming up")
        start_stats = {cid: f.stats() for cid, f in station.feeds().items()}
        start_analysed = {cid: f.counters["frames_analysed"] for cid, f in station.feeds().items()}
        cpu0, t0 = sampler.cpu_seconds(), time.monotonic()
        rss_after_warmup = sampler.peak_rss
        recording.set()
        _wait(opts.seconds, progress, "measuring")
        recording.clear()
        wall = time.monotonic() - t0
        cpu = sampler.cpu_seconds() - cpu0
        per_stream = {}
        for cid, feed in station.feeds().items():
            s0, s1 = start_stats[cid], feed.stats()
            lat = latencies.get(cid, [])
            per_stream[cid] = {
                "capture_fps": round((s1.frames_in - s0.frames_in) / wall, 2),
                "analysed_fps": round((feed.counters["frames_analysed"] - start_analysed[cid]) / wall, 2),
                "skipped": s1.frames_skipped - s0.frames_skipped,
                "latency_p50_ms": _round(_percentile(lat, 0.5)),
                "latency_p95_ms": _round(_percentile(lat, 0.95)),
                "scan_coverage": _mean(coverage.get(cid, [])),
            }
    finally:
        sampler.stop_evt.set()
        station.stop()
    all_lat = [v for vals in latencies.values() for v in vals]
    return {
        "streams": opts.streams,
        "seconds": round(wall, 1),
        "analysis_mode": opts.analysis_mode,
        "detector_preset": resolve_preset(opts.detector_preset, station.config()),
        "analysis_fps_target": opts.analysis_fps,
        "capture_fps_min": min((float(s["capture_fps"] or 0) for s in per_stream.values()), default=0.0),
        "analysed_fps_min": min((float(s["analysed_fps"] or 0) for s in per_stream.values()), default=0.0),
        "latency_p50_ms": _round(_percentile(all_lat, 0.5)),
        "latency_p95_ms": _round(_percentile(all_lat, 0.95)),
        "cpu_percent": round(100.0 * cpu / wall, 1),
        "scan_coverage": _mean([v for vals in coverage.values() for v in vals]),
        "cpu_cores": psutil.cpu_count(),
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "rss_growth_mb": round((sampler.peak_rss - rss_after_warmup) / 2**20, 1),
        "per_stream": per_stream,
    }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _wait(seconds: float, progress: Any, label: str) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if progress:
            progress(f"{label}: {left:4.0f} s left")
        time.sleep(min(1.0, left))
