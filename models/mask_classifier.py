"""Mask classifier: our own small CNN (``models/mask_classifier.onnx``) through ONNX Runtime.

One session per analysis thread, created in that thread; every face of one analysis round goes through in
one batched call. The execution provider is chosen by platform (DirectML on Windows, CUDA where present,
CPU otherwise), logged, and overridable with ``VIGIL_ORT_PROVIDER`` (cpu, cuda, dml or a full provider name)
or the ``providers`` argument.

Optional test-time augmentation (``flip_average=True``, off by default and in the station): each crop goes
through the model together with its horizontal mirror (one call with 2N crops) and the two softmax outputs
are averaged, so a face and its mirror image get the same probabilities. It did not help on the validation
split (models/MODEL_CARD.md, honesty note), so the station does not use it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from app.analysis.quality import assess
from app.config import AnalysisConfig
from app.domain import Detection, MaskState
from app.errors import ModelError, UserError
from models.face_crop import CROP_SIZE, crop_face
from models.weights import verified_path, verify_file

log = logging.getLogger(__name__)

MODEL_FILE = "mask_classifier.onnx"
CLASSES = (MaskState.MASK, MaskState.NO_MASK, MaskState.INCORRECT)  # output order of the model
Probs = tuple[float, float, float]

_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "dml": "DmlExecutionProvider",
    "directml": "DmlExecutionProvider",
}


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """Execution providers to use, best first, always ending with CPU.

    ``requested`` (or ``VIGIL_ORT_PROVIDER``, comma-separated) wins; providers this onnxruntime build
    lacks are skipped with a warning.
    """
    import onnxruntime as ort

    available = ort.get_available_providers()
    env = os.environ.get("VIGIL_ORT_PROVIDER", "").strip()
    if requested:
        wanted = list(requested)
    elif env:
        wanted = [p.strip() for p in env.split(",") if p.strip()]
    elif sys.platform == "win32":
        wanted = ["DmlExecutionProvider"]
    else:
        wanted = ["CUDAExecutionProvider"]
    chosen: list[str] = []
    for name in wanted:
        full = _ALIASES.get(name.lower(), name)
        if not full.endswith("ExecutionProvider"):
            raise UserError(
                f"unknown ONNX Runtime provider {name!r} (VIGIL_ORT_PROVIDER or settings); "
                f"use one of cpu, cuda, dml or a full name such as {available[0]}"
            )
        if full in available:
            chosen.append(full)
        elif requested or env:
            log.warning("ONNX Runtime provider %s is not available here (have %s)", full, available)
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


class MaskClassifier:
    """Mask / no mask / worn incorrectly for 64x64 BGR face crops (see ``models.face_crop.crop_face``)."""

    def __init__(
        self,
        model_path: Path | None = None,
        providers: list[str] | None = None,
        threads: int = 1,
        expected_sha256: str | None = None,
        flip_average: bool = False,
    ) -> None:
        """``model_path=None``: the bundled model, checked against models/SHA256SUMS; a custom path is
        checked against ``expected_sha256`` when given. ``flip_average``: average each crop's softmax
        with its mirror's (an evaluation option, see the module docstring)."""
        self.flip_average = flip_average
        path = verified_path(MODEL_FILE) if model_path is None else verify_file(model_path, expected_sha256)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        chosen = choose_providers(providers)
        if "DmlExecutionProvider" in chosen:
            opts.enable_mem_pattern = False  # DirectML needs no memory pattern and sequential execution
        try:
            self._session = ort.InferenceSession(str(path), opts, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/... types
            raise ModelError(
                f"cannot load mask model {path}: {str(exc).splitlines()[0] if str(exc) else exc!r} "
                "(the file is corrupt or not an ONNX model; reinstall Vigil or restore the file)"
            ) from exc
        self._check_signature(path)
        self.path = path
        self.providers: list[str] = list(self._session.get_providers())
        log.info("mask classifier %s on %s (%d thread(s))", path.name, self.providers, threads)

    def _check_signature(self, path: Path) -> None:
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        want = [3, CROP_SIZE, CROP_SIZE]
        shape = list(inputs[0].shape) if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1:] != want or "float" not in inputs[0].type:
            got = [(i.name, i.shape, i.type) for i in inputs]
            raise ModelError(
                f"mask model {path} has input {got}, expected one float tensor [N, 3, {CROP_SIZE}, {CROP_SIZE}]; "
                "it is not a Vigil mask classifier (reinstall Vigil or restore the file)"
            )
        out_shape = list(outputs[0].shape) if outputs else []
        if len(out_shape) != 2 or out_shape[1] != len(CLASSES):
            raise ModelError(
                f"mask model {path} has output shape {out_shape}, expected [N, {len(CLASSES)}]; "
                "it is not a Vigil mask classifier (reinstall Vigil or restore the file)"
            )
        self._input = inputs[0].name
        self._output = outputs[0].name

    def classify(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, 3) float32 probabilities (mask, no_mask, incorrect), one batched call for all crops."""
        if not crops:
            return np.zeros((0, len(CLASSES)), np.float32)
        batch = np.stack([_as_input(c) for c in crops]).astype(np.float32).transpose(0, 3, 1, 2)
        n = len(batch)
        if self.flip_average:
            batch = np.concatenate([batch, batch[:, :, :, ::-1]])  # NCHW: mirror along W
        probs = np.asarray(
            self._session.run([self._output], {self._input: np.ascontiguousarray(batch)})[0], np.float32
        )
        if self.flip_average:
            probs = (probs[:n] + probs[n:]) / 2.0
        return probs

    def classify_round(
        self, frames: Sequence[tuple[np.ndarray, Sequence[Detection]]], cfg: AnalysisConfig
    ) -> list[list[tuple[MaskState, Probs | None]]]:
        """Mask state per face for several frames (one analysis round), with one model call for all.

        Faces the quality gate rejects are UNCERTAIN with probs None (the model never sees them); faces
        whose top probability is below ``cfg.min_mask_confidence`` are UNCERTAIN with their probs.
        """
        crops: list[np.ndarray] = []
        slots: list[list[int | None]] = []
        for image, dets in frames:
            row: list[int | None] = []
            for det in dets:
                crop = crop_face(image, det.bbox, det.keypoints)
                if assess(det, crop, cfg) is None:
                    row.append(len(crops))
                    crops.append(crop)
                else:
                    row.append(None)
            slots.append(row)
        probs = self.classify(crops)
        out: list[list[tuple[MaskState, Probs | None]]] = []
        for row in slots:
            out.append([_state(probs[i], cfg) if i is not None else (MaskState.UNCERTAIN, None) for i in row])
        return out

    def classify_faces(
        self, image_bgr: np.ndarray, detections: Sequence[Detection], cfg: AnalysisConfig
    ) -> list[tuple[MaskState, Probs | None]]:
        """Mask state per detection of one frame (see ``classify_round``)."""
        return self.classify_round([(image_bgr, detections)], cfg)[0]


def classify_faces(
    classifier: MaskClassifier,
    image_bgr: np.ndarray,
    detections: Sequence[Detection],
    quality_cfg: AnalysisConfig,
) -> list[tuple[MaskState, Probs | None]]:
    """Quality gate + classifier for the faces of one frame: ``[(state, probs or None), ...]``."""
    return classifier.classify_faces(image_bgr, detections, quality_cfg)


def _state(p: np.ndarray, cfg: AnalysisConfig) -> tuple[MaskState, Probs]:
    probs: Probs = (float(p[0]), float(p[1]), float(p[2]))
    k = int(np.argmax(p))
    if probs[k] < cfg.min_mask_confidence:
        return MaskState.UNCERTAIN, probs
    return CLASSES[k], probs


def _as_input(crop: np.ndarray) -> np.ndarray:
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    if crop.shape[:2] != (CROP_SIZE, CROP_SIZE):
        crop = cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)
    return crop[:, :, :3]


def benchmark_ms_per_face(
    classifier: MaskClassifier | None = None, batch: int = 16, repeats: int = 50
) -> float:
    """Median milliseconds per face for batched calls of ``batch`` random crops (for ``vigil bench``)."""
    clf = classifier or MaskClassifier()
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (CROP_SIZE, CROP_SIZE, 3), dtype=np.uint8) for _ in range(batch)]
    clf.classify(crops)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        clf.classify(crops)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000.0 / batch
