"""Detector factories for the child-process detector tests. They must be top-level functions of an
importable module: the ``spawn`` child imports them by name."""

from __future__ import annotations

import os
import time

import numpy as np

from app.domain import Detection
from app.errors import ModelError
from models.face_detector import FaceDetector


class _SilentDetector:
    """Never answers: stands for a MediaPipe call that hangs."""

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        time.sleep(3600)
        return []

    def close(self) -> None:
        pass


def make_silent_detector() -> FaceDetector:
    return _SilentDetector()


def make_dying_detector() -> FaceDetector:
    """The child process ends at once, every time it is started (a crash while loading the model)."""
    os._exit(3)


def make_broken_model() -> FaceDetector:
    raise ModelError("cannot load face model blazeface/test.tflite: checksum differs; reinstall Vigil")
