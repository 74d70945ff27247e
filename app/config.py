"""Typed station settings: sites (malls), cameras, analysis thresholds, retention.

Stored as a versioned TOML file in the user config dir (``--config PATH`` overrides).
``load_config`` validates and never writes; ``save_config`` writes atomically and keeps a ``.bak``.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tempfile
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app import paths
from app.capture.source import SourceKind, source_kind, validate_source
from app.errors import ConfigError
from app.logs import redact
from app.zones import Zone, ZoneError, check_zones, zone_from_dict, zone_to_dict

# 2: cameras may have [[cameras.zones]]; 3: cameras may have transport = "tcp" | "udp".
# A config that uses neither is still written as version 1, so that older Vigils keep reading it.
CONFIG_VERSION = 3


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """A mall. Watchlist matching is off until an admin switches it on (issue: watchlists)."""

    id: str
    name: str
    watchlist_enabled: bool = False
    timezone: str = ""  # empty: the station's local time zone


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One camera. ``source`` is a URL (rtsp://, http(s)://), a file path, or a USB index such as "0"."""

    id: str
    name: str
    site: str
    source: str
    enabled: bool = True
    analysis_fps: float = 5.0
    sub_source: str = ""  # optional low-resolution sub-stream for small tiles
    loop: bool = True  # video files: loop forever, like a live camera
    record: bool = False
    zones: tuple[Zone, ...] = ()  # exclusion zones and an optional counting zone (app.zones)
    transport: str = "auto"  # rtsp:// only: auto (FFmpeg's choice) | tcp | udp (README: RTSP cameras)


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """Detector and quality-gate thresholds."""

    detector_preset: str = "auto"  # auto (= scheduled) | live | fast | balanced | accurate (README: Face detection)
    detector_min_score: float = 0.0  # whole-frame score threshold; 0: the preset's own
    # smaller faces are 'uncertain' for mask verdicts. 20 since 2026-12-07 (was 24): detected 20-24 px scene
    # faces (val + test split) are judged right as often as 24-32 px ones (33 of 36), see README, Abstention
    min_face_px: int = 20
    blur_threshold: float = 30.0  # variance of Laplacian below this: 'uncertain'
    # grey-level standard deviation inside the face crop below this: 'uncertain' (too dark or too crushed
    # to read; 2 of 858 detected val/test faces are under 16, README: Abstention); 0: off
    min_face_contrast: float = 16.0
    max_face_turn: float = 1.0  # head turn (nose offset per eye distance) above this: 'uncertain'
    min_mask_confidence: float = 0.5  # top class probability below this: 'uncertain'
    # faces under small_face_px are judged only at this top probability or more, else 'uncertain'; off
    # (0) by default: measured on our clips it made masked 20-40 px faces abstain and the % worse
    # (README: Compliance accuracy on real video)
    small_face_px: int = 0
    small_face_min_confidence: float = 0.9
    # a second box centred within this many face sizes of a better-scored face of the same frame is
    # dropped (a hand, a collar, papers beside a face); 0: off
    duplicate_face_within: float = 1.0
    # a track counts as a person only after this many detections scoring person_face_score or more
    # (gloves, papers and backs of heads are boxed, but never score like a face); 0: off
    person_face_hits: int = 2
    person_face_score: float = 0.72
    mask_model: str = "default"  # default (commercial use) | noncommercial (opt-in, CC BY-NC-SA data)
    lost_track_s: float = 4.0
    # a face more than this factor larger or smaller than a track's is another person, never its next box
    # (small faces behind a large one; tracks jumping to a neighbour in a crowd); 0: off
    track_max_size_ratio: float = 1.6
    # after a crash, a person seen again this soon after their cut track's last checkpoint is the same
    # visitor (a restart takes longer than lost_track_s: process start and model load); 0: never relink
    crash_relink_s: float = 30.0
    # the analysis processes run this many steps below the station's priority (nice on Linux and macOS,
    # the below-normal class on Windows for any value > 0): the window and the decoders come first and the
    # detection governor absorbs the rest (README: Performance); 0: the same priority
    process_nice: int = 5
    embedding_model: str = ""  # ArcFace-style .onnx for watchlist matching; none ships with Vigil
    embedding_sha256: str = ""  # optional pin of that file's SHA-256 (checked at load)


DEFAULT_SHIFT_STARTS = ("06:00", "14:00", "22:00")


