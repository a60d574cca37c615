"""Per-tensor fingerprints of a model, computed in one streaming pass.

For every canonical piece (see ``canonical``) the pass records:

* a BLAKE3 hash of its stored bytes and of its values rounded to bfloat16 — verbatim copies are
  found even when renamed or cast between float dtypes;
* mean, standard deviation and element count;
* for matrices, the 32 x 32 centred sketch (see ``sketch``); for vectors (norm gains, biases) a
  32-value centred sketch plus the mean, kept as context only;
* optionally, per-row sketches of selected matrices (of the rows winsorised, see ``_PieceState._capture``;
  to survive neuron and head permutations) and
  token-keyed rows of embedding matrices (to survive vocabulary extension and reordering).

The fingerprint holds no weights: 1024 projected numbers per matrix cannot be inverted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import blake3
import numpy as np
from threadpoolctl import threadpool_limits

from scanner.lineage.canonical import Piece, rotary_alternatives
from scanner.lineage.sketch import K, project_rows, projection, row_signatures
from scanner.progress import NoProgress, Progress
from scanner.weights.dtypes import decode, round_to_bf16
from scanner.weights.reader import CHUNK_BYTES, Scale, WeightFiles, row_chunks

WORKERS = 2
ROW_SAMPLE = 512
LARGE_VECTOR = 1 << 20
TOKEN_SAMPLE = 2048
MAX_NONFINITE = 0.01  # fraction of NaN/Inf elements a tensor may have and still be sketched
ROW_CLIP = 2.5        # row sketches are of rows winsorised at this many times their RMS (see _PieceState._capture)
CONSTANT_TOL = 1e-4   # sketch norm off the all-ones direction, relative to the mean's, below which a matrix is constant
_TOKEN_KEY = b"fromscratch token key v1\x00\x00\x00\x00\x00\x00\x00\x00"[:32]


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorPrint:
    """What the fingerprint records about one canonical piece."""

    key: str
    name: str
    component: str
    role: str
    layer: int | None
    expert: int | None
    shape: tuple[int, ...]
    dtype: str
    kind: str
    raw_hash: str
    norm_hash: str
    mean: float
    std: float
    numel: int
    note: str = ""
    transformations: tuple[str, ...] = ()
    nonfinite: int = 0  # NaN/Inf elements; below ``MAX_NONFINITE`` they are replaced by the mean and the tensor still counts

    @property
    def usable(self) -> bool:
        return not self.note


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFingerprint:
    """Every piece's record and the sketch arrays, keyed by piece key."""

    tensors: tuple[TensorPrint, ...]
    matrices: dict[str, np.ndarray] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    rows: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    tokens: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    alternatives: dict[str, tuple[tuple[str, np.ndarray], ...]] = field(default_factory=dict)

    def by_component(self) -> dict[str, list[TensorPrint]]:
        out: dict[str, list[TensorPrint]] = {}
        for t in self.tensors:
            out.setdefault(t.component, []).append(t)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FingerprintOptions:
    """Which optional sketches to take."""

    row_sketch_keys: Callable[[Piece], bool] = lambda piece: False
    row_sample: int | None = ROW_SAMPLE  # None = every row (candidate-side permutation search)
    vocab: Sequence[bytes | None] | None = None  # canonical token bytes by id, for token-keyed embedding rows
    rotary_head_dims: tuple[int, ...] = ()  # try these rotary row orders on q/k (candidate side)
    only_keys: frozenset[str] | None = None  # restrict the pass to these pieces (second pass)


def token_hash(token: bytes | None) -> int:
    """Keyed 64-bit hash of a token's canonical bytes (see ``scanner.tokenizer``); which tokens are sampled
    depends on nothing but the token, so two vocabularies sample the same shared tokens. Unknown
    tokens (``None``) hash to the maximum and are never sampled."""
    if token is None:
        return (1 << 64) - 1
    return int.from_bytes(blake3.blake3(token, key=_TOKEN_KEY).digest(8), "little")


