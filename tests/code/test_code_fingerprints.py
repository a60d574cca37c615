"""Normalised tokens, winnowing and similarity: robust to editing, silent on unrelated code, never crashing."""

from __future__ import annotations

import random
from pathlib import Path

from scanner.code.known import KnownCodeFile, KnownCodeGroup
from scanner.code.similarity import MIN_SHARED, containment, similar_code
from scanner.code.tokens import normalised_tokens
from scanner.code.winnow import K, W, fingerprint, winnow

from code_samples import MOE, reworked


def test_layout_comments_names_and_literals_do_not_matter():
    a = "def f(x):\n    # add one\n    return x + 1  # done\n"
    b = "def   renamed( value ) :\n\n\n        return value+2\n"
    assert normalised_tokens(a) == normalised_tokens(b) == ["def", "V", "(", "V", ")", ":", "return", "V", "+", "N"]
    assert normalised_tokens("print(len('abc'))") == ["print", "(", "len", "(", "S", ")", ")"]


def test_tokenizer_accepts_anything():
    for text in ('"""never closed', "x = '\n", "\x00\x01 def", "€ λ = 3", "", "0x1F + 1e-6j"):
        assert isinstance(normalised_tokens(text), list)
    assert normalised_tokens("0x1F + 1e-6j") == ["N", "+", "N"]


def test_winnowing_keeps_a_hash_of_every_long_enough_shared_passage():
    rng = random.Random(3)
    vocabulary = ["V", "(", ")", ".", "=", "N", "S", "+", "return", "if", ":", ","]
    shared = [rng.choice(vocabulary) for _ in range(K + W - 1)]
    left = [rng.choice(vocabulary) for _ in range(300)] + shared + [rng.choice(vocabulary) for _ in range(300)]
    right = [rng.choice(vocabulary[:6]) for _ in range(50)] + shared
    assert winnow(left) & winnow(right)


def test_fingerprints_are_deterministic_and_short_files_keep_all_hashes():
    assert fingerprint(MOE) == fingerprint(MOE)
    assert fingerprint("x = 1\n" * 8).hashes == frozenset()  # 24 tokens: shorter than one k-gram
    short = fingerprint("def f(a, b):\n    return [a + b for _ in range(3)] or {a: b}\n")
    assert short.tokens == K + 2 and len(short.hashes) == 3


def test_containment_is_high_for_a_reworked_copy_and_a_partial_copy():
    original = fingerprint(MOE)
    score, shared = containment(fingerprint(reworked(MOE)), original)
    assert score > 0.9 and shared > 100
    half = MOE[: len(MOE) // 2]
    score, _ = containment(fingerprint(half + "\n" + Path(__file__).read_text()), original)
    assert score > 0.3


def test_similar_code_applies_both_floors_and_orders_best_first():
    group = KnownCodeGroup(group="g", name="g", project="p/q", origin="test", license="MIT", organisation="o", country=None,
                           copyright_holder=None, files=(
                               KnownCodeFile(path="moe.py", sha256="0", fingerprint=fingerprint(MOE)),
                               KnownCodeFile(path="tiny.py", sha256="0", fingerprint=fingerprint("x = 1\n")),
                           ))
    matches = similar_code(fingerprint(MOE), [group])
    assert [m.key for m in matches] == ["g:moe.py"] and matches[0].score == 1.0
    assert all(m.shared >= MIN_SHARED for m in matches)
    own = (Path(__file__).parents[2] / "scanner" / "synthetic" / "models.py").read_text()
    assert similar_code(fingerprint(own), [group]) == []