@dataclass(frozen=True, slots=True)
class PublishConfig:
    """``[publish]``: send compliance, events and health to the city roll-up over MQTT (README: City view)."""

    station_id: str = ""  # empty: not publishing
    broker: str = ""  # mqtt[s]://user:password@host:port
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    allow_images: bool = False  # event face crops never leave the mall unless the site allows it
    backlog_rate: float = 200.0  # messages per second while an outage backlog drains
    max_outbox: int = 1_000_000


@dataclass(frozen=True, slots=True)
class StationConfig:
    version: int = CONFIG_VERSION
    sites: tuple[SiteConfig, ...] = ()
    cameras: tuple[CameraConfig, ...] = ()
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    retention_days: int = 30
    shift_starts: tuple[str, ...] = DEFAULT_SHIFT_STARTS  # local HH:MM; "This shift" on the timeline
    db_path: str = ""  # empty: the default in the user data dir
    publish: PublishConfig = field(default_factory=PublishConfig)

    def site(self, site_id: str) -> SiteConfig | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def camera(self, camera_id: str) -> CameraConfig | None:
        return next((c for c in self.cameras if c.id == camera_id), None)


# ---------------------------------------------------------------- sources


def camera_from_source(source: str, index: int, site: str = "default") -> CameraConfig:
    """A camera for ``--source`` on the command line: id ``cam<index>``, name from the file name or host."""
    err = validate_source(source)
    if err:
        raise ConfigError(f"--source: {err}")
    kind = source_kind(source)
    if kind is SourceKind.USB:
        name = f"USB camera {source.removeprefix('/dev/video')}"
    elif kind is SourceKind.NETWORK:
        parts = urlsplit(source)
        name = parts.hostname or parts.scheme  # hostname never includes user:password
    else:
        p = Path(source).expanduser()
        name, source = (p.stem or p.name or "video"), str(p.absolute())
    return CameraConfig(id=f"cam{index}", name=name, site=site, source=source)


def with_cameras(cfg: StationConfig, cameras: Iterable[CameraConfig]) -> StationConfig:
    """``cfg`` plus session cameras (``--source``): clashing ids get the next free ``camN``, and a
    "default" site is added if a camera refers to it and the config has none."""
    taken = {c.id for c in cfg.cameras}
    added: list[CameraConfig] = []
    for cam in cameras:
        if cam.id in taken:
            n = 1
            while f"cam{n}" in taken:
                n += 1
            cam = replace(cam, id=f"cam{n}")
        taken.add(cam.id)
        added.append(cam)
    sites = cfg.sites
    if any(c.site == "default" for c in added) and cfg.site("default") is None:
        sites = (*sites, SiteConfig(id="default", name="Default site"))
    return replace(cfg, sites=sites, cameras=(*cfg.cameras, *added))


# ---------------------------------------------------------------- validation


class _Invalid(Exception):
    """One field's problem (message without location)."""


