"""Real faces (shared data, MobileFaceNet): alignment + embedding identify the right people and no
stranger; bad input (non-image, no face, several faces, wrong model) gives clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from app.domain import MatchDecision
from app.errors import ModelError, UserError
from app.watchlist.faces import FaceChoiceError, embed_images, make_enrolment_detector, read_image
from app.watchlist.gallery import Gallery, IdentityInfo
from models.face_embedder import OnnxFaceEmbedder, align_face
from models.weights import sha256_file


@pytest.fixture(scope="module")
def faces_dir(shared_data: Path) -> Path:
    return shared_data / "faces"


@pytest.fixture(scope="module")
def model_path(shared_data: Path) -> Path:
    return shared_data / "models" / "MobileFaceNet.onnx"


@pytest.fixture(scope="module")
def embedder(model_path: Path) -> OnnxFaceEmbedder:
    return OnnxFaceEmbedder(model_path)


@pytest.fixture(scope="module")
def detector():
    d = make_enrolment_detector()
    yield d
    d.close()


def _gallery(faces_dir: Path, detector, embedder, names: list[str]) -> Gallery:
    infos, vectors = {}, []
    for iid, name in enumerate(names):
        infos[iid] = IdentityInfo(iid, name, 1, "banned", "#ff0000", 0.40, 0.10)
        paths = sorted((faces_dir / "gallery" / name).iterdir())
        vectors += [(iid, f.embedding) for f in embed_images(paths, detector, embedder)]
    return Gallery(infos, vectors)


def test_embedder_output_is_unit_length_and_batch_of_one_model_is_handled(
    faces_dir, detector, embedder
) -> None:
    found = embed_images(sorted((faces_dir / "gallery" / "barack_obama").iterdir()), detector, embedder)
    assert embedder.dim == 128 and len(found) == 2
    vecs = np.stack([f.embedding for f in found])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    image = read_image(faces_dir / "gallery" / "barack_obama" / "obama.jpg")
    crop = align_face(image, found[0].detection.keypoints)
    assert crop.shape == (112, 112, 3)
    one_by_one = np.stack([embedder.embed([crop])[0] for _ in range(3)])
    batched = embedder.embed([crop, crop, crop])  # the model's batch is fixed at 1
    assert np.allclose(one_by_one, batched, atol=1e-5)
    assert float(vecs[0] @ vecs[1]) > 0.5  # two photos of one person


def test_probes_identify_the_enrolled_people_and_strangers_stay_unmatched(
    faces_dir, detector, embedder
) -> None:
    g = _gallery(faces_dir, detector, embedder, ["barack_obama", "joe_biden"])
    cases = {"two_people.jpg": {1: 1, 0: 1}, "obama-240p.jpg": {0: 1}, "obama_partial_face.jpg": {0: 1}}
    for name, expected in cases.items():
        image = read_image(faces_dir / "probe" / name)
        got: dict[int, int] = {}
        for det in detector.detect(image):
            m = g.decide(embedder.embed([align_face(image, det.keypoints)])[0])
            assert m is not None and m.decision is MatchDecision.MATCH, name
            assert m.margin > 0.3
            got[m.identity_id] = got.get(m.identity_id, 0) + 1
        assert got == expected, name
    # Kit Harington and Rose Leslie are not enrolled: no match, not even uncertain
    for name in ("kit_with_rose.jpg", "johnsnow_test1.jpg", "alex_lacamoire1.jpg"):
        image = read_image(faces_dir / "probe" / name)
        dets = detector.detect(image)
        assert dets, name
        for det in dets:
            assert g.decide(embedder.embed([align_face(image, det.keypoints)])[0]) is None, name


def test_bad_images_are_refused_with_clear_messages(faces_dir, detector, embedder, tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    with pytest.raises(UserError, match="notes.jpg is not an image"):
        embed_images([text], detector, embedder)
    with pytest.raises(UserError, match="cannot read"):
        embed_images([tmp_path / "missing.jpg"], detector, embedder)
    blank = tmp_path / "wall.png"
    import cv2

    cv2.imwrite(str(blank), np.full((240, 320, 3), 128, np.uint8))
    with pytest.raises(FaceChoiceError, match="no face found in .*wall.png"):
        embed_images([blank], detector, embedder)
    two = faces_dir / "probe" / "two_people.jpg"
    with pytest.raises(
        FaceChoiceError, match=r"shows 2 faces: \[0\] box \(\d+,\d+\)-\(\d+,\d+\).*\[1\] box"
    ) as err:
        embed_images([two], detector, embedder)
    assert len(err.value.faces) == 2
    with pytest.raises(FaceChoiceError, match="there is no face 5"):
        embed_images([two], detector, embedder, face_index=5)
    chosen = embed_images([two], detector, embedder, face_index=1)
    assert chosen[0].detection == err.value.faces[1]


def _model(path: Path, in_shape: list, out_dim: int) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [in_shape[0], out_dim])
    flat = int(np.prod([d for d in in_shape[1:]]))
    w = helper.make_tensor("w", TensorProto.FLOAT, [flat, out_dim], np.random.default_rng(0).normal(size=flat * out_dim).astype(np.float32).tolist())  # fmt: skip
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("MatMul", ["f", "w"], ["y"])],
        "m", [x], [y], [w],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every onnxruntime we support
    onnx.save(model, str(path))
    return path


def test_wrong_models_are_refused_at_load(tmp_path: Path, model_path: Path) -> None:
    with pytest.raises(ModelError, match=r"expected \[N, 3, 112, 112\]"):
        OnnxFaceEmbedder(_model(tmp_path / "mask.onnx", [1, 3, 64, 64], 128))
    with pytest.raises(ModelError, match="D between 128 and 512"):
        OnnxFaceEmbedder(_model(tmp_path / "small.onnx", [1, 3, 112, 112], 3))
    with pytest.raises(ModelError, match="SHA-256"):
        OnnxFaceEmbedder(model_path, sha256="0" * 64)
    with pytest.raises(ModelError, match="not found"):
        OnnxFaceEmbedder(tmp_path / "nothing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load"):
        OnnxFaceEmbedder(junk)
    assert OnnxFaceEmbedder(model_path, sha256=sha256_file(model_path)).dim == 128


def test_dynamic_batch_model_runs_in_one_call(tmp_path: Path) -> None:
    emb = OnnxFaceEmbedder(_model(tmp_path / "dyn.onnx", ["N", 3, 112, 112], 256))
    faces = [np.random.default_rng(i).integers(0, 255, (112, 112, 3), dtype=np.uint8) for i in range(4)]
    out = emb.embed(faces)
    assert out.shape == (4, 256) and np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.allclose(out[2], emb.embed([faces[2]])[0], atol=1e-4)
