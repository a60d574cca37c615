"""Broken, hostile and oversized tokenizer files come back as one-line problems naming the file."""

from __future__ import annotations

import json

import pytest
from tok_helpers import sentencepiece_bytes

from scanner.report.model import Severity
from scanner.tokenizer import TokenEncoding, TokenKind, load_tokenizer, tokenizer_from_vocab
from scanner.tokenizer.files import MAX_FILE_BYTES

GOOD_MODEL = {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}


def _tokenizer_json(**changes) -> str:
    data = {"model": dict(GOOD_MODEL), "added_tokens": [{"id": 3, "content": "<s>", "special": True}]}
    data.update(changes)
    return json.dumps(data)


def _unreadable(tmp_path, files: dict[str, str | bytes], expected_code: str, expected_text: str):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    load = load_tokenizer(tmp_path, list(files))
    assert load.status == "unreadable" and load.tokenizer is None
    (problem,) = load.problems
    assert problem.code == expected_code
    assert problem.severity is Severity.ERROR
    assert problem.message.startswith(problem.file + ": ")
    assert "\n" not in problem.message
    assert expected_text in problem.message
    return problem


BAD_TOKENIZER_JSON = [
    ("{not json", "json.invalid", "invalid JSON at line 1"),
    ("[1, 2]", "tokenizer.invalid", "expected a JSON object, found list"),
    (json.dumps({"added_tokens": []}), "tokenizer.invalid", "has no 'model' object"),
    (json.dumps({"model": {"type": "Magic", "vocab": {}}}), "tokenizer.invalid", "model type 'Magic' is not supported"),
    (json.dumps({"model": {"type": "BPE", "vocab": ["a", "b"], "merges": []}}), "tokenizer.invalid", "model.vocab is list"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}}), "tokenizer.invalid", "is not an integer"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": True}, "merges": []}}), "tokenizer.invalid", "is not an integer"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}), "tokenizer.invalid", "outside 0.."),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": 1 << 40}, "merges": []}}), "tokenizer.invalid", "outside 0.."),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}), "tokenizer.invalid", "gives id 0 to two tokens"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": {"a": "b"}}}), "tokenizer.invalid", "model.merges is not a list"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}), "tokenizer.invalid", "model.merges[0]"),
    (json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", 1]]}}), "tokenizer.invalid", "neither 'a b' nor"),
    (json.dumps({"model": {"type": "Unigram", "vocab": [["a", 0.0], "b"]}}), "tokenizer.invalid", "model.vocab[1] is not"),
    (_tokenizer_json(added_tokens={"id": 3}), "tokenizer.invalid", "added_tokens is not a list"),
    (_tokenizer_json(added_tokens=[{"id": 3, "content": 7}]), "tokenizer.invalid", "added_tokens[0].content"),
    (_tokenizer_json(added_tokens=[{"id": "x", "content": "<s>"}]), "tokenizer.invalid", "added_tokens[0]: token id 'x'"),
    (_tokenizer_json(added_tokens=[{"id": 3, "content": "<s>", "special": "yes"}]), "tokenizer.invalid", "special is not"),
    ("[" * 100_000 + "]" * 100_000, "json.invalid", "nest"),
]


@pytest.mark.parametrize(("content", "code", "text"), BAD_TOKENIZER_JSON)
def test_bad_tokenizer_json(tmp_path, content, code, text):
    problem = _unreadable(tmp_path, {"tokenizer.json": content}, code, text)
    assert problem.file == "tokenizer.json"


def test_tokenizer_json_that_is_not_utf8(tmp_path):
    _unreadable(tmp_path, {"tokenizer.json": b'{"model": "\xff\xfe"}'}, "json.encoding", "is not UTF-8")


def test_token_longer_than_the_limit(tmp_path):
    content = json.dumps({"model": {"type": "WordLevel", "vocab": {"x" * 70_000: 0}}})
    _unreadable(tmp_path, {"tokenizer.json": content}, "tokenizer.limit", "token 0 is 70000 bytes long")


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "tokenizer.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk and is never read
    load = load_tokenizer(tmp_path, ["tokenizer.json"])
    (problem,) = load.problems
    assert load.status == "unreadable" and problem.code == "json.too-large"
    assert problem.message.startswith("tokenizer.json: is 209715201 bytes")