def _show(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(redact(v), ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "an array"
    return str(v)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number(lo: float, hi: float) -> Callable[[Any], float]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise _Invalid(f"must be a number between {_fmt(lo)} and {_fmt(hi)}, got {_show(v)}")
        return float(v)

    return check


def _integer(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise _Invalid(f"must be a whole number between {lo} and {hi}, got {_show(v)}")
        return v

    return check


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Invalid(f"must be true or false, got {_show(v)}")
    return v


def _one_of(*choices: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in choices:
            raise _Invalid(f"must be one of {', '.join(choices)}, got {v!r}")
        return v

    return check


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise _Invalid(f"must be a string in quotes, got {_show(v)}")
    return v


def _ident(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", v):
        raise _Invalid(f"must be a short id of letters, digits, '-', '_' or '.', got {_show(v)}")
    return v


def _table(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _Invalid(f"must be a table, got {_show(v)}")
    return v


def _tables(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise _Invalid(f"must be an array of tables (written [[name]]), got {_show(v)}")
    return v


def _sha256(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{64})?", v):
        raise _Invalid(f'must be 64 hex digits (a SHA-256) or "", got {_show(v)}')
    return v.lower()


def _source(v: Any) -> str:
    err = validate_source(_text(v))
    if err:
        raise _Invalid(err)
    return str(v)


def _sub_source(v: Any) -> str:
    return "" if _text(v) == "" else _source(v)


def _timezone(v: Any) -> str:
    tz = _text(v)
    if tz and zoneinfo.available_timezones() and tz not in zoneinfo.available_timezones():
        raise _Invalid(f'unknown time zone {_show(tz)}; use an IANA name such as "Europe/Paris" or ""')
    return tz


def _shift_starts(v: Any) -> tuple[str, ...]:
    hint = 'must be a list of local start times such as ["06:00", "14:00", "22:00"]'
    if not isinstance(v, list | tuple) or not v or len(v) > 24:
        raise _Invalid(f"{hint}, got {_show(v)}")
    out = []
    for item in v:
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", item) if isinstance(item, str) else None
        if m is None:
            raise _Invalid(f"{hint}; {_show(item)} is not a time HH:MM")
        out.append(f"{int(m.group(1)):02d}:{m.group(2)}")
    if len(set(out)) != len(out):
        raise _Invalid(f"{hint}; a start time is listed twice")
    return tuple(sorted(out))


def _zones(v: Any) -> tuple[Zone, ...]:
    if not isinstance(v, list):
        raise _Invalid(f"must be an array of tables (written [[cameras.zones]]), got {_show(v)}")
    out = []
    for i, raw in enumerate(v):
        try:
            out.append(zone_from_dict(raw))
        except ZoneError as exc:
            raise _Invalid(f"zone {i + 1}: {exc}") from None
    try:
        check_zones(out)
    except ZoneError as exc:
        raise _Invalid(str(exc)) from None
    return tuple(out)


Schema = Mapping[str, Callable[[Any], Any]]
_SITE: Schema = {"id": _ident, "name": _text, "watchlist_enabled": _bool, "timezone": _timezone}
_CAMERA: Schema = {
    "id": _ident,
    "name": _text,
    "site": _ident,
    "source": _source,
    "sub_source": _sub_source,
    "enabled": _bool,
    "analysis_fps": _number(0.2, 30),
    "loop": _bool,
    "record": _bool,
    "zones": _zones,
    "transport": _one_of("auto", "tcp", "udp"),
}
_ANALYSIS: Schema = {
    "detector_preset": _one_of("auto", "scheduled", "live", "fast", "balanced", "accurate"),
    "detector_min_score": _number(0.0, 1.0),
    "min_face_px": _integer(4, 4096),
    "blur_threshold": _number(0.0, 100000.0),
    "min_face_contrast": _number(0.0, 128.0),
    "max_face_turn": _number(0.0, 10.0),
    "min_mask_confidence": _number(0.0, 1.0),
    "small_face_px": _integer(0, 4096),
    "small_face_min_confidence": _number(0.0, 1.0),
    "duplicate_face_within": _number(0.0, 10.0),
    "person_face_hits": _integer(0, 1000),
    "person_face_score": _number(0.0, 1.0),
    "mask_model": _one_of("default", "noncommercial"),
    "lost_track_s": _number(0.1, 600.0),
    "track_max_size_ratio": _number(0.0, 100.0),
    "crash_relink_s": _number(0.0, 600.0),
    "process_nice": _integer(0, 19),
    "embedding_model": _text,
    "embedding_sha256": _sha256,
}
_TOP: Schema = {
    "version": _integer(1, 1 << 31),
    "retention_days": _integer(1, 3650),
    "shift_starts": _shift_starts,
    "db_path": _text,
    "analysis": _table,
    "sites": _tables,
    "cameras": _tables,
    "publish": _table,
}
_PUBLISH: Schema = {
    "station_id": _text, "broker": _text, "ca_file": _text, "cert_file": _text, "key_file": _text,
    "allow_images": _bool, "backlog_rate": _number(1, 100_000), "max_outbox": _integer(1000, 100_000_000),
}  # fmt: skip
_REQUIRED = {
    "sites": ("id",), "cameras": ("id", "site", "source"), "analysis": (), "publish": (), "": ("version",)
}  # fmt: skip


class _Parser:
    """Turns the TOML dict into a StationConfig, raising ConfigError with file, line and field."""

    def __init__(self, where: str, text: str = "") -> None:
        self.where = where
        self.lines = text.splitlines()

    def fail(self, table: str, index: int | None, key: str | None, msg: str) -> ConfigError:
        name = table + (f"[{index}]" if index is not None else "")
        name = f"{name}.{key}" if key and name else (key or name)
        line = self._locate(table, index, key)
        loc = f"{self.where}:{line}" if line else self.where
        return ConfigError(f"{loc}: {name}: {msg}" if name else f"{loc}: {msg}")

    def _locate(self, table: str, index: int | None, key: str | None) -> int | None:
        """Best-effort line of ``key`` in the n-th ``[[table]]`` (tomllib gives no value positions)."""
        if not self.lines:
            return None
        name = re.escape(table)
        header = re.compile(rf"^\s*\[\[\s*{name}\s*\]\]" if index is not None else rf"^\s*\[\s*{name}\s*\]")
        start, seen = (0 if not table else None), -1
        for i, ln in enumerate(self.lines):
            if table and header.match(ln):
                seen += 1
                if index is None or seen == index:
                    start = i
                    break
        if start is None:
            return None
        if not key:
            return start + 1 if table else None
        for i in range(start + (1 if table else 0), len(self.lines)):
            ln = self.lines[i]
            if re.match(rf"^\s*\[\[\s*{name}\.{re.escape(key)}\s*\]\]", ln):
                return i + 1  # a sub-table such as [[cameras.zones]]
            if re.match(r"^\s*\[", ln):
                break
            if re.match(rf'^\s*"?{re.escape(key)}"?\s*=', ln):
                return i + 1
        return start + 1 if table else None

    def table(self, raw: Any, table: str, index: int | None, schema: Schema) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(table, index, None, f"must be a table, got {_show(raw)}")
        for key in raw:
            if key not in schema:
                close = difflib.get_close_matches(key, list(schema), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(schema)}"
                raise self.fail(table, index, key, f"unknown key '{key}'{hint}")
        for key in _REQUIRED[table]:
            if key not in raw:
                raise self.fail(table, index, None, f"missing '{key}'")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            try:
                out[key] = schema[key](value)
            except _Invalid as exc:
                raise self.fail(table, index, key, str(exc)) from None
        return out

    def parse(self, raw: dict[str, Any]) -> StationConfig:
        version = raw.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version > CONFIG_VERSION:
            raise self.fail(
                "", None, "version",
                f"config version {version} was written by a newer Vigil (this one reads version "
                f"{CONFIG_VERSION}); upgrade Vigil or restore {Path(self.where).name}.bak",
            )  # fmt: skip
        top = self.table(raw, "", None, _TOP)
        analysis = AnalysisConfig(**self.table(top.get("analysis", {}), "analysis", None, _ANALYSIS))
        publish = PublishConfig(**self.table(top.get("publish", {}), "publish", None, _PUBLISH))
        sites = [self._site(s, i) for i, s in enumerate(self._array(top, "sites"))]
        cams = [self._camera(c, i) for i, c in enumerate(self._array(top, "cameras"))]
        self._unique("sites", [s.id for s in sites], "site")
        self._unique("cameras", [c.id for c in cams], "camera")
        known = [s.id for s in sites]
        for i, cam in enumerate(cams):
            if cam.site not in known:
                have = f"one of: {', '.join(map(_show, known))}" if known else "no [[sites]] are defined"
                msg = f"unknown site {_show(cam.site)}; add a [[sites]] entry with id = {_show(cam.site)} ({have})"
                raise self.fail("cameras", i, "site", msg)
        return StationConfig(
            version=CONFIG_VERSION,
            sites=tuple(sites),
            cameras=tuple(cams),
            analysis=analysis,
            retention_days=top.get("retention_days", 30),
            shift_starts=top.get("shift_starts", DEFAULT_SHIFT_STARTS),
            db_path=top.get("db_path", ""),
            publish=publish,
        )

    def _array(self, top: dict[str, Any], name: str) -> list[Any]:
        return list(top.get(name, []))

    def _site(self, raw: Any, i: int) -> SiteConfig:
        d = self.table(raw, "sites", i, _SITE)
        d.setdefault("name", d["id"])
        return SiteConfig(**d)

    def _camera(self, raw: Any, i: int) -> CameraConfig:
        d = self.table(raw, "cameras", i, _CAMERA)
        d.setdefault("name", d["id"])
        return CameraConfig(**d)

    def _unique(self, table: str, ids: list[str], what: str) -> None:
        first: dict[str, int] = {}
        for i, ident in enumerate(ids):
            if ident in first:
                msg = f"duplicate {what} id {_show(ident)} (also {table}[{first[ident]}]); ids must be unique"
                raise self.fail(table, i, "id", msg)
            first[ident] = i


def config_from_dict(raw: dict[str, Any], where: str = "<config>", text: str = "") -> StationConfig:
    """Validate a parsed TOML document; ``where``/``text`` only serve the error messages."""
    return _Parser(where, text).parse(raw)


def validate_config(cfg: StationConfig) -> None:
    """Raise ConfigError if ``cfg`` would not load back (bad ranges, duplicate ids, unknown sites)."""
    config_from_dict(config_to_dict(cfg))


def _decode_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[str, int | None, int | None]:
    """(message, line, column): Python 3.14+ has lineno/colno; older versions put them in the message."""
    msg = str(exc)
    m = re.search(r" \(at (?:line (\d+), column (\d+)|end of document)\)$", msg)
    if m:
        msg = msg[: m.start()]
    line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if line is None and m:
        if m.group(1):
            line, col = int(m.group(1)), int(m.group(2))
        else:  # a half-written file: the problem is at its end
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
            col = len(text.rsplit("\n", 1)[-1]) + 1
    return msg, line, col


def load_config(path: Path | None = None) -> StationConfig:
    """Read and validate the config. No ``path``: the default file, or an empty config if it does not exist.
    Never writes anything."""
    explicit = path is not None
    path = path if path is not None else paths.default_config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{path}: config file not found; check the --config path") from None
        return StationConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg, line, col = _decode_error_position(exc, text)
        loc = f"{path}:{line}:{col}" if line else str(path)
        bak = path.with_name(path.name + ".bak")
        fix = f"fix that line or restore {bak.name}" if bak.exists() else "fix that line"
        raise ConfigError(f"{loc}: invalid TOML: {msg}; {fix}") from None
    return config_from_dict(raw, str(path), text)


# ---------------------------------------------------------------- writing


def config_to_dict(cfg: StationConfig) -> dict[str, Any]:
    def table(obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def camera(cam: CameraConfig) -> dict[str, Any]:
        d = table(cam)
        d["zones"] = [zone_to_dict(z) for z in cam.zones]
        if cam.transport == "auto":
            del d["transport"]  # the default: not written, so that older Vigils can read the file
        return d

    transports = any(c.transport != "auto" for c in cfg.cameras)
    zoned = any(c.zones for c in cfg.cameras)
    return {
        "version": 3 if transports else 2 if zoned else 1,  # the oldest version that can read it
        "retention_days": cfg.retention_days,
        "shift_starts": list(cfg.shift_starts),
        "db_path": cfg.db_path,
        "analysis": table(cfg.analysis),
        "publish": table(cfg.publish),
        "sites": [table(s) for s in cfg.sites],
        "cameras": [camera(c) for c in cfg.cameras],
    }


def _toml_string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        return "[" + ", ".join(_toml_string(x) for x in v) + "]"
    if isinstance(v, list | tuple):  # zone points: [[x, y], ...]
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_config(cfg: StationConfig) -> str:
    """The config as TOML text (our schema: scalars, one table, arrays of tables)."""
    d = config_to_dict(cfg)
    lines = [
        "# Vigil station configuration. Edit while Vigil is stopped; Vigil keeps the previous file as .bak."
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d.items() if k not in ("analysis", "sites", "cameras", "publish")]
    lines += ["", "[analysis]"] + [f"{k} = {_toml_value(v)}" for k, v in d["analysis"].items()]
    if cfg.publish != PublishConfig():
        lines += ["", "[publish]"] + [f"{k} = {_toml_value(v)}" for k, v in d["publish"].items()]
    for name in ("sites", "cameras"):
        for item in d[name]:
            zones = item.pop("zones", [])
            lines += ["", f"[[{name}]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
            for zone in zones:
                lines += [f"[[{name}.zones]]"] + [f"{k} = {_toml_value(v)}" for k, v in zone.items()]
    return "\n".join(lines) + "\n"


def _write_synced(directory: Path, name: str, data: bytes, mode: int | None) -> str:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)  # keep the permissions an admin gave the old file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def save_config(cfg: StationConfig, path: Path | None = None) -> Path:
    """Validate and write ``cfg`` atomically (temp file + fsync + rename); the old file becomes ``.bak``."""
    path = path if path is not None else paths.default_config_path()
    validate_config(cfg)
    data = dumps_config(cfg).encode("utf-8")
    bak = path.with_name(path.name + ".bak")
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = (path.stat().st_mode & 0o777) if path.exists() else None  # new files: 0600 (passwords)
        if path.exists():
            os.replace(_write_synced(path.parent, bak.name, path.read_bytes(), mode), bak)
        tmp = _write_synced(path.parent, path.name, data, mode)
        os.replace(tmp, path)
        if hasattr(os, "O_DIRECTORY"):  # make the rename durable (POSIX)
            dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise ConfigError(
            f"{path}: cannot save the configuration ({exc.strerror or exc}); check the folder is writable"
        ) from None
    return path
