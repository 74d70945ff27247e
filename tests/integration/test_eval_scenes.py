"""`vigil eval-scenes` end to end on a few real annotated scenes copied into a temp folder."""

import json
import shutil

import pytest

from app.__main__ import main
from app.analysis.scenes_eval import SIZE_BUCKETS, find_scenes

SCENES = ["maksssksksss2", "maksssksksss3", "maksssksksss13"]


@pytest.fixture
def scenes_dir(shared_data, tmp_path):
    src = shared_data / "mask_scenes"
    (tmp_path / "annotations").mkdir()
    (tmp_path / "images").mkdir()
    for name in SCENES:
        shutil.copy(src / "annotations" / f"{name}.xml", tmp_path / "annotations")
        shutil.copy(src / "images" / f"{name}.png", tmp_path / "images")
    return tmp_path


def _run_json(capsys, *args):
    assert main(["eval-scenes", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_report_keys_and_ranges(scenes_dir, capsys):
    data = _run_json(capsys, scenes_dir, "--preset", "fast")
    assert set(data["recall_by_size"]) == set(SIZE_BUCKETS)
    assert data["images"] == 3
    assert data["faces"] == sum(data["faces_by_size"].values()) > 10
    for bucket, r in data["recall_by_size"].items():
        n = data["faces_by_size"][bucket]
        assert (r is None) if n == 0 else (0.0 <= r <= 1.0)
    assert data["recall_by_size"][">=64"] in (None, 1.0) or data["recall_by_size"][">=64"] > 0.5
    assert 0.0 < data["precision"] <= 1.0
    assert data["true_positives"] <= data["detections"]
    assert data["ms_per_image"] > 0 and data["ms_per_720p"] > 0
    assert 0.0 <= data["mask_accuracy"] <= 1.0  # the bundled mask classifier judged the matched faces
    assert data["unreadable"] == []
    assert set(data["recall_by_label"]) <= {"with_mask", "without_mask", "mask_weared_incorrect"}


def test_accurate_finds_more_than_fast_and_limit_counts_images(scenes_dir, capsys):
    fast = _run_json(capsys, scenes_dir, "--preset", "fast")
    accurate = _run_json(capsys, scenes_dir, "--preset", "accurate")
    assert accurate["found_by_size"]["16-32"] > fast["found_by_size"]["16-32"]
    one = _run_json(capsys, scenes_dir, "--preset", "fast", "--limit", "1")
    assert one["images"] == 1 and one["faces"] < fast["faces"]


def test_table_output_and_unreadable_files_are_listed_not_fatal(scenes_dir, capsys):
    (scenes_dir / "images" / "maksssksksss3.png").write_bytes(b"not a png")
    (scenes_dir / "annotations" / "broken.xml").write_text("<annotation><object>", encoding="utf-8")
    assert main(["eval-scenes", str(scenes_dir), "--preset", "fast"]) == 0
    out = capsys.readouterr().out
    assert "16-32 px" in out and "precision" in out and "ms per 720p frame" in out
    assert "broken.xml" in out and "maksssksksss3.png" in out
    assert "images: 2" in out


def test_xml_next_to_images_is_accepted(shared_data, tmp_path, capsys):
    src = shared_data / "mask_scenes"
    shutil.copy(src / "annotations" / "maksssksksss2.xml", tmp_path)
    shutil.copy(src / "images" / "maksssksksss2.png", tmp_path)
    scenes, problems = find_scenes(tmp_path)
    assert len(scenes) == 1 and not problems
    assert all(0 <= f.bbox.x1 <= f.bbox.x2 <= 400 for f in scenes[0].faces)  # clamped to the image
    data = _run_json(capsys, tmp_path, "--preset", "fast")
    assert data["images"] == 1 and data["faces"] == len(scenes[0].faces)


def test_missing_folder_is_a_clear_user_error(tmp_path, capsys):
    assert main(["eval-scenes", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "scenes folder not found" in err and "Traceback" not in err
    assert main(["eval-scenes", str(tmp_path)]) == 2
    assert "no Pascal VOC" in capsys.readouterr().err


def test_a_mask_classifier_plugs_in_and_is_scored_on_matched_faces_of_32px_or_more(scenes_dir):
    from app.analysis.scenes_eval import evaluate
    from app.domain import MaskState
    from models.face_detector import create_detector

    scenes, _ = find_scenes(scenes_dir)
    with create_detector("fast") as det:
        says_mask = evaluate(scenes, det.detect, classify=lambda img, dets: [MaskState.MASK] * len(dets))
        declines = evaluate(scenes, det.detect, classify=lambda img, dets: [None] * len(dets))
    data = says_mask.to_json()
    assert says_mask.mask_scored > 0
    truth_masked = sum(1 for s in scenes for f in s.faces if f.label == "with_mask" and f.bbox.size >= 32)
    assert 0 < says_mask.mask_correct <= truth_masked
    assert data["mask_accuracy"] == says_mask.mask_correct / says_mask.mask_scored
    assert declines.to_json()["mask_accuracy"] == 0.0
    assert declines.mask_undecided == declines.mask_scored


def test_boxes_past_the_image_edge_are_clamped(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "a.xml").write_text(
        "<annotation><filename>a.png</filename><size><width>400</width><height>300</height></size>"
        "<object><name>with_mask</name><bndbox><xmin>380</xmin><ymin>-1</ymin><xmax>401</xmax>"
        "<ymax>20</ymax></bndbox></object></annotation>",
        encoding="utf-8",
    )
    (scene,), _ = find_scenes(tmp_path)
    box = scene.faces[0].bbox
    assert (box.x1, box.y1, box.x2, box.y2) == (380, 0, 400, 20)
    assert scene.faces[0].mask is not None


def test_live_scores_the_scheduler_as_planned_for_n_cameras(scenes_dir, capsys):
    few = _run_json(capsys, scenes_dir, "--live", "1", "--no-mask")
    many = _run_json(capsys, scenes_dir, "--live", "16", "--no-mask")
    for data, n in ((few, 1), (many, 16)):
        assert data["live_cameras"] == n
        assert data["cpu_ms_per_frame"] > 0
        assert 0 <= data["scan_coverage"] <= 1
        assert data["images"] == len(SCENES)
    # one camera gets the whole frame scanned each second; sixteen share the CPU and scan far less
    assert few["scan_coverage"] == 1.0 > many["scan_coverage"]
    assert few["tiles_per_frame"] > many["tiles_per_frame"]
    assert few["true_positives"] >= many["true_positives"]


def test_live_needs_a_positive_camera_count(scenes_dir, capsys):
    assert main(["eval-scenes", str(scenes_dir), "--live", "-2"]) == 2
    assert "--live" in capsys.readouterr().err