def select_tokens(vocab: Sequence[bytes | None], k: int = TOKEN_SAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, token hashes) of the k vocabulary entries with the smallest keyed hashes, sorted by hash."""
    hashes = np.fromiter((token_hash(t) for t in vocab), dtype=np.uint64, count=len(vocab))
    order = np.argsort(hashes, kind="stable")[:k]
    order = order[hashes[order] != np.uint64((1 << 64) - 1)]
    return order.astype(np.int64), hashes[order]


def fingerprint(files: WeightFiles, pieces: Sequence[Piece], options: FingerprintOptions | None = None,
                progress: Progress | None = None) -> ModelFingerprint:
    """Stream every piece's source tensor once and fingerprint its pieces."""
    options = options or FingerprintOptions()
    progress = progress or NoProgress()
    by_source: dict[tuple[str, str], list[Piece]] = {}
    for p in pieces:
        if options.only_keys is not None and p.key not in options.only_keys:
            continue
        by_source.setdefault((p.source.file, p.source.name), []).append(p)
    total = sum(group[0].source.end - group[0].source.start for group in by_source.values())
    files.open_all({p.source.file for p in pieces})
    progress.begin("fingerprinting weights", total)
    acc = _Collector()

    def one(group: list[Piece]) -> _Collector:
        part = _Collector()
        _fingerprint_source(files, group, options, part)
        return part

    # Tensors are fingerprinted two at a time, each on one BLAS thread: hashing, decoding and
    # projecting then keep both cores busy. Each tensor's sums run in one fixed order, so the
    # result does not depend on the scheduling.
    try:
        with threadpool_limits(1), ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for group, part in zip(by_source.values(), pool.map(one, by_source.values())):
                acc.merge(part)
                progress.advance(group[0].source.end - group[0].source.start)
    finally:
        progress.end()
    return acc.result()


class _Collector:
    def __init__(self) -> None:
        self.prints: list[TensorPrint] = []
        self.matrices: dict[str, np.ndarray] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.tokens: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.alternatives: dict[str, tuple[tuple[str, np.ndarray], ...]] = {}

    def merge(self, other: _Collector) -> None:
        self.prints += other.prints
        for name in ("matrices", "vectors", "rows", "tokens", "alternatives"):
            getattr(self, name).update(getattr(other, name))

    def result(self) -> ModelFingerprint:
        return ModelFingerprint(tensors=tuple(sorted(self.prints, key=lambda t: t.key)), matrices=self.matrices,
                                vectors=self.vectors, rows=self.rows, tokens=self.tokens, alternatives=self.alternatives)


def _stored_view(files: WeightFiles, piece: Piece) -> np.ndarray:
    """The stored 2-D array a piece is cut from (experts selected, N-D kernels flattened, vectors as one row)."""
    raw = files.raw(piece.source)
    if piece.expert is not None and raw.ndim == 3:
        raw = raw[piece.expert]
    if raw.ndim == 1:
        if raw.size > LARGE_VECTOR and raw.size % 1024 == 0:  # stream it; only hashed (see Piece.kind)
            return raw.reshape(-1, 1024)
        return raw.reshape(1, -1)
    if raw.ndim > 2:
        return raw.reshape(raw.shape[0], -1)
    return raw


def _scale(files: WeightFiles, piece: Piece, stored_rows: int, stored_cols: int) -> Scale | None:
    if piece.scale is None:
        return None
    values = decode(files.raw(piece.scale), piece.scale.dtype).astype(np.float32)
    if piece.scale.name.endswith(".SCB"):
        values = values / 127.0
    if values.size == 1:
        return Scale(values=np.full(stored_rows, float(values.ravel()[0]), np.float32), block=0)
    if values.ndim >= 1 and values.shape[0] == stored_rows and values.size == stored_rows:
        return Scale(values=values.reshape(stored_rows), block=0)
    if values.ndim == 2:
        block = math.ceil(stored_rows / values.shape[0])
        if math.ceil(stored_cols / block) == values.shape[1]:
            return Scale(values=values, block=block)
    return None


