"""Real video -> capture -> analysis (child process) -> real SQLite store, through `vigil run --headless`."""

import json
import sqlite3

import pytest

from app.__main__ import main
from tests.media import make_clip


def run_json(capsys, *args: str) -> dict:
    code = main(["run", "--headless", "--no-config", "--json", "--quiet", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_run_reads_analyses_and_stores_while_a_broken_camera_is_reported(tmp_path, capsys):
    clip = make_clip(tmp_path / "entrance.mp4", frames=60, size=(320, 240), fps=15)
    db = tmp_path / "events.sqlite3"
    report = run_json(
        capsys,
        "--source",
        str(clip),
        "--source",
        str(tmp_path / "missing.mp4"),
        "--db",
        str(db),
        "--duration",
        "4",
        "--site",
        "North Mall",
    )
    good, bad = report["per_camera"]["cam1"], report["per_camera"]["cam2"]
    assert set(good) >= {"frames_read", "frames_analysed", "faces", "tracks", "events", "reconnects"}
    assert good["frames_read"] >= 15 and good["frames_analysed"] >= 3
    assert good["faces"] == 0 and good["tracks"] == 0  # a clip without people has no visitors
    assert bad["frames_read"] == 0 and bad["events"] == 1
    # the detection scheduler (default) reports how much of the frame it scans at tile resolution
    assert 0 < good["scan_coverage"] <= 1 and bad["scan_coverage"] is None
    assert report["scan_coverage"] == good["scan_coverage"]
    with sqlite3.connect(db) as con:
        kinds = [r[0] for r in con.execute("select kind from events where camera_id='cam2'")]
        site = con.execute("select site_id from cameras where id='cam1'").fetchone()[0]
        statuses = {r[0] for r in con.execute("select health from camera_status where camera_id='cam1'")}
    assert kinds == ["camera_offline"]
    assert site == "North Mall"
    assert "live" in statuses


def test_run_without_sources_is_a_clear_error(capsys):
    assert main(["run", "--headless", "--no-config", "--duration", "1"]) == 2
    assert "no cameras" in capsys.readouterr().err


def test_malformed_url_is_one_line_not_a_traceback(capsys):
    assert main(["run", "--headless", "--no-config", "--source", "rtsp//nohost", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--source" in err


@pytest.mark.slow
def test_unmasked_man_is_one_person_one_verdict_one_event(shared_data, tmp_path, capsys):
    video = shared_data / "video" / "man_no_mask_720p.mp4"
    db = tmp_path / "e.db"
    args = ["--source", str(video), "--db", str(db), "--duration", "7", "--analysis", "thread"]
    report = run_json(capsys, *args, "--media-dir", str(tmp_path))
    cam = report["per_camera"]["cam1"]
    assert report["mask_error"] is None
    assert cam["faces"] >= 20  # 5 fps over ~7 s, one face in almost every frame
    assert cam["tracks"] == 1
    assert cam["events"] == 1  # once per person, not per frame
    (site,) = report["per_site"].values()  # the mall's status says what its % rests on
    assert site["people"] == 1 and site["decided"] == 1 and site["compliance"] == 0.0
    assert site["too_few_decided"] is True and site["basis"] == "1 decided of 1 person - too few"
    with sqlite3.connect(db) as con:
        assert [r[0] for r in con.execute("select kind from events")] == ["no_mask"]
        assert [r[0] for r in con.execute("select verdict from tracks")] == ["no_mask"]
        assert con.execute("select count(*) from event_thumbnails").fetchone()[0] == 1


def test_run_with_record_writes_indexed_segments(tmp_path, capsys):
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (the CI script installs it)")
    src = tmp_path / "h264.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=15:duration=6",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(src),
        ],
        check=True,
    )
    db = tmp_path / "e.db"
    run_json(
        capsys,
        "--source",
        str(src),
        "--record",
        "--media-dir",
        str(tmp_path / "media"),
        "--db",
        str(db),
        "--duration",
        "4",
        "--analysis",
        "off",
    )
    segments = list((tmp_path / "media" / "recordings").rglob("*.mp4"))
    assert segments and all(s.stat().st_size > 1000 for s in segments)
    with sqlite3.connect(db) as con:
        rows = con.execute("select camera_id, path from recordings").fetchall()
    assert [r[0] for r in rows] == ["cam1"] * len(segments)


def test_station_purges_past_retention_and_counts_live_minutes(tmp_path):
    import time

    from app.bootstrap import LiveStation, StationOptions
    from app.config import CameraConfig, SiteConfig, StationConfig
    from app.domain import Event, EventKind
    from app.store.writer import StoreWriter

    db = tmp_path / "e.db"
    writer = StoreWriter(db)
    writer.start()
    now = time.time()
    writer.submit(Event(now - 10 * 86400, "cam1", EventKind.NO_MASK, 1, {"old": True}, b"jpeg"))
    writer.submit(Event(now - 3600, "cam1", EventKind.NO_MASK, 2, {"old": False}))
    writer.stop()
    clip = make_clip(tmp_path / "door.mp4", frames=45, size=(160, 120), fps=15)
    cfg = StationConfig(
        sites=(SiteConfig("m", "Mall"),),
        cameras=(CameraConfig("cam1", "Door", "m", str(clip)),),
        retention_days=3,
    )
    station = LiveStation(cfg, StationOptions(db_path=db, analysis_mode="off", media_dir=tmp_path)).start()
    time.sleep(2.5)
    station.stop()
    with sqlite3.connect(db) as con:
        details = [r[0] for r in con.execute("select details from events where kind='no_mask'")]
        thumbs = con.execute("select count(*) from event_thumbnails").fetchone()[0]
        live = con.execute(
            "select coalesce(sum(live_s), 0) from compliance_minutes where camera_id='cam1'"
        ).fetchone()[0]
    assert details == ['{"old": false}'] and thumbs == 0
    assert live >= 1.0  # the live ticker credited the seconds the camera was live


def test_tracks_that_end_while_running_are_stored(tmp_path):
    """People who leave during the run are stored when their track ends, not only at shutdown."""
    import time

    from app.analysis.engine import AnalysisOutput
    from app.bootstrap import LiveStation, StationOptions
    from app.config import StationConfig
    from app.domain import FrameResult, MaskState, TrackSummary

    db = tmp_path / "e.db"
    station = LiveStation(
        StationConfig(), StationOptions(db_path=db, analysis_mode="off", media_dir=tmp_path)
    )
    station.start()
    now = time.time()
    left = TrackSummary("cam1", 7, now - 5, now - 1, 80.0, MaskState.MASK, 12)
    station._on_output(AnalysisOutput(FrameResult("cam1", 1, now, 0.0, 0.0, (640, 480)), ended=(left,)))
    station.stop()
    with sqlite3.connect(db) as con:
        rows = con.execute("select track_id, verdict, frames from tracks").fetchall()
    assert rows == [(7, "mask", 12)]
