"""Config file: round trip, clear errors with file/line/field, never written by loading."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from app import paths
from app.config import (
    AnalysisConfig,
    CameraConfig,
    SiteConfig,
    StationConfig,
    camera_from_source,
    dumps_config,
    load_config,
    save_config,
    validate_source,
    with_cameras,
)
from app.errors import ConfigError

GOOD = """\
version = 1
retention_days = 14
shift_starts = ["07:30", "19:30"]

[analysis]
detector_min_score = 0.6

[[sites]]
id = "north"
name = "North Mall"
watchlist_enabled = true
timezone = "Europe/Paris"

[[cameras]]
id = "cam1"
name = "Entrance A"
site = "north"
source = "rtsp://admin:secret@10.1.1.5:554/stream1"
sub_source = "rtsp://admin:secret@10.1.1.5:554/stream2"
analysis_fps = 4

[[cameras]]
id = "cam2"
name = "Entrance B"
site = "north"
source = "/videos/entrance.mp4"
enabled = false
"""


def _write(tmp_path: Path, text: str, name: str = "vigil.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_load_good_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.retention_days == 14
    assert cfg.shift_starts == ("07:30", "19:30")
    assert cfg.analysis == AnalysisConfig(detector_min_score=0.6)
    assert cfg.site("north") == SiteConfig("north", "North Mall", True, "Europe/Paris")
    cam1, cam2 = cfg.cameras
    assert cam1.analysis_fps == 4.0 and isinstance(cam1.analysis_fps, float)
    assert cam1.sub_source.endswith("stream2")
    assert cam2.enabled is False and cam2.loop is True


def test_round_trip_with_awkward_strings(tmp_path: Path) -> None:
    cfg = StationConfig(
        sites=(SiteConfig("s-1", 'Mall "Ü" \\ back\tslash\nnew line \x01 \x7f', timezone=""),),
        cameras=(
            CameraConfig("c.1", "Caméra 1 é", "s-1", "rtsp://u:p%40ss@h/x?a=1&b=2", analysis_fps=0.25),
            CameraConfig(
                "c2", "C:\\path", "s-1", r"C:\Videos\mall #1.mp4", enabled=False, loop=False, record=True
            ),
        ),
        analysis=AnalysisConfig(
            detector_min_score=0.35, min_face_px=20, blur_threshold=1e-05, lost_track_s=3
        ),
        retention_days=90,
        db_path="/data/vigil db.sqlite3",
    )
    path = tmp_path / "sub" / "vigil.toml"
    save_config(cfg, path)
    tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML for any other reader too
    assert load_config(path) == cfg


def test_save_keeps_backup_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "vigil.toml"
    first = StationConfig(retention_days=10)
    second = StationConfig(retention_days=20)
    save_config(first, path)
    assert not (tmp_path / "vigil.toml.bak").exists()
    save_config(second, path)
    assert load_config(path).retention_days == 20
    assert load_config(tmp_path / "vigil.toml.bak").retention_days == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vigil.toml", "vigil.toml.bak"]
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0  # camera passwords: not readable by others


def test_save_refuses_invalid_config_and_keeps_file(tmp_path: Path) -> None:
    path = tmp_path / "vigil.toml"
    save_config(StationConfig(retention_days=10), path)
    before = path.read_bytes()
    bad = StationConfig(cameras=(CameraConfig("cam1", "A", "nowhere", "0"),))
    with pytest.raises(ConfigError, match="unknown site"):
        save_config(bad, path)
    assert path.read_bytes() == before


def test_missing_default_file_gives_empty_config_and_writes_nothing() -> None:
    assert load_config() == StationConfig()
    assert not paths.config_dir().exists()


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    msg = _error(tmp_path / "nope.toml")
    assert "nope.toml" in msg and "not found" in msg


def test_load_never_writes(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("analysis_fps = 4", 'analysis_fps = "fast"'))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(ConfigError):
        load_config(path)
    load_config(_write(tmp_path, GOOD, "ok.toml"))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.toml", "vigil.toml"]


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    half_written = GOOD.split('source = "/videos')[0] + 'source = "/videos/entr'
    msg = _error(_write(tmp_path, half_written))
    last_line = half_written.count("\n") + 1
    assert msg.startswith(f"{tmp_path / 'vigil.toml'}:{last_line}:")
    assert "invalid TOML" in msg and "\n" not in msg


def test_bad_value_names_field_and_line(tmp_path: Path) -> None:
    text = GOOD.replace(
        'source = "/videos/entrance.mp4"', 'source = "/videos/entrance.mp4"\nanalysis_fps = "fast"'
    )
    msg = _error(_write(tmp_path, text))
    line = text.splitlines().index('analysis_fps = "fast"') + 1
    assert msg == (
        f"{tmp_path / 'vigil.toml'}:{line}: cameras[1].analysis_fps: "
        'must be a number between 0.2 and 30, got "fast"'
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("enabled = false", "enabled = 0", "cameras[1].enabled: must be true or false, got 0"),
        (
            "analysis_fps = 4",
            "analysis_fps = 100",
            "cameras[0].analysis_fps: must be a number between 0.2 and 30",
        ),
        (
            "retention_days = 14",
            "retention_days = 0",
            "retention_days: must be a whole number between 1 and 3650",
        ),
        (
            "detector_min_score = 0.6",
            "detector_min_score = 2",
            "analysis.detector_min_score: must be a number",
        ),
        ('source = "/videos/entrance.mp4"', 'source = "rtsp//x"', "cameras[1].source: malformed URL"),
        ('source = "/videos/entrance.mp4"', 'source = ""', "cameras[1].source: source is empty"),
        ('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"', "sites[0].timezone: unknown time zone"),
        ('id = "cam2"', 'id = "cam 2"', "cameras[1].id: must be a short id"),
        ('"19:30"]', '"25:00"]', 'shift_starts: must be a list of local start times such as ["06:00"'),
        ('"19:30"]', '"07:30"]', "shift_starts: must be a list of local start times such as"),
    ],
)
def test_bad_fields(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert expected in _error(_write(tmp_path, GOOD.replace(old, new, 1)))


def test_bad_field_messages_never_show_passwords(tmp_path: Path) -> None:
    text = GOOD.replace("rtsp://admin:secret@10.1.1.5:554/stream1", "ftp://admin:secret@10.1.1.5/x")
    msg = _error(_write(tmp_path, text))
    assert "unsupported URL scheme 'ftp://'" in msg and "secret" not in msg


def test_unknown_key_is_named_with_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("analysis_fps = 4", "analysis_fsp = 4")
    msg = _error(_write(tmp_path, text))
    line = text.splitlines().index("analysis_fsp = 4") + 1
    assert f"vigil.toml:{line}: cameras[0].analysis_fsp: unknown key 'analysis_fsp'" in msg
    assert "did you mean 'analysis_fps'" in msg
    assert "unknown key 'colour'" in _error(_write(tmp_path, "colour = 1\n" + GOOD))


def test_unknown_site(tmp_path: Path) -> None:
    msg = _error(
        _write(
            tmp_path, GOOD.replace('site = "north"\nsource = "/videos', 'site = "south"\nsource = "/videos')
        )
    )
    assert 'cameras[1].site: unknown site "south"' in msg and '"north"' in msg


def test_duplicate_camera_ids(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, GOOD.replace('id = "cam2"', 'id = "cam1"')))
    assert 'cameras[1].id: duplicate camera id "cam1" (also cameras[0])' in msg


def test_missing_required_field(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, GOOD.replace('source = "/videos/entrance.mp4"\n', "")))
    assert "cameras[1]: missing 'source'" in msg


def test_version_missing_or_from_the_future(tmp_path: Path) -> None:
    assert "missing 'version'" in _error(_write(tmp_path, GOOD.replace("version = 1\n", "")))
    msg = _error(_write(tmp_path, GOOD.replace("version = 1", "version = 4")))
    assert "vigil.toml:1: version: config version 4 was written by a newer Vigil" in msg
    assert "upgrade Vigil" in msg


def test_name_defaults_to_id(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD.replace('name = "Entrance B"\n', "")))
    assert cfg.cameras[1].name == "cam2"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("rtsp//x", "malformed URL"),
        ("rtsp:/x", "malformed URL"),
        ("http:x", "malformed URL"),
        ("ftp://host/x", "unsupported URL scheme"),
        ("rtsp://", "no host"),
        ("rtsp://host:99999/x", "invalid port"),
        ("rtsp://host/a b", "spaces"),
        (" rtsp://host/x", "leading or trailing spaces"),
        ("123", "out of range"),
    ],
)
def test_validate_source_rejects(source: str, problem: str) -> None:
    msg = validate_source(source)
    assert msg is not None and problem in msg and "\n" not in msg


@pytest.mark.parametrize(
    "source",
    ["0", "3", "rtsp://admin:pw@10.0.0.1:554/h264", "http://127.0.0.1:8080/video.mjpg", "video.mp4",
     r"C:\Videos\a.mp4", "http_cam.mp4", "/dev/video0", "rtsps://cam.local/x"],
)  # fmt: skip
def test_validate_source_accepts(source: str) -> None:
    assert validate_source(source) is None


def test_camera_from_source_names_without_credentials(tmp_path: Path) -> None:
    url = camera_from_source("rtsp://admin:secret@10.1.1.5:554/stream1", 2)
    assert (url.id, url.name, url.site) == ("cam2", "10.1.1.5", "default")
    assert url.source == "rtsp://admin:secret@10.1.1.5:554/stream1"  # the capture needs the password
    f = camera_from_source(str(tmp_path / "front door.mp4"), 1, site="north")
    assert (f.id, f.name, f.site) == ("cam1", "front door", "north")
    assert Path(f.source).is_absolute()
    assert camera_from_source("0", 3).name == "USB camera 0"
    with pytest.raises(ConfigError, match="malformed URL"):
        camera_from_source("rtsp//x", 1)


def test_with_cameras_adds_default_site_and_renames_clashes(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD))
    merged = with_cameras(cfg, [camera_from_source("a.mp4", 1), camera_from_source("b.mp4", 2)])
    assert [c.id for c in merged.cameras] == ["cam1", "cam2", "cam3", "cam4"]
    assert merged.site("default") is not None
    save_config(merged, tmp_path / "merged.toml")  # still valid
    assert load_config(tmp_path / "merged.toml") == merged


def test_dumps_is_readable() -> None:
    text = dumps_config(StationConfig(sites=(SiteConfig("a", "A"),)))
    assert text.splitlines()[1:3] == ["version = 1", "retention_days = 30"]
    assert "[analysis]" in text and "[[sites]]" in text and "[[cameras]]" not in text


def test_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = load_config(_write(tmp_path, example))
    assert [c.id for c in cfg.cameras] == ["cam1", "cam2"] and cfg.cameras[1].name == "Food court (recording)"


def test_rtsp_transport_is_validated_and_round_trips(tmp_path: Path) -> None:
    bad = GOOD.replace("analysis_fps = 4\n", 'analysis_fps = 4\ntransport = "quic"\n')
    msg = _error(_write(tmp_path, bad))
    assert "cameras[0].transport: must be one of auto, tcp, udp, got 'quic'" in msg
    assert "\n" not in msg and "secret" not in msg
    cfg = load_config(_write(tmp_path, GOOD.replace("analysis_fps = 4\n", 'analysis_fps = 4\ntransport = "tcp"\n')))
    assert [c.transport for c in cfg.cameras] == ["tcp", "auto"]
    text = dumps_config(cfg)
    assert text.splitlines()[1] == "version = 3" and text.count("transport = ") == 1
    assert load_config(_write(tmp_path, text, "again.toml")).cameras == cfg.cameras
    # the default is not written: the file stays readable by a Vigil that knows no transport
    auto = dumps_config(load_config(_write(tmp_path, GOOD)))
    assert "transport" not in auto and auto.splitlines()[1] == "version = 1"
