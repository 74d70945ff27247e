"""Issue 10's counting rules on real clips of ../shared/data/video with the real models, through the engine
the live station builds for 16 cameras: nobody masked gives no "mask" person, gloved hands are not people,
a zone of tests/data/compliance/zones.toml removes the office's staff desk (the station's zone code)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.__main__ import main
from app.analysis.engine import AnalysisEngine
from app.analysis.spec import build_parts
from app.bootstrap import StationOptions, engine_spec
from app.evaluation.compliance import EVAL_CAMERA, ZONES_FILE, _frames, count_clip, read_zones, station_config
from app.zones import Zone

TRUTH_DIR = Path(__file__).resolve().parents[1] / "data" / "compliance"
OFFICE = "cctv_office_fisheye_360p.mp4"


def _office_zones() -> tuple[Zone, ...]:
    return read_zones(TRUTH_DIR / ZONES_FILE)[OFFICE]


def _face_centres(clip: Path, zones: tuple[Zone, ...]) -> list[tuple[float, float]]:
    """Centres (shares of the frame) of every face the station's 16-camera engine reports on the clip."""
    spec = replace(engine_spec(station_config(16), StationOptions(), "unused.sqlite3"), db_path="")
    engine = AnalysisEngine(build_parts(spec))
    engine.set_zones(EVAL_CAMERA, zones)
    out: list[tuple[float, float]] = []
    try:
        for frame in _frames(clip, 5.0, EVAL_CAMERA):
            for face in engine.analyse([frame])[0].result.faces:
                cx, cy = face.bbox.center
                out.append((cx / frame.width, cy / frame.height))
    finally:
        engine.close()
    return out


def test_nobody_masked_in_the_office_gives_no_mask_person(shared_data):
    counts = count_clip(shared_data / "video" / OFFICE, 16, _office_zones())
    assert counts["masked"] == 0  # truth: nobody wears a mask (before these rules: 3 "mask" people)
    assert counts["people"] <= 4  # truth 2, plausible range 2-4 (tests/data/compliance/truth.csv)


def test_the_office_visitors_faces_of_20_24_px_are_judged_unmasked_not_left_undecided(shared_data):
    # their faces are 18-25 px: under the old 24 px gate both were "undecided" and the office's % read "-"
    # where the truth is 0 %; at 3 cameras the scan finds them (at 16 it does not yet, see README)
    counts = count_clip(shared_data / "video" / OFFICE, 3, _office_zones())
    assert counts["unmasked"] >= 1
    assert counts["masked"] == 0 and counts["incorrect"] == 0


def test_gloved_hands_beside_the_nurse_are_not_people(shared_data):
    counts = count_clip(shared_data / "video" / "medical_worker_mask_portrait.mp4", 16)
    # one nurse (counted twice at most: a cut splits her track); before: 4 people, gloves among them
    assert 1 <= counts["people"] <= 2
    assert counts["unmasked"] == 0 and counts["masked"] >= 1  # the gloves' "no mask" person is gone


def test_the_office_desk_zone_removes_every_face_at_the_staff_desk(shared_data):
    zones = _office_zones()
    (desk,) = zones
    plain = _face_centres(shared_data / "video" / OFFICE, ())
    zoned = _face_centres(shared_data / "video" / OFFICE, zones)
    assert any(desk.contains(x, y) for x, y in plain)  # receptionists' backs and papers are boxed
    assert zoned and not any(desk.contains(x, y) for x, y in zoned)  # the visitors stay


def test_the_eval_reads_zones_beside_the_truth_and_can_leave_them_out(shared_data, tmp_path, capsys):
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "clip,people,masked,unmasked,incorrect,notes\nman_no_mask_360p.mp4,1,0,1,0,one man\n", encoding="utf-8"
    )
    (tmp_path / ZONES_FILE).write_text(
        '[[clips]]\nclip = "man_no_mask_360p.mp4"\n'
        'zones = [{kind = "exclude", points = [[0, 0], [1, 0], [1, 1], [0, 1]]}]\n',
        encoding="utf-8",
    )
    import json

    args = ["eval-compliance", str(shared_data / "video"), "--truth", str(truth), "--json"]
    assert main(args) == 0
    zoned = json.loads(capsys.readouterr().out)
    assert zoned["with_zones"] is True
    assert zoned["per_clip"]["man_no_mask_360p.mp4"]["people_counted"] == 0  # the zone covers the frame
    assert main([*args, "--no-zones"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["with_zones"] is False and plain["per_clip"]["man_no_mask_360p.mp4"]["people_counted"] == 1
    (tmp_path / "bad.toml").write_text("[[clips]]\nclip = 3\n", encoding="utf-8")
    assert main([*args, "--zones", str(tmp_path / "bad.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs clip" in err[0]
