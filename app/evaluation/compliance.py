"""Person-level compliance on real clips, through the live station's own engine and store.

Each clip is played once (not looped) as camera 1 of a station with ``cameras`` cameras: the detector
preset comes from ``resolve_preset`` for that many cameras, the engine from ``bootstrap.engine_spec``, the
frames are taken at the camera's analysis rate with the clip's own timestamps, ended tracks go through a
real ``StoreWriter`` into a temporary SQLite store, and the counts are read back from
``compliance_minutes`` with the ``ComplianceReader`` the timeline and reports use. So the figure is the
supervisor's figure, and it follows any change of what the station does at N cameras.
"""

from __future__ import annotations

import csv
import math
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2

from app.analysis.engine import AnalysisEngine
from app.analysis.spec import EngineSpec, build_parts
from app.bootstrap import StationOptions, engine_spec
from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import Frame, FrameResult, TrackSummary
from app.errors import UserError
from app.store.compliance_query import ComplianceReader
from app.store.records import CameraRecord, SiteRecord, TrackUpdate
from app.store.writer import StoreWriter
from app.zones import Zone, ZoneError, check_zones, zone_from_dict

ZONES_FILE = "zones.toml"  # per-clip zones, beside truth.csv
TRUTH_COLUMNS = ("clip", "people", "masked", "unmasked", "incorrect", "notes")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".ts", ".m4v")
CLOCK0 = 1_700_000_040.0  # a whole UTC minute: the clips' timestamps start here (deterministic runs)
EVAL_CAMERA = "cam01"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TruthRow:
    clip: str
    people: int
    masked: int
    unmasked: int
    incorrect: int
    notes: str = ""

    @property
    def compliance(self) -> float | None:
        decided = self.masked + self.unmasked + self.incorrect
        return 100.0 * self.masked / decided if decided else None


@dataclass(frozen=True, slots=True)
class ClipResult:
    clip: str
    people_truth: int
    people_counted: int
    masked: int
    unmasked: int
    incorrect: int
    undecided: int
    compliance_truth: float | None
    compliance_measured: float | None
    error_pp: float | None
    frames_analysed: int = 0
    seconds: float = 0.0
    zones: int = 0  # zones of the clip's camera (from zones.toml)

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("clip")
        return d


def read_truth(path: Path) -> list[TruthRow]:
    """``truth.csv`` rows; a missing file, a missing column or a bad number is one UserError line."""
    if not path.is_file():
        raise UserError(
            f"truth file not found: {path} (give --truth FILE or put truth.csv in the clip folder)"
        )
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in TRUTH_COLUMNS[:5] if c not in (reader.fieldnames or ())]
            if missing:
                raise UserError(
                    f"{path}: missing column(s) {', '.join(missing)} (need {','.join(TRUTH_COLUMNS)})"
                )
            rows: list[TruthRow] = []
            for line, r in enumerate(reader, start=2):
                clip = (r.get("clip") or "").strip()
                if not clip or clip.startswith("#"):
                    continue
                try:
                    nums = [
                        int((r.get(c) or "").strip()) for c in ("people", "masked", "unmasked", "incorrect")
                    ]
                except ValueError:
                    raise UserError(
                        f"{path} line {line}: people, masked, unmasked, incorrect must be whole numbers"
                    ) from None
                if min(nums) < 0:
                    raise UserError(f"{path} line {line}: counts must not be negative")
                rows.append(
                    TruthRow(clip, nums[0], nums[1], nums[2], nums[3], (r.get("notes") or "").strip())
                )
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 CSV file") from None
    except csv.Error as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise UserError(f"{path}: no clips listed")
    return rows


ClipZones = dict[str, tuple[Zone, ...]]