def test_oversized_model_file_is_refused(tmp_path):
    with open(tmp_path / "tokenizer.model", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    load = load_tokenizer(tmp_path, ["tokenizer.model"])
    assert load.status == "unreadable" and load.problems[0].code == "tokenizer.too-large"


def test_listed_file_that_is_missing(tmp_path):
    load = load_tokenizer(tmp_path, ["tokenizer.json"])
    assert load.status == "unreadable"
    assert load.problems[0].code == "file.unreadable"
    assert load.problems[0].message.startswith("tokenizer.json: cannot be read")


def test_paths_outside_the_repository_are_refused(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "tokenizer.json").write_text(_tokenizer_json())
    load = load_tokenizer(tmp_path / "repo", ["../tokenizer.json"])
    assert load.status == "unreadable"
    assert load.problems[0].code == "tokenizer.path"


@pytest.mark.parametrize(("files", "code", "text"), [
    ({"vocab.json": "[]", "merges.txt": "a b\n"}, "tokenizer.invalid", "expected a JSON object of token -> id"),
    ({"vocab.json": '{"a": 0, "b": 0}', "merges.txt": ""}, "tokenizer.invalid", "id 0 is given to two tokens"),
    ({"vocab.json": '{"a": 0}', "merges.txt": "#version: 0.2\na b\nabc\n"}, "tokenizer.invalid", "line 3"),
    ({"vocab.json": '{"a": 0}', "merges.txt": b"a \xff\n"}, "tokenizer.encoding", "is not UTF-8"),
    ({"vocab.txt": ""}, "tokenizer.invalid", "holds no tokens"),
    ({"vocab.txt": b"ok\n\xc3\x28\n"}, "tokenizer.encoding", "is not UTF-8 (byte 3)"),
    ({"tokenizer.model": b"\x0a\xff\xff\xff\x0f"}, "tokenizer.invalid", "not a SentencePiece model"),
    ({"tokenizer.model": b"\x0b\x01"}, "tokenizer.invalid", "not a SentencePiece model"),
    ({"tokenizer.model": b""}, "tokenizer.invalid", "no pieces"),
    ({"spiece.model": b"\x0a\x03\x0a\x01\xff"}, "tokenizer.encoding", "piece 0 is not UTF-8"),
    ({"spiece.model": b"\x0a\x02\x18\x09"}, "tokenizer.invalid", "piece 0 has unknown type 9"),
    ({"spiece.model": b"\x0a\x02\x18\x01"}, "tokenizer.invalid", "piece 0 has no text"),
    ({"qwen.tiktoken": "YQ== 0\nYg== x\n"}, "tokenizer.invalid", "line 2 is not '<base64 token> <rank>'"),
    ({"qwen.tiktoken": "YQ== 0\nYg== 0\n"}, "tokenizer.invalid", "rank 0 appears twice"),
    ({"qwen.tiktoken": "YQ== 0\nY=Q 1\n"}, "tokenizer.invalid", "line 2"),
    ({"qwen.tiktoken": "YQ== 0\nYQ 1\n"}, "tokenizer.invalid", "not valid base64"),
    ({"qwen.tiktoken": "YQ== 0\nYg== 99999999999\n"}, "tokenizer.invalid", "line 2"),
])
def test_bad_files_of_other_formats(tmp_path, files, code, text):
    _unreadable(tmp_path, files, code, text)


def test_a_broken_preferred_file_falls_back_to_the_next_format(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{", encoding="utf-8")
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1, "ab": 2}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("a b\n", encoding="utf-8")
    load = load_tokenizer(tmp_path, ["tokenizer.json", "vocab.json", "merges.txt"])
    assert load.status == "present"
    assert load.tokenizer.source_format == "vocab.json+merges.txt"
    (problem,) = load.problems
    assert (problem.file, problem.code, problem.severity) == ("tokenizer.json", "json.invalid", Severity.WARNING)


@pytest.mark.parametrize(("name", "content", "text"), [
    ("tokenizer_config.json", "{", "invalid JSON"),
    ("tokenizer_config.json", '{"added_tokens_decoder": []}', "added_tokens_decoder is not an object"),
    ("tokenizer_config.json", '{"added_tokens_decoder": {"x": {"content": "<s>"}}}', "the key is not a token id"),
    ("tokenizer_config.json", '{"added_tokens_decoder": {"²": {"content": "<s>"}}}', "the key is not a token id"),
    ("tokenizer_config.json", '{"added_tokens_decoder": {"5": {"content": 5}}}', "has no string 'content'"),
    ("tokenizer_config.json", '{"bos_token": 5}', "bos_token is neither a string"),
    ("tokenizer_config.json", '{"additional_special_tokens": "<s>"}', "neither a list nor an object"),
    ("special_tokens_map.json", '["<s>"]', "expected a JSON object"),
    ("added_tokens.json", '{"<x>": "5"}', "is not an integer"),
])
def test_a_broken_config_file_is_a_warning_and_ignored(tmp_path, name, content, text):
    (tmp_path / "tokenizer.json").write_text(_tokenizer_json(), encoding="utf-8")
    (tmp_path / name).write_text(content, encoding="utf-8")
    load = load_tokenizer(tmp_path, ["tokenizer.json", name])
    assert load.status == "present"
    assert load.tokenizer.files == ("tokenizer.json",)
    (problem,) = load.problems
    assert problem.file == name and problem.severity is Severity.WARNING
    assert text in problem.message and problem.message.endswith("its added and special tokens are ignored")


def test_config_tokens_complete_a_vocabulary_and_conflicts_are_noted(tmp_path):
    (tmp_path / "tokenizer.json").write_text(_tokenizer_json(), encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({
        "added_tokens_decoder": {"3": {"content": "<other>", "special": True}, "4": {"content": "<pad>", "special": True}},
        "eos_token": {"content": "ab", "__type": "AddedToken"},
    }), encoding="utf-8")
    load = load_tokenizer(tmp_path, ["tokenizer.json", "tokenizer_config.json"])
    assert load.tokenizer.keys == (b"a", b"b", b"ab", b"<s>", b"<pad>")
    assert load.tokenizer.special_tokens == ((2, "ab"), (3, "<s>"), (4, "<pad>"))
    (problem,) = load.problems
    assert (problem.code, problem.severity) == ("tokenizer.config-conflict", Severity.INFO)
    assert "id 3 is '<s>' but the tokenizer config says '<other>'" in problem.message


def test_added_tokens_json_extends_a_gpt2_vocabulary(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("a b\n", encoding="utf-8")
    (tmp_path / "added_tokens.json").write_text('{"<x y>": 2}', encoding="utf-8")
    load = load_tokenizer(tmp_path, ["vocab.json", "merges.txt", "added_tokens.json"])
    assert load.tokenizer.keys == (b"a", b"b", b"<x y>")
    assert load.tokenizer.added_tokens == 1
    assert load.tokenizer.files == ("vocab.json", "merges.txt", "added_tokens.json")


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"tokens": ["a", 5]}, "token 1 is int, not a string"),
    ({"tokens": ["a", "b"], "token_types": [1]}, "2 tokens but 1 token types"),
    ({"tokens": ["a", "b"], "token_types": [1, 9]}, "token 1 has unknown token type 9"),
    ({"tokens": ["a", "b"], "token_types": [1, "1"]}, "token 1 has unknown token type '1'"),
    ({"tokens": ["a", "b"], "merges": ["a b", "ab"]}, "merge 1: merge 'ab' is not two tokens"),
])
def test_bad_gguf_arrays(kwargs, text):
    load = tokenizer_from_vocab(**kwargs, model_type="BPE", encoding=TokenEncoding.BYTE_LEVEL, file="m.gguf")
    assert load.status == "unreadable" and load.tokenizer is None
    (problem,) = load.problems
    assert problem.file == "m.gguf" and problem.message.startswith("m.gguf: ")
    assert text in problem.message


def test_truncated_sentencepiece_piece_is_refused(tmp_path):
    data = sentencepiece_bytes([("a", TokenKind.NORMAL), ("b", TokenKind.NORMAL)])
    _unreadable(tmp_path, {"tokenizer.model": data[:7]}, "tokenizer.invalid", "truncated or malformed")
