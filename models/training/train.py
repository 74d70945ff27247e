"""Train the mask classifier from ../shared/data and export it (dev-only; needs the ``train`` extra).

    python -m models.training.train                  # build crop cache, train, export, evaluate, write card
    python -m models.training.train --with-synthetic # the opt-in non-commercial model (mask_classifier_nc.onnx)
    python -m models.training.train --epochs 2 --out /tmp/m.onnx --no-card   # a quick smoke run

One MaskNet is trained per seed in ``--seeds``; with several, the exported graph averages their
probabilities (an ensemble). Deterministic for given seeds, data and thread count (CPU). Writes ``models/mask_classifier.onnx``, its
line in ``models/SHA256SUMS`` and ``models/MODEL_CARD.md``.

The default model is trained only on sources whose licence allows commercial use (``COMMERCIAL_SOURCES``);
``--with-synthetic`` adds MaskedFace-Net (CC BY-NC-SA 4.0) and writes the opt-in ``mask_classifier_nc.onnx``.
A fourth class, ``not_face`` (mined by ``models.training.negatives``), makes the network a face verifier.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.face_crop import CROP_SIZE
from models.training import negatives
from models.training.augment import augment
from models.training.data import CLASSES, load_or_build
from models.training.net import DEFAULT_WIDTHS, MaskEnsemble, MaskNet

REPO = Path(__file__).resolve().parents[2]
MIN_TRAIN_PX = 10  # annotated scene faces smaller than this are noise, not training data
OPSET = 17
SEEDS = (0,)  # one network per seed; several are averaged in the exported graph
N_CLASSES = len(CLASSES) + 1  # + not_face
LICENCES = {
    "mask": "MIT (chandrikadeb7/Face-Mask-Detection)",
    "mask_scenes": "CC0 1.0 (Kaggle andrewmvd Face Mask Detection)",
    "not_face": "CC0 1.0 scenes + project test clips (background only; see negatives.py)",
    "mask_synthetic": "CC BY-NC-SA 4.0, NON-COMMERCIAL (MaskedFace-Net)",
}
COMMERCIAL_SOURCES = ("mask", "mask_scenes", "not_face")
NONCOMMERCIAL_SOURCES = ("mask_synthetic",)
# share of no_mask faces given a painted mask (``augment.painted_mask``): 0 for both shipped models (they were
# trained before the option); the candidates measured with it are in the README ("Painted masks")
PAINT_MASK_DEFAULT = 0.0
PAINT_MASK_WITH_SYNTHETIC = 0.0


def sources_for(with_synthetic: bool) -> tuple[str, ...]:
    return COMMERCIAL_SOURCES + (NONCOMMERCIAL_SOURCES if with_synthetic else ())


def training_set(
    data: dict[str, dict[str, np.ndarray]],
    split: str,
    scene_weight: float = 1.0,
    sources: tuple[str, ...] = COMMERCIAL_SOURCES,
) -> dict[str, np.ndarray]:
    parts = []
    for source, a in data.items():
        if source not in sources:
            continue
        keep = a["split"] == split
        if source == "mask_scenes":
            keep &= a["gt_px"] >= MIN_TRAIN_PX
        part = {k: a[k][keep] for k in ("crops", "label", "mouth")}
        part["weight"] = np.full(
            int(keep.sum()), scene_weight if source in ("mask_scenes", "not_face") else 1.0
        )
        parts.append(part)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def batches(
    ts: dict[str, np.ndarray], rng: np.random.Generator, batch: int, occlude_p: float, paint_mask_p: float = 0.0
):
    labels = ts["label"]
    counts = np.maximum(np.bincount(labels, minlength=N_CLASSES), 1).astype(np.float64)
    w = (1.0 / counts[labels]) ** 0.6  # rarer classes (incorrect) seen more often, not fully balanced
    w = w * ts["weight"]  # real CCTV-like scene faces count more
    order = rng.choice(len(labels), size=len(labels), replace=True, p=w / w.sum())
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        views = [
            augment(ts["crops"][i], int(labels[i]), tuple(ts["mouth"][i]), rng, occlude_p, paint_mask_p)
            for i in idx
        ]
        x = np.stack([v for v, _ in views])
        yield (
            torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32)),
            torch.from_numpy(np.array([label for _, label in views], np.int64)),
        )


@torch.no_grad()
def accuracy(model: nn.Module, ts: dict[str, np.ndarray]) -> float:
    model.eval()
    x = torch.from_numpy(ts["crops"].transpose(0, 3, 1, 2).astype(np.float32))
    pred = torch.cat([model(x[s : s + 512]).argmax(1) for s in range(0, len(x), 512)])
    return float((pred.numpy() == ts["label"]).mean())


def train(data: dict[str, dict[str, np.ndarray]], args: argparse.Namespace, seed: int) -> MaskNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    src = sources_for(args.with_synthetic)
    ts, vs = training_set(data, "train", args.scene_weight, src), training_set(data, "val", 1.0, src)
    print(
        f"train {np.bincount(ts['label'], minlength=N_CLASSES)}  val {np.bincount(vs['label'], minlength=N_CLASSES)}"
    )
    model = MaskNet(tuple(args.widths), classes=N_CLASSES)
    steps = args.epochs * ((len(ts["label"]) + args.batch - 1) // args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(args.epochs):
        model.train()
        t0, total, n = time.monotonic(), 0.0, 0
        for x, y in batches(ts, rng, args.batch, args.occlude, args.paint_mask):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(y)
            n += len(y)
        print(
            f"seed {seed} epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f}, val acc {accuracy(model, vs):.4f} "
            f"({time.monotonic() - t0:.0f} s)",
            flush=True,
        )
    return model


def export(model: MaskNet | MaskEnsemble, out: Path) -> None:
    model.eval()
    if isinstance(model, MaskNet):
        model.export_probs = True  # an ensemble always outputs probabilities
    dummy = torch.zeros(1, 3, CROP_SIZE, CROP_SIZE)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (dummy,),
        str(out),
        input_names=["crops"],
        output_names=["probs"],
        dynamic_axes={"crops": {0: "n"}, "probs": {0: "n"}},
        opset_version=OPSET,
        dynamo=False,
        do_constant_folding=True,
    )
    import onnx

    m = onnx.load(str(out))
    m.doc_string = (
        f"Vigil mask classifier: {', '.join(CLASSES)}, not_face probabilities for 64x64 BGR face crops"
    )
    onnx.checker.check_model(m)
    onnx.save(m, str(out))


def update_sums(onnx_path: Path) -> None:
    from models.weights import sha256_file

    sums = REPO / "models" / "SHA256SUMS"
    name = onnx_path.name
    lines = [ln for ln in sums.read_text(encoding="utf-8").splitlines() if not ln.endswith(f"  {name}")]
    lines.append(f"{sha256_file(onnx_path)}  {name}")
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.training.train", description=__doc__)
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--cache", type=Path, default=REPO / ".work" / "mask_crops")
    p.add_argument(
        "--out", type=Path, default=None, help="default: models/mask_classifier.onnx (_nc with synthetic)"
    )
    p.add_argument(
        "--with-synthetic",
        action="store_true",
        help="also train on mask_synthetic (CC BY-NC-SA 4.0, NON-COMMERCIAL): the opt-in model",
    )
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--occlude", type=float, default=0.3, help="share of no_mask faces given an occluder")
    p.add_argument(
        "--paint-mask",
        type=float,
        default=None,
        help="share of no_mask faces given a painted mask (3 in 4 worn -> mask, else under the nose -> incorrect); "
        f"the same share of not-a-face boxes get one, label kept. Default {PAINT_MASK_DEFAULT} "
        f"({PAINT_MASK_WITH_SYNTHETIC} with --with-synthetic), as the shipped models were trained",
    )
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="one MaskNet per seed, averaged")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--widths", type=int, nargs=5, default=list(DEFAULT_WIDTHS), help="channels per block")
    p.add_argument("--scene-weight", type=float, default=3.0, help="sampling weight of real scene faces")
    p.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md / SHA256SUMS")
    p.add_argument("--eval-only", action="store_true", help="evaluate --out and write the card, no training")
    args = p.parse_args(argv)
    if args.out is None:
        name = "mask_classifier_nc.onnx" if args.with_synthetic else "mask_classifier.onnx"
        args.out = REPO / "models" / name
    if args.paint_mask is None:
        args.paint_mask = PAINT_MASK_WITH_SYNTHETIC if args.with_synthetic else PAINT_MASK_DEFAULT
    if not 0.0 <= args.paint_mask <= 1.0:
        p.error(f"--paint-mask must be between 0 and 1, not {args.paint_mask}")
    torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    data = load_or_build(args.data, args.cache)
    data["not_face"] = negatives.load_or_build(args.data, args.cache)
    from models.training import calibrate

    sources = sources_for(args.with_synthetic)
    if not args.eval_only:
        nets = [train(data, args, seed) for seed in args.seeds]
        export(nets[0] if len(nets) == 1 else MaskEnsemble(nets), args.out)
        seconds = time.monotonic() - t0
        print(f"exported {args.out} after {seconds:.0f} s", flush=True)
        meta = calibrate.calibrate(args.out, data, sources)
        meta["training_sources"] = ", ".join(sources)
        meta["training_licences"] = "; ".join(f"{s}: {LICENCES[s]}" for s in sources)
        meta["commercial_use"] = "no" if args.with_synthetic else "yes"
        meta["training_seconds"] = f"{seconds:.0f}"
        meta["paint_mask"] = f"{args.paint_mask:g}"
        meta["torch"] = str(torch.__version__)
        calibrate.write_metadata(args.out, meta)
        print(f"calibrated: {meta}", flush=True)
    from models.training import report

    results = report.evaluate(args.out, data, "test")
    for line in report.summary_lines(results):
        print(line)
    models_dir = (REPO / "models").resolve()
    if not args.no_card and args.out.resolve().parent == models_dir:
        update_sums(args.out)
        calibrate.write_manifest(args.out, sources, {s: LICENCES[s] for s in sources}, data)
        from models.training import card

        card.write_all(data, card.present_models())
    return 0


if __name__ == "__main__":
    sys.exit(main())
