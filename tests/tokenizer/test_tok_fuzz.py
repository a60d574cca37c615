"""Whatever bytes a tokenizer file holds, loading it returns a value and never raises."""

from __future__ import annotations

import json

import pytest
from tok_helpers import sentencepiece_bytes

from scanner.tokenizer import TokenKind, load_tokenizer

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
model_fields = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["BPE", "WordPiece", "Unigram", "WordLevel", "Other"]) | json_values,
    "vocab": st.dictionaries(st.text(max_size=4), st.integers(-1, 40) | json_values, max_size=8) | json_values,
    "merges": st.lists(st.text(max_size=5) | st.lists(st.text(max_size=3), max_size=3), max_size=5) | json_values,
    "byte_fallback": json_values,
    "unk_id": json_values,
})
documents = st.fixed_dictionaries({"model": model_fields | json_values}, optional={
    "added_tokens": st.lists(st.fixed_dictionaries({}, optional={
        "id": st.integers(-1, 40) | json_values, "content": json_values, "special": json_values,
    }), max_size=4) | json_values,
    "pre_tokenizer": json_values,
    "decoder": json_values,
    "normalizer": json_values,
})
settings = hypothesis.settings(max_examples=150, deadline=None,
                               suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])


def _loads_to_a_value(folder, name: str, data: bytes) -> None:
    (folder / name).write_bytes(data)
    load = load_tokenizer(folder, [name])
    assert load.status in ("present", "unreadable")
    assert (load.tokenizer is None) == (load.status == "unreadable")
    assert all(p.message.startswith(f"{name}: ") for p in load.problems)


@settings
@hypothesis.given(document=documents)
def test_any_tokenizer_json_structure(tmp_path, document):
    _loads_to_a_value(tmp_path, "tokenizer.json", json.dumps(document).encode())


@settings
@hypothesis.given(data=st.binary(max_size=300))
def test_any_model_file_bytes(tmp_path, data):
    _loads_to_a_value(tmp_path, "tokenizer.model", data)


VALID_MODEL = sentencepiece_bytes([("<unk>", TokenKind.UNKNOWN), ("\u2581a", TokenKind.NORMAL), ("<0x41>", TokenKind.BYTE)])


@settings
@hypothesis.given(position=st.integers(0, len(VALID_MODEL) - 1), value=st.integers(0, 255), cut=st.integers(1, len(VALID_MODEL)))
def test_damaged_sentencepiece_models(tmp_path, position, value, cut):
    damaged = bytearray(VALID_MODEL)
    damaged[position] = value
    _loads_to_a_value(tmp_path, "spiece.model", bytes(damaged[:cut]))


@settings
@hypothesis.given(text=st.text(alphabet="YQWJbg=+/ 0123456789\n\r-x", max_size=80))
def test_any_tiktoken_text(tmp_path, text):
    _loads_to_a_value(tmp_path, "vocab.tiktoken", text.encode())
