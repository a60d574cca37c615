"""PyTorch pickles: tensors located without unpickling, imports graded, payloads reported and never run."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import weight_files as W
from safetensors.numpy import load_file

from scanner.formats.pickle_vm import MAX_STACK, trace_pickle
from scanner.formats.torch_checkpoint import read_pickle_file
from scanner.lineage.engine import fingerprint_reference, run_lineage
from scanner.lineage.match import Reference
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress
from scanner.report.model import FileStatus, WeightRelation
from scanner.walk.walker import walk
from scanner.weights.reader import WeightFiles


class RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class EvaluatesCode:
    def __reduce__(self):
        return builtins.exec, ("open('should-not-exist', 'w').write('x')",)


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    root = tmp_path_factory.mktemp("pickle-refs")
    refs = []
    for label, seed in (("original", 1), ("unrelated", 7)):
        listing = walk(W.reference_repo(root / label, W.model(seed)))
        parsed = parse_repo(listing)
        refs.append(Reference(label, fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, None,
                                                           NoProgress())))
    return refs


@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_checkpoints_are_read_without_unpickling_and_matched(tmp_path, references, layout):
    original = W.model(1)
    transposed = "model.layers.0.mlp.up_proj.weight"
    W.write_torch(tmp_path / "pytorch_model.bin", original, layout=layout, transpose=(transposed,))
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    reading = parsed.format_readings[0]
    assert reading.format == f"pytorch-{layout}" and reading.status == FileStatus.READ
    assert "imports all on the allow-list" in reading.note and not reading.imports
    tensors = {t.name: t for t in parsed.tensors}
    assert set(tensors) == set(original)
    assert tensors[transposed].transposed and tensors[transposed].shape == original[transposed].shape[::-1]
    with WeightFiles(listing.real_paths) as files:
        np.testing.assert_array_equal(files.raw(tensors["model.layers.2.self_attn.k_proj.weight"]),
                                      original["model.layers.2.self_attn.k_proj.weight"])
        np.testing.assert_array_equal(files.raw(tensors[transposed]).T, original[transposed])
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, references, None, NoProgress())
    relations = {l.catalog_id: l.relation for l in result.lineage["text"]}
    assert relations == {"original": WeightRelation.IDENTICAL, "unrelated": WeightRelation.INDEPENDENT}


def test_real_all_minilm_as_a_pytorch_checkpoint_is_identical_to_the_catalog_entry(minilm_safetensors, bundled_references,
                                                                                    tmp_path):
    W.write_torch(tmp_path / "pytorch_model.bin", load_file(str(minilm_safetensors)), wrap="model")
    listing = walk(tmp_path)
    parsed = parse_repo(listing)
    assert "tensors taken from 'model'" in parsed.format_readings[0].note
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, bundled_references, None, NoProgress())
    text = {l.catalog_id: l for l in result.lineage["text"]}
    assert text["all-minilm-l6-v2"].relation == WeightRelation.IDENTICAL


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_reduce_payload_is_reported_and_never_run(tmp_path, protocol):
    marker = tmp_path / "PWNED"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(RunsCommand(f"touch {marker}"), protocol=protocol))
    reading = read_pickle_file(path, "model.pkl")
    assert not marker.exists()
    assert [(i.qualified, i.risk) for i in reading.imports] == [(f"{os.system.__module__}.system", "dangerous")]
    assert any(p.code == "pickle.dangerous-import" for p in reading.problems)
    assert "DANGEROUS imports" in reading.note and "never executed" in reading.note


def test_a_payload_inside_a_checkpoint_is_reported_and_its_tensors_still_read(tmp_path):
    marker = tmp_path / "PWNED"
    W.write_torch(tmp_path / "model.ckpt", W.model(1), wrap="state_dict", evil_command=f"touch {marker}")
    reading = read_pickle_file(tmp_path / "model.ckpt", "model.ckpt")
    assert not marker.exists()
    assert {i.qualified for i in reading.imports} == {f"{os.system.__module__}.system"}
    assert len(reading.tensors) == len(W.model(1))


def test_exec_and_unknown_classes_are_graded(tmp_path):
    path = tmp_path / "mixed.pkl"
    path.write_bytes(pickle.dumps({"a": EvaluatesCode(), "b": zipfile.ZipInfo("x")}, protocol=4))
    reading = read_pickle_file(path, "mixed.pkl")
    assert {(i.qualified, i.risk) for i in reading.imports} == {("builtins.exec", "dangerous"),
                                                                ("zipfile.ZipInfo", "unknown")}
    assert not (Path.cwd() / "should-not-exist").exists()


def test_the_scanner_never_imports_what_a_pickle_names(tmp_path, monkeypatch):
    marker = tmp_path / "IMPORTED"
    (tmp_path / "fromscratch_canary.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Thing: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "canary.pkl"
    path.write_bytes(b"\x80\x02cfromscratch_canary\nThing\n)\x81.")
    reading = read_pickle_file(path, "canary.pkl")
    assert [(i.qualified, i.risk) for i in reading.imports] == [("fromscratch_canary.Thing", "unknown")]
    assert not marker.exists() and "fromscratch_canary" not in sys.modules


def test_a_zip_bomb_is_reported_and_not_decompressed(tmp_path):
    path = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", bytes(64 << 20))
    assert path.stat().st_size < 1 << 20
    reading = read_pickle_file(path, "pytorch_model.bin")
    assert any(p.code == "zip.bomb" for p in reading.problems)
    assert any(p.code == "pickle.unchecked" for p in reading.problems)
    assert reading.tensors == ()


def test_a_member_declaring_an_impossible_size_is_not_read(tmp_path):
    path = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (3 << 30).to_bytes(4, "little")  # uncompressed size: 3 GiB
    path.write_bytes(bytes(data))
    reading = read_pickle_file(path, "pytorch_model.bin")
    assert {"zip.bomb", "pickle.too-large"} & {p.code for p in reading.problems}


def test_deep_nesting_and_huge_stacks_stop_evaluation_but_not_the_import_scan(tmp_path):
    depth = MAX_STACK + 10
    payload = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"cposix\nsystem\n" + b"0."
    trace = trace_pickle(payload)
    assert not trace.complete and "stack deeper" in trace.error
    assert [(i.module, i.name) for i in trace.imports] == [("posix", "system")]
    path = tmp_path / "deep.pkl"
    path.write_bytes(b"\x80\x02" + b"]" * 5000 + b"a" * 4999 + b".")
    reading = read_pickle_file(path, "deep.pkl")
    assert reading.status == FileStatus.READ and reading.tensors == ()


@pytest.mark.parametrize("content, status", [
    (b"\x80\x02}q\x00(X\x01\x00\x00\x00a", FileStatus.READ),  # truncated pickle
    (bytes(range(256)) * 4, FileStatus.LISTED),  # not a pickle at all
    (b"PK\x03\x04garbage", FileStatus.UNREADABLE),  # a broken zip
])
def test_damaged_files_are_problems_not_crashes(tmp_path, content, status):
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    reading = read_pickle_file(path, "x.bin")
    assert reading.status == status


def test_a_damaged_member_header_is_a_problem_and_the_checkpoint_still_read(tmp_path):
    path = W.write_torch(tmp_path / "pytorch_model.bin", W.model(1))
    data = bytearray(path.read_bytes())
    name = data.find(b"archive/byteorder")  # the first occurrence is the member's local header
    data[name + len("archive/")] ^= 1  # 'byteorder' -> 'cyteorder': zipfile refuses the member
    path.write_bytes(bytes(data))
    reading = read_pickle_file(path, "pytorch_model.bin")
    assert reading.status == FileStatus.READ and len(reading.tensors) == len(W.model(1))
    damaged = [p for p in reading.problems if p.code == "zip.member-unreadable"]
    assert len(damaged) == 1 and damaged[0].message.startswith("pytorch_model.bin: archive/byteorder cannot be read")


def _short_unicode(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


ROT13_SYSTEM = (b"\x80\x04" + _short_unicode("_codecs") + _short_unicode("encode") + b"\x93\x94"  # memo 0: encode
                + _short_unicode("bf") + _short_unicode("rot13") + b"\x86R"  # encode('bf', 'rot13') == 'os'
                + b"h\x00" + _short_unicode("flfgrz") + _short_unicode("rot13") + b"\x86R"  # 'system'
                + b"\x93" + _short_unicode("echo hi") + b"\x85R.")  # os.system('echo hi')


def test_a_global_computed_at_load_time_is_dangerous(tmp_path):
    imported = []

    class Recorder(pickle.Unpickler):  # proves the payload is real without running it
        def find_class(self, module, name):
            imported.append((module, name))
            return super().find_class(module, name) if module == "_codecs" else (lambda *args: None)

    Recorder(io.BytesIO(ROT13_SYSTEM)).load()
    assert imported[-1] == ("os", "system")
    path = tmp_path / "model.pkl"
    path.write_bytes(ROT13_SYSTEM)
    reading = read_pickle_file(path, "model.pkl")
    assert {(i.qualified, i.risk) for i in reading.imports} == {
        ("<computed>.<computed>", "dangerous"),
        ("_codecs.encode('bf', 'rot13')", "unknown"), ("_codecs.encode('flfgrz', 'rot13')", "unknown")}
    assert any(p.code == "pickle.dangerous-import" for p in reading.problems)


def test_codecs_encode_is_allowed_with_latin1_only(tmp_path):
    path = tmp_path / "bytes.pkl"
    path.write_bytes(pickle.dumps(b"\x00\x01bytes", protocol=2))  # how protocol 2 stores bytes
    assert [(c.module, c.name, c.args) for c in trace_pickle(path.read_bytes()).calls] == [
        ("_codecs", "encode", ("\x00\x01bytes", "latin1"))]
    reading = read_pickle_file(path, "bytes.pkl")
    assert reading.imports == () and "imports all on the allow-list" in reading.note


def test_globals_are_still_named_or_flagged_after_evaluation_stops():
    stopped = b"\x80\x040"  # POP on an empty stack: evaluation stops here
    named = trace_pickle(stopped + _short_unicode("posix") + b"\x94" + _short_unicode("system") + b"\x93"
                         + b"h\x00" + _short_unicode("popen") + b"\x93.")
    assert not named.complete and [(i.module, i.name) for i in named.imports] == [("posix", "system"), ("posix", "popen")]
    computed = trace_pickle(stopped + _short_unicode("_codecs") + _short_unicode("encode") + b"\x93"
                            + _short_unicode("bf") + _short_unicode("rot13") + b"\x86R" + _short_unicode("system")
                            + b"\x93.")
    assert [(i.module, i.name) for i in computed.imports][-1] == ("<computed>", "<computed>")


def test_a_legacy_pickle_larger_than_the_bound_is_reported_unchecked(tmp_path, monkeypatch):
    monkeypatch.setattr("scanner.formats.torch_checkpoint.MAX_PICKLE_BYTES", 4096)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(["padding " * 1000, RunsCommand("echo hi")], protocol=2))
    reading = read_pickle_file(path, "model.pkl")
    assert reading.imports == ()  # the payload lies past the bound, so it was not reached ...
    unchecked = [p for p in reading.problems if p.code == "pickle.unchecked"]
    assert [p.message for p in unchecked] == [  # ... and the report says so
        "model.pkl: the pickle at byte 0 runs past 4096 bytes; what follows byte 4096 was not checked for imports"]
    assert "1 pickles could not be checked" in reading.note and "allow-list" not in reading.note
