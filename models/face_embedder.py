"""Face embedding with any ArcFace-style ONNX model (112x112 aligned RGB in, 128-512-d vector out).

No model ships with Vigil: the settings name one (``analysis.embedding_model``, optionally pinned by
``analysis.embedding_sha256``). Faces are aligned from BlazeFace's keypoints to the standard ArcFace
5-point template (see ``align_face``), scaled as ``(x - 127.5) / 128`` and the output is L2-normalised, so
the dot product of two embeddings is their cosine similarity.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.domain import Keypoints
from app.errors import ModelError
from models.weights import sha256_file, verify_file

log = logging.getLogger(__name__)

FACE_SIZE = 112
MIN_DIM, MAX_DIM = 128, 512

# ArcFace / insightface reference landmarks for a 112x112 crop, in image coordinates:
# image-left eye (the subject's right), image-right eye, nose tip, mouth corners (image-left, image-right)
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
# the template's mouth centre, and its mouth width relative to its eye distance (to derive corners)
_MOUTH_CENTRE = ARCFACE_TEMPLATE[3:5].mean(axis=0)
_MOUTH_PER_EYES = float(
    np.linalg.norm(ARCFACE_TEMPLATE[4] - ARCFACE_TEMPLATE[3])
    / np.linalg.norm(ARCFACE_TEMPLATE[1] - ARCFACE_TEMPLATE[0])
)

ALIGNMENTS = ("4pt", "5pt")
DEFAULT_ALIGNMENT = "5pt"  # measured on the faces/ set (README "Watchlists, accounts and audit")


class FaceEmbedder(Protocol):
    """Turns aligned 112x112 RGB uint8 faces into L2-normalised float32 vectors, shape (N, dim)."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str:
        """Identifies the model (its SHA-256): embeddings of different models are not comparable."""
        ...

    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray: ...


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking ``src`` points onto ``dst``
    (Umeyama 1991), as a 2x3 matrix. Uses every point, unlike a RANSAC fit that may drop some of 4-5."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s**2).sum() / len(src)
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / var_s) if var_s > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def alignment_points(keypoints: Keypoints, method: str = DEFAULT_ALIGNMENT) -> tuple[np.ndarray, np.ndarray]:
    """(points in the frame, matching template points) for BlazeFace keypoints (right eye, left eye, nose
    tip, mouth centre, ...). ``4pt``: eyes, nose, mouth centre onto the template's mouth centre; ``5pt``:
    mouth corners derived along the eye line with the template's mouth-width ratio."""
    if len(keypoints) < 4:
        raise ValueError(f"alignment needs 4 face keypoints (eyes, nose, mouth), got {len(keypoints)}")
    kp = np.asarray(keypoints[:4], dtype=np.float64)
    if method == "4pt":
        return kp, np.vstack([ARCFACE_TEMPLATE[:3], _MOUTH_CENTRE])
    if method == "5pt":
        half = (kp[1] - kp[0]) * _MOUTH_PER_EYES / 2.0
        pts = np.vstack([kp[:3], kp[3] - half, kp[3] + half])
        return pts, ARCFACE_TEMPLATE
    raise ValueError(f"unknown alignment {method!r}; choose one of {ALIGNMENTS}")


def align_face(image_bgr: np.ndarray, keypoints: Keypoints, method: str = DEFAULT_ALIGNMENT) -> np.ndarray:
    """The face warped onto the 112x112 ArcFace template, as RGB uint8 (what the embedder wants)."""
    src, dst = alignment_points(keypoints, method)
    m = similarity_transform(src, dst)
    crop = cv2.warpAffine(image_bgr, m, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


def ort_providers() -> list[str]:
    """Execution providers: ``VIGIL_ORT_PROVIDER`` (e.g. ``CUDAExecutionProvider``) if available, then CPU."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    wanted = os.environ.get("VIGIL_ORT_PROVIDER", "").strip()
    out = []
    if wanted:
        if wanted in available:
            out.append(wanted)
        else:
            log.warning("VIGIL_ORT_PROVIDER=%s is not available (have: %s); using CPU", wanted, available)
    if "CPUExecutionProvider" not in out:
        out.append("CPUExecutionProvider")
    return out


class OnnxFaceEmbedder:
    """An ArcFace-style ONNX model through ONNX Runtime; checked by SHA-256 (when given) and shape at load.
    Models with a fixed batch of 1 are run face by face, others in one call. One instance per thread."""

    def __init__(self, path: Path | str, sha256: str = "", threads: int = 1) -> None:
        p = Path(path).expanduser()
        if not str(path).strip():
            raise ModelError(
                "no face embedding model is configured; set analysis.embedding_model in the settings to an "
                "ArcFace-style .onnx file (112x112 RGB input), e.g. one fetched with 'vigil watchlist fetch-model'"
            )
        verify_file(p, sha256 or None)
        self._model_id = sha256.lower() if sha256 else sha256_file(p)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(p), sess_options=opts, providers=ort_providers())
        except Exception as exc:  # ORT raises its own types with C++ text
            raise ModelError(f"cannot load the face embedding model {p}: {exc}") from exc
        self._input, self._batch, self._dim = self._check_shapes(p)
        self.path = p

    def _check_shapes(self, p: Path) -> tuple[str, int | None, int]:
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        shape = list(inputs[0].shape) if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1] != 3 or shape[2] != FACE_SIZE or shape[3] != FACE_SIZE:
            raise ModelError(
                f"{p} is not a face embedding model: its input is {shape or [i.shape for i in inputs]}, "
                f"expected [N, 3, {FACE_SIZE}, {FACE_SIZE}] (an ArcFace-style model such as MobileFaceNet)"
            )
        out = list(outputs[0].shape)
        dim = out[-1] if out else None
        if len(out) != 2 or not isinstance(dim, int) or not MIN_DIM <= dim <= MAX_DIM:
            raise ModelError(
                f"{p} outputs shape {out}, expected [N, D] with D between {MIN_DIM} and {MAX_DIM}; "
                "choose an ArcFace-style face embedding model"
            )
        batch = shape[0] if isinstance(shape[0], int) else None
        return inputs[0].name, batch, dim

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        return self._model_id

    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        if not faces:
            return np.zeros((0, self._dim), dtype=np.float32)
        x = np.stack([f.astype(np.float32) for f in faces])  # (N, 112, 112, 3) RGB
        x = ((x - 127.5) / 128.0).transpose(0, 3, 1, 2)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self._batch is None:
            out = self._session.run(None, {self._input: x})[0]
        else:  # fixed batch (usually 1): run in chunks of that size
            step = self._batch
            parts = []
            for i in range(0, len(x), step):
                chunk = x[i : i + step]
                n = len(chunk)
                if n < step:
                    chunk = np.concatenate([chunk, np.zeros((step - n, *chunk.shape[1:]), np.float32)])
                parts.append(self._session.run(None, {self._input: chunk})[0][:n])
            out = np.concatenate(parts)
        return l2_normalise(np.asarray(out, dtype=np.float32).reshape(len(faces), -1))


def l2_normalise(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)
