"""The row test's null: unrelated rows whose large entries fall in the same columns are not a match."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.lineage import fingerprint as F
from scanner.lineage import stats
from scanner.lineage.engine import candidate_pieces
from scanner.lineage.fingerprint import FingerprintOptions, fingerprint
from scanner.lineage.match import row_test, rows_combined
from scanner.parse.repo import parse_repo
from scanner.synthetic.repo import write_repo
from scanner.walk.walker import walk
from scanner.weights.reader import WeightFiles

ROWS, COLS = 512, 128


def spiky(seed: int) -> np.ndarray:
    """Gaussian rows, each with one entry ten times larger in a random column: the heavy tail of trained
    weights at its starkest. Two such matrices from different seeds are unrelated."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    w[np.arange(ROWS), rng.integers(0, COLS, ROWS)] = 10.0 * rng.choice([-1.0, 1.0], ROWS)
    return w * 0.02


def rows_fingerprint(root, name, matrices):
    tensors = {f"model.layers.{i}.mlp.up_proj.weight": m for i, m in enumerate(matrices)}
    listing = walk(write_repo(root / name, tensors, {"model_type": "llama", "hidden_size": COLS}))
    parsed = parse_repo(listing)
    pieces = candidate_pieces(parsed.tensors, parsed.config)
    options = FingerprintOptions(row_sketch_keys=lambda p: True, row_sample=None)
    with WeightFiles(listing.real_paths) as files:
        return fingerprint(files, pieces, options)


def component_p(candidate, reference) -> float:
    keys = sorted(candidate.rows)
    return float(stats.upper_p(rows_combined(row_test(candidate, reference, list(zip(keys, keys))))))


@pytest.fixture(scope="module")
def spiky_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("spiky")
    reference = [spiky(s) for s in (1, 2, 3)]
    rng = np.random.default_rng(9)
    permuted = [m[rng.permutation(ROWS)] * 1.01 for m in reference]
    return {name: rows_fingerprint(root, name, ms) for name, ms in
            (("reference", reference), ("unrelated", [spiky(s) for s in (11, 12, 13)]), ("permuted", permuted))}


def test_unrelated_spiky_rows_are_not_a_match(spiky_models):
    assert component_p(spiky_models["unrelated"], spiky_models["reference"]) > 0.01


def test_permuted_spiky_copy_is_still_found(spiky_models):
    assert component_p(spiky_models["permuted"], spiky_models["reference"]) < 1e-9


def test_unclipped_row_sketches_would_match_unrelated_spiky_rows(tmp_path, monkeypatch):
    """The failure the clipping prevents: without it the spikes' shared projection directions match."""
    monkeypatch.setattr(F, "ROW_CLIP", np.inf)
    reference = rows_fingerprint(tmp_path, "reference", [spiky(s) for s in (1, 2, 3)])
    unrelated = rows_fingerprint(tmp_path, "unrelated", [spiky(s) for s in (11, 12, 13)])
    assert component_p(unrelated, reference) < 1e-3
