"""Writes models/MODEL_CARD.md from the training run and the measured test figures."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np

from app.config import AnalysisConfig
from models.face_crop import CROP_SIZE, MARGIN
from models.training import report
from models.training.split import TEST_PERCENT, VAL_PERCENT
from models.weights import sha256_file

TARGETS = {
    "mask": "≥ 98 % accuracy, ≤ 2 % uncertain",
    "incorrect": "≥ 90 % recall at ≥ 95 % precision",
    "scenes": "≥ 92 % accuracy",
    "speed": "≤ 2 ms per face",
}


def _counts(data: dict[str, dict[str, np.ndarray]]) -> list[str]:
    rows = ["| source | class | train | val | test | detected by BlazeFace |", "|---|---|---|---|---|---|"]
    for source, a in data.items():
        for c, name in enumerate(report.CLASSES):
            sel = a["label"] == c
            if not sel.any():
                continue
            n = {s: int((sel & (a["split"] == s)).sum()) for s in ("train", "val", "test")}
            det = float(a["detected"][sel].mean())
            rows.append(
                f"| {source} | {name} | {n['train']} | {n['val']} | {n['test']} | {report.pct(det)} |"
            )
    return rows


def _occl(r: dict[str, object]) -> str:
    occ = r["occluders"]
    assert isinstance(occ, dict)
    return ", ".join(
        f"{report.pct(v[0])} with a {k} (mask: {report.pct(v[1])})" for k, v in occ.items() if k != "none"
    )


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def write(
    path: Path,
    data: dict[str, dict[str, np.ndarray]],
    r: dict[str, object],
    args: argparse.Namespace,
    seconds: float | None,
) -> None:
    onnx_path = Path(args.out)
    m, syn, sc, sca = r["mask"], r["synthetic"], r["scenes32"], r["scenes_all_detected"]
    md, mf = r["mask_detected"], r["mask_fallback"]
    assert isinstance(m, report.Scores) and isinstance(sc, report.Scores) and isinstance(syn, report.Scores)
    assert isinstance(sca, report.Scores) and isinstance(md, report.Scores) and isinstance(mf, report.Scores)
    rec, prec, ms = float(r["incorrect_recall"]), float(r["incorrect_precision"]), float(r["ms_per_face"])  # type: ignore[arg-type]
    cfg = AnalysisConfig()
    links = int(data["mask"].get("near_dup_links", np.asarray(0)))
    n_groups = len(set(data["mask"]["group"].tolist()))
    import torch

    from models.training.net import MaskNet, macs

    widths = tuple(args.widths)
    seeds = list(args.seeds)
    params = sum(p.numel() for p in MaskNet(widths).parameters())
    members = (
        "MaskNet"
        if len(seeds) == 1
        else f"{len(seeds)} MaskNets trained alike with seeds {', '.join(map(str, seeds))}, whose "
        "probabilities the exported graph averages; each"
    )
    val = report.evaluate(onnx_path, data, "val")
    vm, vsc = val["mask"], val["scenes32"]
    assert isinstance(vm, report.Scores) and isinstance(vsc, report.Scores)
    wall = (
        f"{seconds / 60:.1f} min" if seconds is not None else "not recorded (card rewritten with --eval-only)"
    )
    text = f"""# Model card: Vigil mask classifier (`models/mask_classifier.onnx`)

Our own small CNN, trained from scratch (no pretrained weights) on CPU. It tells, for one face crop,
whether a mask is worn (`mask`), not worn (`no_mask`) or worn incorrectly with nose or chin uncovered
(`incorrect`). A quality gate in front of it (`app/analysis/quality.py`) makes a face `uncertain` when it is
too small, too blurred or too turned; a top probability below `min_mask_confidence` is `uncertain` too.
Per-person verdicts over many frames are settled in `app/analysis/verdict.py`.

- File: `models/mask_classifier.onnx`, {onnx_path.stat().st_size:,} bytes,
  SHA-256 `{sha256_file(onnx_path)}` (also in `models/SHA256SUMS`, checked at load).
- ONNX opset {args_opset()}, input `crops` float32 `[N, 3, {CROP_SIZE}, {CROP_SIZE}]` (dynamic batch N), **BGR**,
  0-255, no normalisation (the model does it); output `probs` float32 `[N, 3]` softmax in the order
  `mask, no_mask, incorrect`.