class _PieceState:
    """Running sums of one piece while its rows stream past."""

    def __init__(self, piece: Piece, stored_rows: int, stored_cols: int, options: FingerprintOptions,
                 expected_norm_hash: bool, streamed: bool) -> None:
        self.piece = piece
        self.shared_norm_hash: str | None = None
        # a piece cut from a tensor (fused split, one expert) hashes its own stored bytes when they are contiguous
        own_region = (piece.rows is not None and not piece.transpose) or piece.expert is not None
        self.raw_hasher = blake3.blake3() if streamed and own_region else None
        if len(piece.source.shape) == 1:  # a vector is stored as one row; its "rows" are elements
            self.r0, self.r1 = 0, stored_rows
            self.c0, self.c1 = piece.rows if piece.rows else (0, stored_cols)
        elif piece.transpose:
            self.r0, self.r1 = 0, stored_rows
            self.c0, self.c1 = piece.rows if piece.rows else (0, stored_cols)
        else:
            self.r0, self.r1 = piece.rows if piece.rows else (0, stored_rows)
            self.c0, self.c1 = 0, stored_cols
        n_rows, n_cols = self.r1 - self.r0, self.c1 - self.c0
        self.is_matrix = piece.kind == "matrix"
        self.is_vector = piece.kind == "vector"
        self.total = 0.0
        self.squares = 0.0
        self.count = 0
        self.nonfinite = 0
        self.n_cols = n_cols
        self.norm_hasher = blake3.blake3() if expected_norm_hash else None
        self.sketch = np.zeros((K, K), np.float64) if self.is_matrix else None
        self.vector: np.ndarray | None = None
        self.col_proj = projection(n_cols) if self.is_matrix else None
        row_proj = projection(n_rows).astype(np.float64) if self.is_matrix else None
        if row_proj is not None and piece.row_order is not None:
            row_proj = row_proj[np.argsort(piece.row_order)]
        self.row_proj = row_proj
        self.alts: list[tuple[str, np.ndarray, np.ndarray]] = []
        if self.is_matrix and options.rotary_head_dims and piece.role in ("attn.q", "attn.k") and not piece.transpose:
            base = projection(n_rows).astype(np.float64)
            for label, order in rotary_alternatives(n_rows, options.rotary_head_dims):
                self.alts.append((label, base[np.argsort(order)], np.zeros((K, K), np.float64)))
        # a row sketch of a row shorter than 2K values could be solved back for the row
        wide_rows = self.is_matrix and not piece.transpose and n_cols >= 2 * K
        self.want_rows = wide_rows and options.row_sketch_keys(piece)
        self.row_pick = None
        if self.want_rows:
            n = n_rows if options.row_sample is None else min(options.row_sample, n_rows)
            self.row_pick = np.unique(np.linspace(0, n_rows - 1, n).round().astype(np.int64))
            self.row_values = np.zeros((len(self.row_pick), K), np.float32)
        self.token_ids = None
        if wide_rows and options.vocab is not None and piece.role in ("embed", "lm_head"):
            vocab = list(options.vocab)[:n_rows]
            ids, hashes = select_tokens(vocab)
            order = np.argsort(ids)
            self.token_ids, self.token_hashes = ids[order], hashes[order]
            self.token_values = np.zeros((len(ids), K), np.float32)

    def feed(self, first_row: int, chunk: np.ndarray, raw: np.ndarray) -> None:
        lo, hi = max(first_row, self.r0), min(first_row + len(chunk), self.r1)
        if lo >= hi:
            return
        block = chunk[lo - first_row: hi - first_row, self.c0:self.c1]
        if self.raw_hasher is not None:
            region = np.ascontiguousarray(raw[lo - first_row: hi - first_row, self.c0:self.c1])
            self.raw_hasher.update(region.reshape(-1).view(np.uint8))
        if self.norm_hasher is not None and not self.piece.transpose:
            self.norm_hasher.update(round_to_bf16(np.ascontiguousarray(block)).reshape(-1).view(np.uint8))
        if self.is_matrix:
            flat = block.reshape(-1) if block.flags.c_contiguous else None
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow sends the chunk to _repaired
                squares = float(np.dot(flat, flat) if flat is not None else np.einsum("ij,ij->", block, block))
                total = float(np.dot(flat, _ones(flat.size)) if flat is not None else block.sum(dtype=np.float64))
            squares = squares if math.isfinite(total) else math.inf
        else:  # vectors and small tensors are a tiny share of a model: exact float64 sums cost nothing
            block = block.astype(np.float64)
            squares = float(np.dot(block.ravel(), block.ravel()))
        if not math.isfinite(squares):  # NaN/Inf, or finite values whose squares overflow float32
            block, squares = self._repaired(block)
        self.squares += squares
        self.count += block.size
        if not self.is_matrix:
            self.total += float(block.sum())
            if self.is_vector:
                self.vector = block.ravel().copy() if self.vector is None else np.concatenate([self.vector, block.ravel()])
            return
        self.total += total if block.dtype == np.float32 else float(block.sum())  # float64: a repaired chunk
        projected = project_rows(block)
        wide = projected.astype(np.float64)
        rows = slice(lo - self.r0, hi - self.r0)
        self.sketch += self.row_proj[rows].T @ wide
        for _label, proj, acc in self.alts:
            acc += proj[rows].T @ wide
        if self.row_pick is not None:
            self._capture(self.row_pick, self.row_values, lo - self.r0, block, clipped=True)
        if self.token_ids is not None:
            self._capture(self.token_ids, self.token_values, lo - self.r0, projected)

    def _repaired(self, block: np.ndarray) -> tuple[np.ndarray, float]:
        """The rare slow path for a chunk whose sum of squares is not finite: in float64 (huge finite values
        no longer overflow), with NaN/Inf elements counted and replaced by the running mean of the values
        before them, so one poisoned element per matrix cannot hide a copy."""
        wide = block.astype(np.float64)
        finite = np.isfinite(wide)
        bad = wide.size - int(np.count_nonzero(finite))
        if bad:
            good = wide[finite]
            wide[~finite] = (self.total + float(good.sum())) / max(self.count + good.size, 1)
            self.nonfinite += bad
        return wide, float(np.dot(wide.ravel(), wide.ravel()))

    @staticmethod
    def _capture(wanted: np.ndarray, store: np.ndarray, start: int, values: np.ndarray, clipped: bool = False) -> None:
        """Store the chunk's rows among ``wanted`` (sorted row numbers): already projected rows, or, with
        ``clipped``, the sketches of the raw rows winsorised at ``ROW_CLIP`` times their RMS.

        A heavy-tailed entry makes a row's sketch point along that column's projection direction,
        which is the same in every model of that width, so unrelated models with outliers in the same
        columns would share row matches that no rotation null can see. Clipping at a multiple of the
        row's own RMS removes that, and keeps what the row test needs: equal rows stay equal, and a
        row scaled by a positive factor (a function-preserving neuron rescaling) keeps its direction.
        """
        lo = np.searchsorted(wanted, start)
        hi = np.searchsorted(wanted, start + len(values))
        if hi <= lo:
            return
        rows = values[wanted[lo:hi] - start]
        if clipped:
            limit = ROW_CLIP * np.sqrt(np.mean(np.square(rows, dtype=np.float64), axis=1, keepdims=True))
            rows = project_rows(np.clip(rows, -limit, limit).astype(np.float32))
        store[lo:hi] = rows

    def finish(self, dtype: str, raw_hash: str, shared_norm_hash: str | None, acc: _Collector) -> None:
        piece = self.piece
        n = max(self.count, 1)
        mean = self.total / n
        std = math.sqrt(max(self.squares / n - mean * mean, 0.0))
        # the sketch of an all-ones matrix (row permutations do not change it): the part centring removes
        ones = np.outer(self.row_proj.sum(axis=0), self.col_proj.sum(axis=0, dtype=np.float64)) if self.is_matrix else None
        note = self._note(mean, std, ones)
        if note.startswith("is constant"):
            std = 0.0
        norm_hash = self.norm_hasher.hexdigest() if (self.norm_hasher and not piece.transpose) else (shared_norm_hash or raw_hash)
        kind = piece.kind
        acc.prints.append(TensorPrint(
            key=piece.key, name=piece.source.name, component=piece.component, role=piece.role, layer=piece.layer,
            expert=piece.expert, shape=piece.shape, dtype=dtype, kind=kind, raw_hash=raw_hash, norm_hash=norm_hash,
            mean=_context(mean), std=_context(std),
            numel=self.count, note=note, transformations=piece.transformations, nonfinite=self.nonfinite))
        if note:
            return
        if ones is not None:
            centred = self.sketch - mean * ones
            acc.matrices[piece.key] = (centred.T if piece.transpose else centred).astype(np.float32)
            if self.alts:
                acc.alternatives[piece.key] = tuple(
                    (label, (a - mean * ones).astype(np.float32)) for label, _proj, a in self.alts)
            if self.row_pick is not None:
                kept, values = row_signatures(self.row_values, self.n_cols)
                acc.rows[piece.key] = (self.row_pick[kept].astype(np.int32), values)
            if self.token_ids is not None:
                order = np.argsort(self.token_hashes)
                kept, values = row_signatures(self.token_values[order], self.n_cols)
                acc.tokens[piece.key] = (self.token_hashes[order][kept], values)
        elif self.is_vector and self.vector is not None and len(self.vector) >= 2 * K:  # shorter: invertible
            centred = self.vector.astype(np.float64) - mean
            acc.vectors[piece.key] = (centred @ projection(len(centred)).astype(np.float64)).astype(np.float32)

    def _note(self, mean: float, std: float, ones: np.ndarray | None) -> str:
        """Why the piece cannot be evidence, or "" when it can.

        A matrix is constant when its sketch is, up to rounding, a multiple of the all-ones matrix's
        sketch: free, and exact where a float32 sum of squares (or the float32 row sums behind the mean)
        is not. Every constant matrix of a shape has that same sketch direction, so one left in would
        match every other.
        """
        if self.nonfinite and self.nonfinite >= MAX_NONFINITE * self.count:
            return (f"contains {self.nonfinite} NaN or Inf values ({self.nonfinite / self.count:.2%} of "
                    f"{self.count}); excluded from the evidence")
        if self.count == 0:
            return "is empty; nothing to compare"
        if self.count == 1:
            return "has a single element; nothing to compare"
        if ones is not None:
            unit = ones / (float(np.linalg.norm(ones)) or 1.0)
            rest = self.sketch - float(np.sum(self.sketch * unit)) * unit
            constant = float(np.linalg.norm(rest)) <= CONSTANT_TOL * abs(mean) * float(np.linalg.norm(ones))
        else:
            constant = std <= 1e-12 * max(1.0, abs(mean))
        return "is constant (zero variance); excluded from the evidence" if constant else ""


