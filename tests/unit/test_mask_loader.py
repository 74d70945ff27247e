"""The mask-model loader's error paths, on tiny ONNX models made here with onnx.helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.errors import ModelError, UserError
from models.mask_classifier import MaskClassifier, choose_providers
from models.weights import sha256_file

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402


def tiny_model(path: Path, side: int = 64) -> Path:
    """[N,3,side,side] -> global average pool -> 3x3 matmul -> softmax [N,3]."""
    weights = helper.make_tensor("w", TensorProto.FLOAT, [3, 3], [1, 0, 0, 0, 2, 0, 0, 0, 3])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 3])
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["crops"], ["pooled"]),
            helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("crops", TensorProto.FLOAT, ["n", 3, side, side])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["n", 3])],
        initializer=[weights, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_tiny_model_loads_and_classifies_a_batch(tmp_path):
    clf = MaskClassifier(tiny_model(tmp_path / "ok.onnx"), providers=["cpu"])
    crops = [np.full((64, 64, 3), v, np.uint8) for v in (0, 10, 200)]
    probs = clf.classify(crops)
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # brighter crops push the softmax towards the class with the biggest weight (incorrect)
    assert probs[2, 2] > probs[1, 2] > probs[0, 2]
    assert clf.classify([]).shape == (0, 3)


def test_wrong_input_shape_is_a_clear_model_error(tmp_path):
    with pytest.raises(ModelError, match=r"expected one float tensor \[N, 3, 64, 64\]"):
        MaskClassifier(tiny_model(tmp_path / "small.onnx", side=32))


def test_corrupt_file_is_a_model_error(tmp_path):
    bad = tmp_path / "corrupt.onnx"
    bad.write_bytes(b"\x08\x07this is not a protobuf" * 20)
    with pytest.raises(ModelError, match="cannot load mask model .*corrupt"):
        MaskClassifier(bad)


def test_truncated_real_model_is_a_model_error(tmp_path):
    good = tiny_model(tmp_path / "ok.onnx")
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ModelError):
        MaskClassifier(cut)


def test_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        MaskClassifier(tmp_path / "nope.onnx")


def test_checksum_mismatch_is_a_model_error(tmp_path):
    path = tiny_model(tmp_path / "ok.onnx")
    MaskClassifier(path, expected_sha256=sha256_file(path))  # the right sum loads
    with pytest.raises(ModelError, match="SHA-256"):
        MaskClassifier(path, expected_sha256="0" * 64)


def test_provider_choice_env_override_and_typos(monkeypatch):
    monkeypatch.setenv("VIGIL_ORT_PROVIDER", "cpu")
    assert choose_providers() == ["CPUExecutionProvider"]
    # a provider this build lacks falls back to CPU (with a warning), never crashes the station
    monkeypatch.setenv("VIGIL_ORT_PROVIDER", "dml")
    assert choose_providers()[-1] == "CPUExecutionProvider"
    with pytest.raises(UserError, match="unknown ONNX Runtime provider"):
        choose_providers(["fastest"])
