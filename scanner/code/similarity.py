"""Which known code a file resembles, and how much of it.

The score is the containment of the smaller fingerprint in the larger: the share of the smaller
file's kept hashes that the other file also has. It is 1.0 when one file contains the other
(a verbatim copy, or a copy with renamed identifiers), about the share of copied passages when
only part was taken, and close to 0 for independent code. Two floors keep chance out: at least
``MIN_SHARED`` shared hashes (unrelated code measured at most 6) and a score of ``MIN_SCORE``.

Similar code is code reuse. It is reported apart from weight reuse and says nothing about the
weights: a model trained from scratch may well run on another project's inference code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner.code.known import KnownCodeFile, KnownCodeGroup
from scanner.code.winnow import CodeFingerprint

MIN_SHARED = 20
MIN_SCORE = 0.15
MAX_MATCHES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeMatch:
    """A known file a candidate file resembles."""

    group: KnownCodeGroup
    file: KnownCodeFile
    score: float
    shared: int

    @property
    def key(self) -> str:
        """How the match is named in the report: '<group>:<path>'."""
        return f"{self.group.group}:{self.file.path}"


def containment(a: CodeFingerprint, b: CodeFingerprint) -> tuple[float, int]:
    """(score, shared hashes) of two fingerprints."""
    if not a.hashes or not b.hashes:
        return 0.0, 0
    shared = len(a.hashes & b.hashes)
    return shared / min(len(a.hashes), len(b.hashes)), shared


def similar_code(candidate: CodeFingerprint, groups: Sequence[KnownCodeGroup]) -> list[CodeMatch]:
    """Known files the candidate resembles, best first (at most ``MAX_MATCHES``)."""
    matches = []
    for group in groups:
        for known in group.files:
            score, shared = containment(candidate, known.fingerprint)
            if shared >= MIN_SHARED and score >= MIN_SCORE:
                matches.append(CodeMatch(group=group, file=known, score=round(score, 3), shared=shared))
    matches.sort(key=lambda m: (-m.score, -m.shared, m.key))
    return matches[:MAX_MATCHES]