def read_zones(path: Path) -> ClipZones:
    """Per-clip camera zones from a TOML file: ``[[clips]]`` tables with ``clip = "NAME"`` and ``zones =
    [{kind = "exclude", points = [[x, y], ...]}, ...]`` (the format and rules of a camera's zones in the
    station config). A bad file is one UserError line."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"zones file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: not a readable TOML file ({exc})") from None
    clips = raw.get("clips", [])
    if not isinstance(clips, list) or not all(isinstance(c, dict) for c in clips):
        raise UserError(f"{path}: 'clips' must be an array of tables, written [[clips]]")
    out: ClipZones = {}
    for i, entry in enumerate(clips, start=1):
        name = entry.get("clip")
        if not isinstance(name, str) or not name.strip():
            raise UserError(f'{path}: clips entry {i} needs clip = "FILE NAME"')
        try:
            zones = tuple(zone_from_dict(z) for z in entry.get("zones", []))
            check_zones(zones)
        except (ZoneError, TypeError) as exc:
            raise UserError(f"{path}: clip {name}: {exc}") from None
        out[name.strip()] = zones
    return out


def station_config(cameras: int, base: StationConfig | None = None) -> StationConfig:
    """The station being evaluated: ``cameras`` enabled cameras at the default analysis rate on one site,
    with the [analysis] settings of ``base`` (default: the shipped defaults)."""
    if cameras < 1:
        raise UserError(f"--cameras must be 1 or more, not {cameras}")
    base = base or StationConfig()
    cams = tuple(
        CameraConfig(id=f"cam{i + 1:02d}", name=f"camera {i + 1}", site="eval", source=f"eval-{i + 1}")
        for i in range(cameras)
    )
    return replace(base, sites=(SiteConfig("eval", "Evaluation"),), cameras=cams)


def evaluation_spec(config: StationConfig, options: StationOptions) -> EngineSpec:
    """The engine ``LiveStation`` builds for ``config``, with its detection governor held at the plan for
    that many cameras on this machine. Why held: clips play faster than real time on their own clock, so
    the run-time latency and time-budget checks would read every frame as late and cut the scan to nothing
    (before 2026-12-07 they did, at any N). No watchlist matching: it does not change counts."""
    spec = replace(engine_spec(config, options, Path("unused.sqlite3")), db_path="")
    held = replace(spec.governor, latency_target_s=math.inf, budget_ms_per_s=0.0)
    return replace(spec, governor=held)


def config_summary(spec: EngineSpec, config: StationConfig) -> dict[str, Any]:
    cam = config.cameras[0]
    return {
        "cameras": len(config.cameras),
        "detector_preset": spec.detector_preset,
        "analysis_fps": cam.analysis_fps,
        "mask_enabled": spec.mask_enabled,
        "mask_model": spec.mask_model_path or "bundled",
        "analysis": asdict(spec.analysis),
        "tracker": asdict(spec.tracker),
        "scan_tiles_per_frame": round(spec.governor.tiles, 2),
        "full_range_every": spec.governor.full_every,
    }


def _frames(path: Path, fps: float, camera_id: str) -> Any:
    """Frames of ``path`` at ``fps`` (the clip's own timestamps, played once), as the capture would hand
    the newest frame to analysis every 1/fps seconds."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise UserError(f"cannot decode clip: {path}")
    try:
        src_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        if not math.isfinite(src_fps) or src_fps <= 0:
            src_fps = 25.0
        step = 1.0 / fps
        next_t = 0.0
        idx = seq = 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            t = idx / src_fps
            idx += 1
            if t + 1e-6 < next_t:
                continue
            while next_t <= t + 1e-6:
                next_t += step
            seq += 1
            yield Frame(camera_id, seq, image, CLOCK0 + t, t)
    finally:
        cap.release()


def _track_update(s: TrackSummary) -> TrackUpdate:
    return TrackUpdate(
        s.camera_id, s.track_id, s.first_seen, s.last_seen, s.best_face_px, s.verdict, s.frames
    )


def play_clip(
    path: Path,
    spec: EngineSpec,
    fps: float,
    db_path: Path,
    zones: tuple[Zone, ...] = (),
    observe: Callable[[FrameResult], None] | None = None,
) -> tuple[int, float, Any]:
    """Play one clip through a fresh engine into a fresh store; (frames analysed, seconds, totals).
    ``zones``: the camera's exclusion / counting zones (``app.zones``), as a station applies them;
    ``observe``: sees every frame's result (the faces the wall would show)."""
    writer = StoreWriter(db_path, flush_interval_s=0.05)
    writer.start()
    engine = AnalysisEngine(build_parts(spec))
    engine.set_zones(EVAL_CAMERA, zones)
    frames = 0
    last_t = 0.0
    try:
        writer.submit(SiteRecord("eval", "Evaluation"))
        writer.submit(CameraRecord(EVAL_CAMERA, "camera 1", "eval"))
        for frame in _frames(path, fps, EVAL_CAMERA):
            frames += 1
            last_t = frame.captured_mono
            for out in engine.analyse([frame]):
                if observe is not None:
                    observe(out.result)
                for s in out.ended:
                    writer.submit(_track_update(s))
        for s in engine.finish(EVAL_CAMERA):
            writer.submit(_track_update(s))
        if engine.mask_error:
            raise UserError(f"mask model unavailable: {engine.mask_error}")
    finally:
        engine.close()
        writer.flush(30.0)
        writer.stop()
    with ComplianceReader(db_path) as reader:
        series = reader.camera_series([EVAL_CAMERA], CLOCK0 - 60.0, CLOCK0 + last_t + 120.0, hours=False)
    return frames, last_t, series[EVAL_CAMERA].totals()


def find_clip(root: Path, name: str) -> Path | None:
    p = root / name
    if p.is_file():
        return p
    for suffix in VIDEO_SUFFIXES:
        q = root / f"{name}{suffix}"
        if q.is_file():
            return q
    return None


def evaluate(
    root: Path,
    truth: list[TruthRow],
    cameras: int = 16,
    base: StationConfig | None = None,
    progress: Progress | None = None,
    options: StationOptions | None = None,
    zones: ClipZones | None = None,
) -> dict[str, Any]:
    """The report ``vigil eval-compliance --json`` prints (stable keys, see README). ``zones``: each clip's
    camera zones (``read_zones``), applied by the engine exactly as a station applies a camera's zones."""
    config = station_config(cameras, base)
    zones = zones or {}
    options = options or StationOptions()
    missing = [t.clip for t in truth if find_clip(root, t.clip) is None]
    if missing:
        raise UserError(f"clip(s) listed in the truth file not found in {root}: {', '.join(missing)}")
    results: list[ClipResult] = []
    with tempfile.TemporaryDirectory(prefix="vigil-evalc-") as tmp:
        spec = evaluation_spec(config, options)
        fps = config.cameras[0].analysis_fps
        for i, row in enumerate(truth):
            path = find_clip(root, row.clip)
            assert path is not None
            if progress:
                progress(f"[{i + 1}/{len(truth)}] {row.clip} ...")
            clip_zones = zones.get(row.clip, ())
            frames, secs, tot = play_clip(path, spec, fps, Path(tmp) / f"clip{i}.sqlite3", clip_zones)
            measured = tot.compliance
            truth_pct = row.compliance
            err = abs(measured - truth_pct) if measured is not None and truth_pct is not None else None
            if err is None and (measured is None) != (truth_pct is None):
                err = 100.0  # a % shown where nobody is decided, or none where somebody is: fully wrong
            results.append(
                ClipResult(
                    row.clip,
                    row.people,
                    tot.people,
                    tot.masked,
                    tot.unmasked,
                    tot.incorrect,
                    tot.people - tot.decided,
                    truth_pct,
                    measured,
                    err,
                    frames,
                    round(secs, 2),
                    len(clip_zones),
                )
            )
            if progress:
                progress(
                    f"[{i + 1}/{len(truth)}] {row.clip}: {tot.people} people counted (truth {row.people}), "
                    f"{frames} frames"
                )
    errors = [r.error_pp for r in results if r.error_pp is not None]
    count_errs = [abs(r.people_counted - r.people_truth) / r.people_truth for r in results if r.people_truth]
    return {
        "per_clip": {r.clip: r.as_json() for r in results},
        "compliance_mae_pp": round(sum(errors) / len(errors), 2) if errors else None,
        "people_count_error": round(sum(count_errs) / len(count_errs), 3) if count_errs else None,
        "config": config_summary(spec, config),
        "with_zones": any(zones.get(t.clip) for t in truth),
    }


def count_clip(
    path: Path,
    cameras: int = 16,
    zones: tuple[Zone, ...] = (),
    base: StationConfig | None = None,
    observe: Callable[[FrameResult], None] | None = None,
) -> dict[str, int]:
    """People counted on one clip by the station's engine for ``cameras`` cameras, with a camera's zones
    and the [analysis] settings of ``base``: what drawing a zone changes (the zone test of the camera
    manager runs it in a child process). ``observe``: as for ``play_clip``."""
    config = station_config(cameras, base)
    with tempfile.TemporaryDirectory(prefix="vigil-zonec-") as tmp:
        spec = evaluation_spec(config, StationOptions())
        fps = config.cameras[0].analysis_fps
        _, _, tot = play_clip(path, spec, fps, Path(tmp) / "clip.sqlite3", zones, observe)
    return {
        "people": tot.people,
        "masked": tot.masked,
        "unmasked": tot.unmasked,
        "incorrect": tot.incorrect,
        "undecided": tot.people - tot.decided,
    }