@lru_cache(maxsize=1)
def _ones_buffer() -> np.ndarray:
    return np.ones(CHUNK_BYTES // 4, np.float32)


def _ones(n: int) -> np.ndarray:
    """n float32 ones, a view of one shared buffer when a chunk fits it (a chunk's sum is a dot product
    with it: as fast as the sum of squares, and summed in the same blocked order)."""
    return _ones_buffer()[:n] if n <= CHUNK_BYTES // 4 else np.ones(n, np.float32)


def _context(value: float) -> float:
    """A summary statistic as recorded: 6 significant digits, 0 when not finite.

    Mean and std are context, never evidence; rounding them keeps a rebuilt fingerprint byte-identical
    when a different BLAS kernel changes the last bits of a sum.
    """
    return float(f"{value:.6g}") if math.isfinite(value) else 0.0


def _fingerprint_source(files: WeightFiles, pieces: list[Piece], options: FingerprintOptions, acc: _Collector) -> None:
    """Fingerprint all pieces cut from one stored tensor (one expert at a time for packed experts).

    Hashes are taken from the same chunks as the sketches, in one pass over the data, whenever the
    stored bytes are plain arrays and every expert is read; otherwise the tensor's bytes are hashed
    in a separate bounded pass first.
    """
    source = pieces[0].source
    skip = pieces[0].skip
    by_view: dict[int | None, list[Piece]] = {}
    for p in sorted(pieces, key=lambda p: -1 if p.expert is None else p.expert):
        by_view.setdefault(p.expert, []).append(p)
    every_expert = None in by_view or sorted(by_view) == list(range(source.shape[0] if source.shape else 0))
    streamed = not skip and every_expert and isinstance(files.raw(source), np.ndarray)
    full = blake3.blake3()
    if not streamed:
        files.hash_bytes(source, full)
    done: list[_PieceState] = []
    for _expert, group in ({} if skip else by_view).items():
        view = _stored_view(files, group[0])
        stored_rows, stored_cols = view.shape
        needs_norm = source.dtype != "BF16"
        states = [_PieceState(p, stored_rows, stored_cols, options, needs_norm, streamed) for p in group]
        shared = blake3.blake3() if needs_norm and any(p.transpose for p in group) else None
        scale = _scale(files, group[0], stored_rows, stored_cols)
        for first, chunk, raw in row_chunks(view, source.dtype, scale, CHUNK_BYTES, prefault=files.prefault):
            if streamed:
                full.update(raw.reshape(-1).view(np.uint8))
            if shared is not None:
                shared.update(round_to_bf16(chunk).reshape(-1).view(np.uint8))
            for state in states:
                state.feed(first, chunk, raw)
            files.release(raw)
        for state in states:
            state.shared_norm_hash = shared.hexdigest() if shared else None
        done += states
    raw_hash_full = full.hexdigest()
    if skip:
        for p in pieces:
            acc.prints.append(TensorPrint(
                key=p.key, name=source.name, component=p.component, role=p.role, layer=p.layer, expert=p.expert,
                shape=p.shape, dtype=source.dtype, kind=p.kind, raw_hash=raw_hash_full, norm_hash=raw_hash_full,
                mean=0.0, std=0.0, numel=math.prod(p.shape), note=skip, transformations=p.transformations))
        return
    for state in done:
        raw_hash = state.raw_hasher.hexdigest() if state.raw_hasher is not None else raw_hash_full
        state.finish(source.dtype, raw_hash, state.shared_norm_hash, acc)
