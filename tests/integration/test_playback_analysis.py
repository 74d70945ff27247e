"""MomentAnalyser on real frames of a shared clip with the real export models (in this process: the Qt tests
use the child-process detector): newer frames replace waiting ones (stale work dropped, the newest analysed),
a jump to another segment is analysed too, and models that cannot load give one clear reason instead of an exception."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.clips.export_analysis import AnalysisModels, default_models
from app.errors import ModelError
from app.playback.analysed import MomentAnalyser
from app.playback.decoder import DecodedFrame
from models.face_detector import FaceDetector

CLIP = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "video" / "man_no_mask_360p.mp4"
pytestmark = pytest.mark.skipif(not CLIP.exists(), reason=f"needs the shared test videos ({CLIP} is missing)")
T0 = 1772370000.0


def _frames(n: int) -> list[DecodedFrame]:
    cap = cv2.VideoCapture(str(CLIP))
    out = []
    try:
        for i in range(n):
            ok, img = cap.read()
            assert ok
            out.append(DecodedFrame("cam1", T0 + i / 25, i, np.ascontiguousarray(img), 1))
    finally:
        cap.release()
    return out


def _settle(a: MomentAnalyser, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while a.pending("cam1") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not a.pending("cam1")


def test_newer_frames_replace_waiting_ones_and_the_newest_is_analysed() -> None:
    frames = _frames(40)
    a = MomentAnalyser(default_models())
    try:
        a.request(frames[0])
        _settle(a)  # models loaded
        first = a.latest("cam1")
        assert first is not None and first.result is not None and first.result.faces
        before = a.analysed
        for f in frames[1:]:  # a burst, faster than analysis: like playing at 16x
            a.request(f)
        _settle(a)
        last = a.latest("cam1")
        assert last is not None and last.at == frames[-1].at  # the newest frame won
        assert a.analysed - before < len(frames) - 1  # frames that waited were dropped, not queued
        assert last.result is not None and last.result.faces
        a.request(DecodedFrame("cam1", T0 + 600.0, 0, frames[5].image, 2))  # a jump to another segment
        _settle(a)
        jumped = a.latest("cam1")
        assert jumped is not None and jumped.at == T0 + 600.0 and jumped.result is not None and jumped.result.faces
    finally:
        a.close()


def _no_model() -> FaceDetector:
    raise ModelError("face detection model file is missing: blaze_face_full_range.tflite")


def test_models_that_cannot_load_give_a_reason_not_an_exception() -> None:
    a = MomentAnalyser(AnalysisModels(_no_model))
    try:
        a.request(_frames(1)[0])
        _settle(a, 10.0)
        moment = a.latest("cam1")
        assert moment is not None and moment.result is None
        assert "model file is missing" in moment.error and "model file is missing" in a.error
    finally:
        a.close()
