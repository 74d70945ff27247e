"""``vigil eval-mask`` end to end: real detector, real crops, the shipped model, on a temp folder of real
images copied at test time (plus awkward files made from them)."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from app.__main__ import main
from models.face_crop import read_image

# test-split files (models/training/split.py), never trained on
WITH_MASK = ["0_0_0 copy 84.jpg", "0_0_6055_191105090631_1.jpg", "with_mask192.jpg"]
WITHOUT_MASK = ["395.jpg", "1_0_anhu_0124.jpg", "172.jpg"]
INCORRECT = ["05580_Mask_Mouth_Chin.jpg", "05273_Mask_Mouth_Chin.jpg"]


@pytest.fixture(scope="module")
def eval_dir(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("eval mask ü")  # spaces and non-ASCII in the path
    for sub, src, names in (
        ("with_mask", "mask/with_mask", WITH_MASK),
        ("without_mask", "mask/without_mask", WITHOUT_MASK),
        ("incorrect", "mask_synthetic/incorrect", INCORRECT),
    ):
        (root / sub).mkdir()
        for name in names:
            shutil.copy(shared_data / src / name, root / sub / name)
    # a grey PNG and an RGBA PNG with a misleading .jpg name, made from real faces
    face = read_image(shared_data / "mask" / "without_mask" / WITHOUT_MASK[0])
    cv2.imwrite(str(root / "without_mask" / "grey face.png"), cv2.cvtColor(face, cv2.COLOR_BGR2GRAY))
    rgba = cv2.cvtColor(read_image(shared_data / "mask" / "with_mask" / WITH_MASK[0]), cv2.COLOR_BGR2BGRA)
    ok, png = cv2.imencode(".png", rgba)
    (root / "with_mask" / "rgba photo.jpg").write_bytes(png.tobytes())
    (root / "with_mask" / "readme.txt").write_text("not an image")
    (root / "notes").mkdir()  # not a class folder: ignored
    return root


def test_eval_mask_json_on_real_images(eval_dir, capsys):
    assert main(["eval-mask", str(eval_dir), "--json"]) == 0
    out, err = capsys.readouterr()
    r = json.loads(out)
    assert set(r) >= {"accuracy", "per_class", "confusion", "uncertain", "ms_per_face", "unreadable"}
    n_images = len(WITH_MASK) + len(WITHOUT_MASK) + len(INCORRECT) + 2  # + grey + RGBA
    assert r["n"] == n_images
    assert [p.endswith("readme.txt") for p in r["unreadable"]] == [True]
    assert r["per_class"]["mask"]["n"] == len(WITH_MASK) + 1
    assert r["per_class"]["no_mask"]["n"] == len(WITHOUT_MASK) + 1
    assert r["per_class"]["incorrect"]["n"] == len(INCORRECT)
    total = sum(sum(row.values()) for row in r["confusion"].values())
    assert total == n_images
    correct = sum(r["confusion"][c][c] for c in r["confusion"])
    assert r["accuracy"] == pytest.approx(correct / n_images, abs=1e-4)
    assert r["accuracy"] >= 0.8  # real test-split faces, the shipped model
    assert r["ms_per_face"] > 0
    assert "images" in err  # progress on stderr, not mixed into the JSON


def test_eval_mask_text_report(eval_dir, capsys):
    assert main(["eval-mask", str(eval_dir)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion" in out and "readme.txt" in out


def test_folder_without_class_subfolders_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "holiday").mkdir()
    (tmp_path / "holiday" / "a.png").write_bytes(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1])
    assert main(["eval-mask", str(tmp_path)]) == 2
    assert "with_mask" in capsys.readouterr().err