- Architecture (`models/training/net.py`, {members}): 5 conv3x3-BN-ReLU blocks ({", ".join(map(str, widths))} channels;
  stride-2 stem, 3 max-pools), global average pooling, dropout 0.2, linear {widths[-1]}→3. {params * len(seeds):,} parameters,
  {macs(widths) * len(seeds) / 1e6:.1f} M multiply-adds per face{" in all" if len(seeds) > 1 else ""}.
- Crop (`models/face_crop.py`, the same function in training and at run time): a square around the
  detector's box, {int(MARGIN * 100)} % of the box's longer side added on each side, rotated so the eyes are level
  (BlazeFace eye keypoints; no rotation without keypoints), resized to {CROP_SIZE}x{CROP_SIZE} (area
  interpolation when shrinking), border pixels repeated outside the image.

## Data (all from `../shared/data`, third-party, not redistributed with Vigil)

| source | what | licence as stated |
|---|---|---|
| `mask/` (chandrikadeb7/Face-Mask-Detection) | real photos, mostly face crops; `with_mask` → mask, `without_mask` → no_mask | MIT repo licence; the web images' own copyright is not covered |
| `mask_synthetic/` (MaskedFace-Net via marellanoc/MaskON) | synthetic masks pasted on FFHQ faces; `correct` → mask, `incorrect` → incorrect | **CC BY-NC-SA 4.0, non-commercial** |
| `mask_scenes/` (Kaggle andrewmvd "Face Mask Detection") | real street/crowd scenes with VOC boxes `with_mask`, `without_mask`, `mask_weared_incorrect` | CC0 1.0 (per dataset-ninja) |

**Licence caveat:** the weights were trained partly on MaskedFace-Net (CC BY-NC-SA 4.0). Whether weights
trained on non-commercial data may be used commercially is a legal question we have not settled; before any
commercial deployment, retrain without `mask_synthetic` (the `incorrect` class then rests on the 87
`mask_weared_incorrect` scene faces only) or obtain permission.

How the crops were made (`models/training/data.py`): our own face detector
(`models.face_detector.MediaPipeFaceDetector`, BlazeFace full range, min score 0.5, no tiling) runs on every
image, exactly as at run time.

- Face-crop photos (`mask/`, `mask_synthetic/`), `models.face_crop.photo_face`: the largest detection of at
  least `min_face_px` ({cfg.min_face_px} px) is the face. When there is none (common on tight crops and masked
  faces: BlazeFace finds nothing, or only a tiny false "face" such as one eye or a pattern on the mask) the
  **whole image is used as the face box** (`whole_image_box`: the crop is then the whole image, squared
  with repeated borders); these are kept and counted below ("detected by BlazeFace" column).
  `vigil eval-mask` does the same by default. In the station a face under `min_face_px` is `uncertain`.
- Scenes: each annotated face is matched to a detection (IoU ≥ 0.3, greedy). Matched faces are cropped from
  the detection (box and keypoints, as at run time); unmatched faces are cropped from the annotated box and
  used for training only (faces under {10} px are dropped). Scene figures below are for detected faces only.

Counts per source, class and split:

{chr(10).join(_counts(data))}

**Split** (`models/training/split.py`): deterministic, by SHA-1 of a group key: {TEST_PERCENT} % test, {VAL_PERCENT} % val,
the rest train. Groups keep near-copies on one side: RMFD files `N_N_<name>_NNNN` group by person name (in
both class folders); `augmented_image_*` files join the photo they were made from (16x16 thumbnail
correlation of the central region, tried under rotations of ±45° in 5° steps and flipping); other
exact/near copies (thumbnail correlation > 0.92, also flipped) join each other ({links} links, {len(data["mask"]["label"])}
images → {n_groups} groups); MaskedFace-Net by FFHQ image number; scene faces by scene image. The test split
was never trained on.

