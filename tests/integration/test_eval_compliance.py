"""`vigil eval-compliance` end to end on short real clips of ../shared/data/video, at the 16-camera path."""

import json

import pytest

from app.__main__ import main

KEYS = {
    "people_truth",
    "people_counted",
    "masked",
    "unmasked",
    "incorrect",
    "undecided",
    "compliance_truth",
    "compliance_measured",
    "error_pp",
}


def _truth(tmp_path, rows):
    p = tmp_path / "truth.csv"
    p.write_text("clip,people,masked,unmasked,incorrect,notes\n" + "".join(f"{r}\n" for r in rows))
    return p


def test_nobody_masked_clip_counts_no_mask_people(shared_data, tmp_path, capsys):
    truth = _truth(tmp_path, ["man_no_mask_720p.mp4,1,0,1,0,one man at a cafe entrance, no mask"])
    rc = main(["eval-compliance", str(shared_data / "video"), "--truth", str(truth), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    data = json.loads(captured.out)
    assert set(data) == {"per_clip", "compliance_mae_pp", "people_count_error", "config", "with_zones"}
    clip = data["per_clip"]["man_no_mask_720p.mp4"]
    assert set(clip) >= KEYS
    assert clip["masked"] == 0  # nobody wears a mask: no "mask" person may be counted
    assert clip["people_counted"] >= 1
    assert clip["people_counted"] == clip["masked"] + clip["unmasked"] + clip["incorrect"] + clip["undecided"]
    assert clip["compliance_truth"] == 0.0
    assert clip["compliance_measured"] in (None, 0.0)
    assert data["config"]["cameras"] == 16
    assert data["config"]["detector_preset"] in ("scheduled", "live", "fast", "balanced", "accurate")
    assert "[1/1] man_no_mask_720p.mp4" in captured.err  # progress goes to stderr, not into the JSON


def test_masked_clip_table_shows_the_measured_percent(shared_data, tmp_path, capsys):
    truth = _truth(tmp_path, ["woman_with_mask_laptop_404p.mp4,1,1,0,0,one woman with a mask at a laptop"])
    assert (
        main(["eval-compliance", str(shared_data / "video"), "--truth", str(truth), "--cameras", "16"]) == 0
    )
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("woman_with_mask_laptop_404p.mp4"))
    assert "100 %" in line  # truth 100 %; the station judged her masked too
    assert "as a station with 16 cameras" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "truth file not found"),
        ("clip,people\nx.mp4,1\n", "missing column(s) masked, unmasked, incorrect"),
        ("clip,people,masked,unmasked,incorrect,notes\nx.mp4,one,0,1,0,\n", "must be whole numbers"),
        ("clip,people,masked,unmasked,incorrect,notes\n", "no clips listed"),
        ("clip,people,masked,unmasked,incorrect,notes\nnot_here.mp4,1,0,1,0,\n", "not found in"),
    ],
)
def test_bad_truth_file_is_one_clear_line(tmp_path, capsys, content, message):
    truth = tmp_path / "truth.csv"
    if content is not None:
        truth.write_text(content)
    assert main(["eval-compliance", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vigil eval-compliance: error:") and message in err[0]


def test_bad_folder_and_camera_count_are_one_clear_line(tmp_path, capsys):
    assert main(["eval-compliance", str(tmp_path / "nope")]) == 2
    assert "clip folder not found" in capsys.readouterr().err
    assert main(["eval-compliance", str(tmp_path), "--cameras", "0"]) == 2
    assert "--cameras must be 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize("cameras", [3, 16])
def test_the_evaluation_runs_the_scan_the_station_plans_for_n_cameras(shared_data, cameras):
    """A clip plays faster than real time on its own clock; the governor must not read that as a late,
    overloaded station and cut the scan (it did, at any N, so N = 3 was evaluated without its scan)."""
    from app.analysis.engine import AnalysisEngine
    from app.analysis.governor import plan_full_every, plan_tiles
    from app.analysis.scan import ScheduledFaceDetector
    from app.analysis.spec import build_parts
    from app.bootstrap import StationOptions
    from app.evaluation.compliance import EVAL_CAMERA, _frames, evaluation_spec, station_config

    config = station_config(cameras)
    spec = evaluation_spec(config, StationOptions())
    assert spec.governor.tiles == pytest.approx(plan_tiles(cameras * 5.0))
    engine = AnalysisEngine(build_parts(spec))
    try:
        for n, frame in enumerate(_frames(shared_data / "video" / "man_no_mask_720p.mp4", 5.0, EVAL_CAMERA)):
            engine.analyse([frame])
            if n == 60:
                break
        detector = engine._ensure_models()
        assert isinstance(detector, ScheduledFaceDetector)
        governor = detector.governor
        assert governor.tiles_per_frame == pytest.approx(plan_tiles(cameras * 5.0))
        assert governor.full_every == plan_full_every(cameras * 5.0)
    finally:
        engine.close()
