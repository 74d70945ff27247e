"""Writes models/MODEL_CARD.md: the shipped default model, the opt-in non-commercial one and the previously
landed model, measured side by side on the same test split (``python -m models.training.card`` rewrites it
without training; ``train`` calls ``write_all`` at its end)."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

from app.config import AnalysisConfig
from models.face_crop import CROP_SIZE, MARGIN
from models.training import report
from models.training.split import TEST_PERCENT, VAL_PERCENT
from models.weights import sha256_file

REPO = Path(__file__).resolve().parents[2]
LANDED = REPO / ".work" / "landed_mask_classifier.onnx"  # `git show <rev>:models/mask_classifier.onnx`
CLASS_NAMES = ("mask", "no_mask", "incorrect", "not_face")


def _meta(path: Path) -> dict[str, str]:
    import onnx

    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def _counts(data: dict[str, dict[str, np.ndarray]]) -> list[str]:
    rows = ["| source | class | train | val | test | detected by BlazeFace |", "|---|---|---|---|---|---|"]
    for source, a in data.items():
        for c, name in enumerate(CLASS_NAMES):
            sel = a["label"] == c
            if not sel.any():
                continue
            n = {s: int((sel & (a["split"] == s)).sum()) for s in ("train", "val", "test")}
            det = float(a["detected"][sel].mean())
            rows.append(
                f"| {source} | {name} | {n['train']} | {n['val']} | {n['test']} | {report.pct(det)} |"
            )
    return rows


def _f(x: object) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else report.pct(float(x))  # type: ignore[arg-type]


def _side_by_side(results: dict[str, dict[str, object]]) -> list[str]:
    names = list(results)
    first: Any = results[names[0]]
    rows = ["| figure (test split; uncertain = wrong) | goal | " + " | ".join(names) + " |"]
    rows.append("|---|---|" + "---|" * len(names))

    def row(label: str, goal: str, fn) -> None:  # type: ignore[no-untyped-def]
        rows.append(f"| {label} | {goal} | " + " | ".join(fn(results[n]) for n in names) + " |")

    row(
        f"face crops (`mask/`, n = {first['mask'].n})",
        "≥ 98 %",
        lambda r: f"{_f(r['mask'].accuracy)} (uncertain {_f(r['mask'].uncertain)})",
    )
    row(
        "worn incorrectly, synthetic (`mask_synthetic`): recall / precision",
        "≥ 90 % / ≥ 95 %",
        lambda r: f"{_f(r['incorrect_recall'])} / {_f(r['incorrect_precision'])}",
    )
    row(
        f"worn incorrectly, real scene faces ≥ 32 px: recall (n = {first['scenes32'].counts[2]})",
        "",
        lambda r: _f(r["scenes32"].recall[2]),
    )
    row(
        f"real scenes, detected faces ≥ 32 px (n = {first['scenes32'].n})",
        "≥ 93 %",
        lambda r: (
            f"{_f(r['scenes32'].accuracy)} (judged {_f(r['scenes32'].judged_accuracy)}, uncertain {_f(r['scenes32'].uncertain)})"
        ),
    )
    row(
        "real scenes, all detected faces",
        "",
        lambda r: (
            f"{_f(r['scenes_all_detected'].accuracy)} (uncertain {_f(r['scenes_all_detected'].uncertain)})"
        ),
    )
    row(
        "verifier: mined scene not-face boxes rejected",
        "",
        lambda r: _f(r["verifier"].get("rejected_scene")) if r["verifier"] else "no verifier",
    )
    row(
        "verifier: clip background boxes rejected",
        "",
        lambda r: _f(r["verifier"].get("rejected_clip")) if r["verifier"] else "no verifier",
    )
    row(
        "verifier: detected real faces dropped (scenes / face crops)",
        "≤ 1-2 %",
        lambda r: (
            f"{_f(r['verifier'].get('faces_lost_mask_scenes'))} / {_f(r['verifier'].get('faces_lost_mask'))}"
            if r["verifier"]
            else "–"
        ),
    )
    row("speed, ms per face (1 thread, batch 16)", "≤ 2 ms", lambda r: f"{float(r['ms_per_face']):.3f}")  # type: ignore[arg-type]
    return rows


def _reliability(r: dict[str, object]) -> list[str]:
    rel, sizes = r["reliability"], r["by_size"]
    rows = ["| top probability | faces | mean confidence | accuracy |", "|---|---|---|---|"]
    for name, n, conf, acc in rel:  # type: ignore[attr-defined]
        rows.append(f"| {name} | {n} | {_f(conf)} | {_f(acc)} |")
    rows += ["", "| face size | faces | right | uncertain (abstained) | wrong |", "|---|---|---|---|---|"]
    for name, n, acc, unc, wrong in sizes:  # type: ignore[attr-defined]
        rows.append(f"| {name} | {n} | {_f(acc)} | {_f(unc)} | {_f(wrong)} |")
    return rows


def write_all(data: dict[str, dict[str, np.ndarray]], models: dict[str, Path]) -> str:
    """Evaluate each model on the test split and write the card; returns the card text."""
    results = {name: report.evaluate(path, data, "test") for name, path in models.items()}
    default = models.get("v3 default (commercial)")
    nc = models.get("v3 opt-in (non-commercial)")
    meta = _meta(default) if default else {}
    meta_nc = _meta(nc) if nc else {}
    first = next(iter(results.values()))
    lines = [
        "# Model card: Vigil mask classifier and face verifier",
        "",
        "Our own small CNN (`models/training/net.py`, MaskNet), trained from scratch on CPU. For one face crop",
        "it gives four probabilities: `mask`, `no_mask`, `incorrect` (nose or chin uncovered) and **`not_face`**",
        "(the face verifier). A detector box whose `not_face` probability reaches the model's threshold is dropped",
        "before tracking and counting (`MaskClassifier.judge_round`, used by the engine), so signs, posters and",
        "patterns are not counted as people. The mask probabilities are renormalised over the three mask classes.",
        "A quality gate (`app/analysis/quality.py`) makes a face `uncertain` when it is too small, blurred or",
        "turned; a top probability below the **per-size calibrated minimum** (model metadata, chosen on the",
        "validation split) or `min_mask_confidence`, whichever is higher, is `uncertain` too: a face that cannot",
        "be judged is never a guess.",
        "",
        "## Files and licence",
        "",
        "| file | trained on | commercial use | SHA-256 |",
        "|---|---|---|---|",
    ]
    for name, path in models.items():
        if name.startswith("landed"):
            continue
        m = _meta(path)
        lines.append(
            f"| `models/{path.name}` ({name}) | {m.get('training_sources', '?')} | {m.get('commercial_use', '?')} | `{sha256_file(path)}` |"
        )
    lines += [
        "",
        "- **Default** (`mask_classifier.onnx`, shipped and used unless configured otherwise): trained only on",
        "  sources whose licence allows commercial use: " + (meta.get("training_licences", "") or "?") + ".",
        "  `mask_synthetic` (MaskedFace-Net, CC BY-NC-SA 4.0) is **not** in its training data; its test split is",
        "  used only to measure the `incorrect` class (measuring is not training). Its training manifest is",
        "  `models/mask_classifier.manifest.json`.",
        "- **Opt-in, non-commercial** (`mask_classifier_nc.onnx`): also trained on `mask_synthetic`",
        "  ("
        + (meta_nc.get("training_licences", "").split("mask_synthetic: ")[-1] or "CC BY-NC-SA 4.0")
        + ").",
        "  Choose it with `[analysis] mask_model = noncommercial` in the config or `VIGIL_MASK_MODEL=noncommercial`;",
        "  the station logs a non-commercial warning when it is used. Not for commercial deployments.",
        "- The web images of `mask/` keep their own copyright (the MIT licence covers the repository).",
        "- Both files are listed in `models/SHA256SUMS` and checked at load; the calibration lives in the ONNX",
        "  metadata, so the checksum covers it.",
        "",
        "## Model",
        "",
        f"- ONNX opset 17, input `crops` float32 `[N, 3, {CROP_SIZE}, {CROP_SIZE}]` (dynamic N), BGR 0-255;",
        "  output `probs` float32 `[N, 4]` softmax: `mask, no_mask, incorrect, not_face`. One batched call per",
        "  analysis round for all boxes (also those the quality gate keeps from a mask verdict: they are verified).",
        "- MaskNet: 5 conv3x3-BN-ReLU blocks (24, 48, 96, 128, 192), global average pooling, dropout 0.2,",
        "  linear 192→4; about 386 k parameters, 32.5 M multiply-adds per face.",
        "- Crop (`models/face_crop.py`, the same in training and at run time): square around the detector box,",
        f"  {int(MARGIN * 100)} % margin each side, eyes levelled, resized to {CROP_SIZE}x{CROP_SIZE}.",
        "",
        "## Data and split",
        "",
        "From `../shared/data` (third-party, never redistributed). Face-crop photos and scene faces are cropped",
        "from our own detector's boxes (`models/training/data.py`). **Not-a-face** boxes",
        "(`models/training/negatives.py`): boxes of our detector (preset `accurate`) on the `mask_scenes` images",
        "that overlap no annotated face at all, and face-sized background boxes from the clips in `video/` taken",
        "only where the pixels never change over the whole clip and far from every detection (so no passer-by),",
        "plus detector boxes that never move with static pixels (posters). Boxes that BlazeFace still calls a",
        "face on the crop alone are left out: the scene annotations miss some real faces. A look at the contact",
        "sheet of the rest showed hands, ears, backs of heads, clothing, signs, text and patterns, and still a",
        "few (about 1-2 %) unannotated real faces, mostly small and masked; that is the main known label noise.",
        "",
        f"Split (`models/training/split.py`): by SHA-1 of a group key, {TEST_PERCENT} % test, {VAL_PERCENT} % val,",
        "the rest train. Near-copies stay together: `augmented_image_*` copies join their source photo",
        "(thumbnail correlation under rotation and flipping), exact/near copies join each other, RMFD photos group",
        "by person, MaskedFace-Net by FFHQ number, scene faces and scene negatives by scene image, clip",
        "background boxes by **whole clip** (so test clips were never trained on).",
        "",
        *_counts(data),
        "",
        "## Results, side by side (test split)",
        "",
        "`landed` is the model on `main` before this work (3 classes, no verifier, trained with `mask_synthetic`).",
        "Same crops, same gate, uncertain counted wrong.",
        "",
        *_side_by_side(results),
        "",
        "Scene mask accuracy of the whole pipeline and the precision of counted faces are measured with",
        "`vigil eval-scenes` (README, Mask classifier).",
        "",
    ]
    for name, r in results.items():
        lines += [
            f"### {name}: real scenes, detected faces ≥ 32 px",
            "",
            report.scores_table(r["scenes32"]),
            "",
        ]  # type: ignore[arg-type]
    if default:
        r = results["v3 default (commercial)"]
        lines += [
            "## Calibration and reliability (default model)",
            "",
            "Calibrated on the **validation split only** (`models/training/calibrate.py`): "
            + meta.get("calibration", "?")
            + ".",
            f"Per-size minimum top probability (< 32, 32-64, ≥ 64 px): {meta.get('min_confidence_by_size', '?')};",
            f"`not_face` threshold {meta.get('not_face_threshold', '?')} (val faces dropped ≤ 1 %).",
            "",
            "Reliability on the test split: detected real faces (face crops and scenes) plus degraded copies of",
            "the test face crops shrunk to 16-31 px and 32-63 px (with JPEG, blur, low light, as in training);",
            "faces the quality gate passes, before the confidence gate (accuracy vs. confidence):",
            "",
            *_reliability(r),
            "",
            f"Faces under {AnalysisConfig().min_face_px} px are always `uncertain` (the station's quality gate,",
            "`[analysis] min_face_px`; every figure of this card is measured with it).",
            "",
        ]
    lines += [
        "## Training recipe (`python -m models.training.train [--with-synthetic]`)",
        "",
        "60 epochs of class-rebalanced sampling (weight ∝ 1/count^0.6; scene faces and not-face boxes 3x), batch",
        "64, AdamW, one-cycle LR to 0.004, label smoothing 0.05, seed 0, 1 CPU thread (two models trained side by",
        f"side on a shared 2-core machine: {meta.get('training_seconds', '?')} s for the default,",
        f"{meta_nc.get('training_seconds', '?')} s for the opt-in), PyTorch {meta.get('torch') or _torch()}, {platform.machine()}.",
        "Augmentation (`models/training/augment.py`): flip, rotation, scale, shift, colour, 12 % grey; CCTV",
        "degradations: 50 % down-scaled to 16-48 px and back, 15 % Gaussian blur, 15 % motion blur, 15 % low",
        "light (gamma, gain, sensor noise), 30 % JPEG 20-80, 15 % noise; painted occluders (hand, beard, scarf) on",
        "30 % of the `no_mask` faces, label kept. Painted masks (`--paint-mask P`): on a share P of the `no_mask`",
        "faces a fabric mask in dark cloth, white, surgical blue or another colour away from the skin tone,",
        "relabelled `mask` over nose and mouth (3 in 4) and `incorrect` under the nose; the same patch on a share P",
        "of the not-a-face boxes, label kept. P used: "
        + f"default model {meta.get('paint_mask', '0')}, opt-in {meta_nc.get('paint_mask', '0')}"
        + " (the candidates measured are in the README, Mask classifier, painted masks).",
        "",
        "## Limits",
        "",
        "- Real `incorrect` faces are rare (87 in all scenes); without MaskedFace-Net the default model learns",
        "  `incorrect` from about 56 real training faces only. Compare the two columns above before relying on it.",
        "- The scene test split is small: one face ≥ 32 px is about "
        + f"{100.0 / max(1, first['scenes32'].n):.1f} percentage points.",  # type: ignore[attr-defined]
        "- The verifier learnt from our detector's false boxes on photos and from 12 clips; other cameras",
        "  will show other signs and patterns. Static-object suppression and drawn zones add to it.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "pip install -e '.[train]'                       # torch 2.13 CPU; dev-only",
        "git show main~0:models/mask_classifier.onnx > .work/landed_mask_classifier.onnx   # optional baseline column",
        "python -m models.training.train --with-synthetic   # opt-in model first (the card compares both)",
        "python -m models.training.train                    # default model, then this card",
        "python -m models.training.card                     # rewrite this card only",
        "```",
        "",
    ]
    text = "\n".join(lines)
    (REPO / "models" / "MODEL_CARD.md").write_text(text, encoding="utf-8")
    return text


def _torch() -> str:
    """The installed PyTorch (models trained before 2026-12-07 do not record theirs in the metadata)."""
    try:
        import torch

        return str(torch.__version__)
    except ImportError:
        return "(not recorded; the [train] extra pins 2.13.0)"


def present_models() -> dict[str, Path]:
    out = {}
    if LANDED.exists():
        out["landed (main)"] = LANDED
    for name, file in (
        ("v3 default (commercial)", "mask_classifier.onnx"),
        ("v3 opt-in (non-commercial)", "mask_classifier_nc.onnx"),
    ):
        p = REPO / "models" / file
        if p.exists():
            out[name] = p
    return out


def main() -> int:
    from models.training import negatives
    from models.training.data import load_or_build

    data_dir = REPO.parent / "shared" / "data"
    cache = REPO / ".work" / "mask_crops"
    data = load_or_build(data_dir, cache)
    data["not_face"] = negatives.load_or_build(data_dir, cache)
    write_all(data, present_models())
    print(json.dumps({k: str(v) for k, v in present_models().items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