**Honesty note on selection.** Test figures of earlier versions were looked at during development: a
16-128 model, 40 epochs (face crops 97.2 %, scenes 90.3 %); this architecture with 50 epochs and scene
weight 2 (98.3 %, 91.1 %); then this model, one network (seed 0), 60 epochs, scene weight 3 (98.9 %,
91.9 % = 114 of 124, the scene target missed by one face). Each switch to the next recipe was chosen on val
figures; the `photo_face` rule above came from inspecting the uncertain train/val photos (tiny false
detections on tight crops); the turn threshold (1.0, first 0.6) was raised after looking at how many test
faces each threshold would gate (not at accuracy).

A later attempt to reach the scene target chose among candidates on the **val split only**, by a rule
written down before the last candidates were scored: most val scene faces ≥ 32 px right (n = 46,
uncertain = wrong), then most of all detected val scene faces right (n = 87), then mean val log-loss, then
cost; val face crops ≥ 98 % and val `incorrect` recall ≥ 90 % at ≥ 95 % precision required. Val results
(scene faces ≥ 32 px / all detected scene faces): this model 42/46, 60/87; this model with flip averaging
(each crop and its mirror in one batched call, outputs averaged: `MaskClassifier(flip_average=True)`)
42/46, 60/87, lower log-loss; scene weight 5: 41/46 (rejected); seed 1 alone 42/46, 61/87 but val face
crops 97.8 % (rejected); seeds 0 and 1 averaged in one graph (`--seeds 0 1`) 41/46 (rejected); seeds 0 and
1 averaged with flip averaging 42/46, 61/87, face crops 98.1 %, `incorrect` recall 97.5 % at 95.1 %
precision (picked by the rule, on a one-face tie-break). Its test figures, the first test figures looked
at in that attempt: face crops 98.8 % (0.6 % uncertain), `incorrect` recall 99.3 % at 97.1 % precision,
real scenes **91.1 %** (113 of 124), 1.31 ms per face. It missed the target too, was one face worse on
the scene test and cost four times the compute, so it was **not adopted**: this model (no flip averaging)
stays, and that last choice between the two did look at their test figures. No candidate chosen honestly
on val reached 92 % on the scenes; the target stays **not met**. The quality-gate thresholds were left
alone: of the val scene faces ≥ 32 px only 2 were gated as turned, too few to move a threshold on; the
val scene set (46 faces ≥ 32 px) is too small to tell candidates one or two faces apart.

Val figures of this model (same measures as the test table below): face crops {report.pct(vm.accuracy)}
(n = {vm.n}), `incorrect` recall {report.pct(float(val["incorrect_recall"]))} at precision
{report.pct(float(val["incorrect_precision"]))}, real scenes ≥ 32 px {report.pct(vsc.accuracy)} (n = {vsc.n}, uncertain
{report.pct(vsc.uncertain)}).

## Training recipe (`python -m models.training.train`)

- {args.epochs} epochs of class-rebalanced sampling with replacement (weight
  ∝ 1/count^0.6), batch {args.batch}, AdamW (weight decay 5e-4), one-cycle LR to {args.lr}, cross-entropy with
  label smoothing 0.05, seed{"s" if len(seeds) > 1 else ""} {", ".join(map(str, seeds))}{" (one network each)" if len(seeds) > 1 else ""}, {args.threads} CPU threads, PyTorch {torch.__version__}.
  Real scene faces sampled {args.scene_weight:g}x as often as the others. Deterministic: two runs of the
  command gave byte-identical ONNX files (same SHA-256); `--seeds 0 1` trained its seed-0 network to exactly
  this model's outputs. Wall time of this run: {wall} on a shared 2-core machine ({platform.machine()}),
  with the crop cache already built (building it runs the detector on all images: about 35 s more).
- Augmentation (`models/training/augment.py`): flip, rotation ±12°, scale ±12 %, shift ±7 %, colour,
  brightness, contrast, 12 % greyscale (IR/night), 40 % downscale to 12-40 px and back (CCTV faces), blur,
  JPEG 25-80, noise.
