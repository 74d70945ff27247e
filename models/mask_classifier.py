"""Mask classifier: our own small CNN (``models/mask_classifier.onnx``) through ONNX Runtime.

One session per analysis thread, created in that thread; every face of one analysis round goes through in
one batched call. The execution provider is chosen by platform (DirectML on Windows, CUDA where present,
CPU otherwise), logged, and overridable with ``VIGIL_ORT_PROVIDER`` (cpu, cuda, dml or a full provider name)
or the ``providers`` argument.

Optional test-time augmentation (``flip_average=True``, off by default and in the station): each crop goes
through the model together with its horizontal mirror (one call with 2N crops) and the two softmax outputs
are averaged, so a face and its mirror image get the same probabilities. It did not help on the validation
split (models/MODEL_CARD.md, honesty note), so the station does not use it.

Face verifier: a model with a fourth output (``not_face``) also says whether a detector box is a face at all.
``judge_round`` returns None for a box whose ``not_face`` probability reaches the model's threshold (stored
in the ONNX metadata, chosen on the validation split); the engine drops such boxes before tracking. Every
box goes through the same one batched call, also those the quality gate keeps from the mask verdict. The
mask probabilities are renormalised over the three mask classes (mask state given that it is a face).

Calibrated abstention: the model's metadata may hold a minimum top probability per face size
(``min_confidence_by_size``, chosen on the validation split); a face is ``uncertain`` below the larger of
that and ``AnalysisConfig.min_mask_confidence`` (``small_face_min_confidence`` under ``small_face_px``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from app.analysis.quality import assess, size_min_confidence
from app.config import AnalysisConfig
from app.domain import Detection, MaskState
from app.errors import ModelError, UserError
from models.face_crop import CROP_SIZE, crop_face
from models.weights import verified_path, verify_file

log = logging.getLogger(__name__)

MODEL_FILE = "mask_classifier.onnx"
NONCOMMERCIAL_MODEL_FILE = "mask_classifier_nc.onnx"  # opt-in: also trained on CC BY-NC-SA data
CLASSES = (MaskState.MASK, MaskState.NO_MASK, MaskState.INCORRECT)  # output order of the model
Probs = tuple[float, float, float]

_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "dml": "DmlExecutionProvider",
    "directml": "DmlExecutionProvider",
}


def bundled_model_file(choice: str | None = None) -> str:
    """The bundled model for ``choice`` (``[analysis] mask_model``; ``VIGIL_MASK_MODEL`` overrides it).

    ``noncommercial`` is the opt-in model also trained on CC BY-NC-SA 4.0 data (MaskedFace-Net): better
    at ``incorrect``, not for commercial use (models/MODEL_CARD.md)."""
    wanted = (os.environ.get("VIGIL_MASK_MODEL", "").strip() or choice or "default").lower()
    if wanted in ("default", "commercial", ""):
        return MODEL_FILE
    if wanted in ("noncommercial", "non-commercial", "nc"):
        log.warning(
            "using the NON-COMMERCIAL mask model %s (trained on CC BY-NC-SA 4.0 data); "
            "not for commercial deployments",
            NONCOMMERCIAL_MODEL_FILE,
        )
        return NONCOMMERCIAL_MODEL_FILE
    raise UserError(
        f"unknown mask model {wanted!r} (VIGIL_MASK_MODEL or [analysis] mask_model); use default or noncommercial"
    )


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
        choice: str | None = None,
    ) -> None:
        """``model_path=None``: the bundled model, checked against models/SHA256SUMS; a custom path is
        checked against ``expected_sha256`` when given; ``choice``: which bundled model (``bundled_model_file``). ``flip_average``: average each crop's softmax
        with its mirror's (an evaluation option, see the module docstring)."""
        self.flip_average = flip_average
        path = (
            verified_path(bundled_model_file(choice))
            if model_path is None
            else verify_file(model_path, expected_sha256)
        )
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
        if len(out_shape) != 2 or out_shape[1] not in (len(CLASSES), len(CLASSES) + 1):
            raise ModelError(
                f"mask model {path} has output shape {out_shape}, expected [N, {len(CLASSES)}] "
                f"or [N, {len(CLASSES) + 1}] (with not_face); "
                "it is not a Vigil mask classifier (reinstall Vigil or restore the file)"
            )
        self._input = inputs[0].name
        self._output = outputs[0].name
        self.has_verifier = out_shape[1] == len(CLASSES) + 1
        meta = self._session.get_modelmeta().custom_metadata_map
        self.not_face_threshold = float(meta.get("not_face_threshold", "0.5"))
        self.size_bins, self.size_min_conf = _size_gate(meta.get("min_confidence_by_size", ""))

    def min_confidence(self, face_px: float, cfg: AnalysisConfig) -> float:
        """Top probability a face of this size needs to be judged: the settings' bar for its size
        (``size_min_confidence``), raised to the model's own calibrated bar per size where it has one."""
        floor = size_min_confidence(face_px, cfg)
        if not self.size_min_conf:
            return floor
        k = int(np.searchsorted(np.asarray(self.size_bins), face_px, side="right"))
        return max(floor, self.size_min_conf[k])

    def classify(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, 3) float32 probabilities (mask, no_mask, incorrect), one batched call for all crops.

        With a verifier model these are renormalised over the three mask classes (given it is a face)."""
        probs = self.classify_full(crops)
        if probs.shape[1] > len(CLASSES):
            face = probs[:, : len(CLASSES)]
            probs = face / np.maximum(face.sum(axis=1, keepdims=True), 1e-9)
        return probs

    def classify_full(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, 3 or 4) raw model probabilities; the 4th, when present, is ``not_face``."""
        if not crops:
            width = len(CLASSES) + int(getattr(self, "has_verifier", False))
            return np.zeros((0, width), np.float32)
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
        judged = self.judge_round(frames, cfg, verify=False)
        return [[j if j is not None else (MaskState.UNCERTAIN, None) for j in row] for row in judged]

    def judge_round(
        self,
        frames: Sequence[tuple[np.ndarray, Sequence[Detection]]],
        cfg: AnalysisConfig,
        verify: bool = True,
    ) -> list[list[tuple[MaskState, Probs | None] | None]]:
        """Like ``classify_round``, but None for a box the verifier judges not a face (``verify`` and a
        model with a ``not_face`` output). Gated boxes are verified too, in the same batched call."""
        verify = verify and self.has_verifier
        crops: list[np.ndarray] = []
        slots: list[list[tuple[int, bool, float]]] = []
        for image, dets in frames:
            row: list[tuple[int, bool, float]] = []
            for det in dets:
                crop = crop_face(image, det.bbox, det.keypoints)
                gated = assess(det, crop, cfg) is not None
                if gated and not verify:
                    row.append((-1, True, det.bbox.size))
                    continue
                row.append((len(crops), gated, det.bbox.size))
                crops.append(crop)
            slots.append(row)
        full = self.classify_full(crops)
        face = full[:, : len(CLASSES)]
        if full.shape[1] > len(CLASSES):
            face = face / np.maximum(face.sum(axis=1, keepdims=True), 1e-9)
        out: list[list[tuple[MaskState, Probs | None] | None]] = []
        for row in slots:
            judged: list[tuple[MaskState, Probs | None] | None] = []
            for i, gated, size in row:
                if verify and full[i, len(CLASSES)] >= self.not_face_threshold:
                    judged.append(None)
                elif gated:
                    judged.append((MaskState.UNCERTAIN, None))
                else:
                    judged.append(_state(face[i], self.min_confidence(size, cfg)))
            out.append(judged)
        return out

    def is_face(self, image_bgr: np.ndarray, detections: Sequence[Detection]) -> list[bool]:
        """Per box: False where the verifier says it is not a face (``judge_round`` would drop it); all True
        for a model without a ``not_face`` output. One batched call."""
        if not self.has_verifier or not detections:
            return [True] * len(detections)
        full = self.classify_full([crop_face(image_bgr, d.bbox, d.keypoints) for d in detections])
        return [bool(p < self.not_face_threshold) for p in full[:, len(CLASSES)]]

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


def _size_gate(text: str) -> tuple[list[float], list[float]]:
    """``{"bins": [32, 64], "min_confidence": [a, b, c]}`` from the model metadata; empty when absent."""
    if not text:
        return [], []
    try:
        d = json.loads(text)
        bins = [float(b) for b in d["bins"]]
        conf = [float(c) for c in d["min_confidence"]]
    except (ValueError, KeyError, TypeError):
        log.warning("mask model metadata min_confidence_by_size is unreadable; using the setting alone")
        return [], []
    return (bins, conf) if len(conf) == len(bins) + 1 else ([], [])


def _state(p: np.ndarray, min_confidence: float) -> tuple[MaskState, Probs]:
    probs: Probs = (float(p[0]), float(p[1]), float(p[2]))
    k = int(np.argmax(p))
    if probs[k] < min_confidence:
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