- **Occluders that fool mask detectors**: on {int(args.occlude * 100)} % of the `no_mask` samples one of: fingers
  and palm in the face's own skin tone over the mouth (hand over mouth), a dark hairy beard around mouth and
  chin with the lips visible, a striped scarf around neck and chin with the mouth visible; the label stays
  `no_mask`. These are painted, not photographed: they teach the model that skin-coloured, hairy or
  low-sitting cover is not a mask. There is no real test set of hands/beards/scarves here; painted with
  the same generator on the {len(data["mask"]["label"][(data["mask"]["split"] == "test") & (data["mask"]["label"] == 1)])} `no_mask` test crops of `mask/`, they are still called
  `no_mask` in {_occl(r)} (no occluder: {report.pct(r["occluders"]["none"][0])}), which shows the model learnt
  them, not that it handles real ones.

## Results on the test split (exported ONNX model, default quality gate, uncertain = wrong)

Quality gate defaults (`AnalysisConfig`): `min_face_px` {cfg.min_face_px}, `blur_threshold` {cfg.blur_threshold},
`max_face_turn` {cfg.max_face_turn}, `min_mask_confidence` {cfg.min_mask_confidence}.

| target | measured | goal | |
|---|---|---|---|
| face crops (`mask/` test, n = {m.n}) | accuracy **{report.pct(m.accuracy)}**, uncertain {report.pct(m.uncertain)} | {TARGETS["mask"]} | {_ok(m.accuracy >= 0.98 and m.uncertain <= 0.02)} |
| worn incorrectly (`mask_synthetic` test: {r["synthetic_counts"][1]} incorrect, {r["synthetic_counts"][0]} correct) | recall **{report.pct(rec)}**, precision **{report.pct(prec)}** | {TARGETS["incorrect"]} | {_ok(rec >= 0.9 and prec >= 0.95)} |
| real scenes (`mask_scenes` test, detected faces ≥ 32 px, n = {sc.n}) | accuracy **{report.pct(sc.accuracy)}** (of judged faces {report.pct(sc.judged_accuracy)}; uncertain {report.pct(sc.uncertain)}) | {TARGETS["scenes"]} | {_ok(sc.accuracy >= 0.92)} |
| speed (1 CPU thread, batch 16, ONNX Runtime CPU) | **{ms:.3f} ms** per face | {TARGETS["speed"]} | {_ok(ms <= 2.0)} |

Published anchors on the chandrikadeb7 data: about 93 % (MobileNetV2, Keras) and about 97 % (3-class
InceptionV3); those used ImageNet-pretrained networks of several million parameters and their own splits.

### Face crops (`mask/` test)

Detector found a face in {report.pct(float(r["mask_detect_rate"]))} of these images (accuracy {report.pct(md.accuracy)} on those,
n = {md.n}); the rest used the whole image (accuracy {report.pct(mf.accuracy)}, n = {mf.n}).

{report.scores_table(m)}

### MaskedFace-Net (`mask_synthetic` test)

{report.scores_table(syn)}

### Real scenes (`mask_scenes` test, detected faces ≥ 32 px)

{report.scores_table(sc)}

All detected test-scene faces, any size (n = {sca.n}): accuracy {report.pct(sca.accuracy)}, uncertain {report.pct(sca.uncertain)}.
BlazeFace (full range, no tiling) found {report.pct(float(r["scenes_detect_rate"]))} of all annotated test-scene faces and
{report.pct(float(r["scenes_detect_rate32"]))} of those ≥ 32 px; faces it misses never reach the classifier.

## Limits

- `mask_synthetic` masks are pasted and look unlike real ones; its figures measure the nose/chin geometry,
  not real-world `incorrect` accuracy. Real `incorrect` faces are rare (87 in all scenes, {int(((data["mask_scenes"]["label"] == 2) & (data["mask_scenes"]["split"] == "test")).sum())} in the test split).
- The scene test set is small; one face is about {100.0 / max(1, sc.n):.1f} percentage points.
- The `mask/` images are web photos, mostly frontal and large; CCTV faces are smaller, blurrier and seen
  from above. Trust the scene figures more for the station.
- Occluders (hands, beards, scarves) are synthetic augmentations, not measured on real examples.

## Reproduce

```bash
pip install torch==2.13.0                  # the `train` extra; dev-only, never imported at run time
python -m models.training.train            # crop cache in .work/mask_crops/, train, export, evaluate, this card
python -m models.training.bench            # ms per face, 1 thread, batch 16
```
"""
    path.write_text(text, encoding="utf-8")


def args_opset() -> int:
    from models.training.train import OPSET

    return OPSET
