"""Normalised fingerprints of the catalog's reference texts, built once per process.

A reference is kept three ways: its words (for the word-level diff that finds changed passages),
a set of hashed word triples (for a fast shortlist by set overlap), and the key sequences it may
legitimately be reduced to (without its optional passages) for an exact-match lookup. Building all
of them takes a fraction of a second, so it happens lazily on the first identification.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from scanner.errors import DataFileError
from scanner.licenses.catalog import all_licenses, reference_text
from scanner.licenses.model import LicenseInfo
from scanner.licenses.normalize import Words, words

SHINGLE = 3


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference text of a catalog licence (its main text, a variant or a companion)."""

    license_id: str
    path: str
    words: Words
    shingles: frozenset[int]
    optional: tuple[tuple[int, int], ...]
    is_variant: bool


def shingles(keys: tuple[str, ...]) -> frozenset[int]:
    """Hashed overlapping word triples (a short text yields its single tuple)."""
    if len(keys) < SHINGLE:
        return frozenset({hash(keys)}) if keys else frozenset()
    return frozenset(hash(keys[i : i + SHINGLE]) for i in range(len(keys) - SHINGLE + 1))


def _find(keys: tuple[str, ...], phrase: tuple[str, ...], start: int = 0) -> int:
    first = phrase[0]
    for i in range(start, len(keys) - len(phrase) + 1):
        if keys[i] == first and keys[i : i + len(phrase)] == phrase:
            return i
    return -1


def _optional_ranges(info: LicenseInfo, path: str, ref: Words) -> tuple[tuple[int, int], ...]:
    ranges = []
    for passage in info.optional_passages:
        start_phrase = words(passage.start).keys
        begin = _find(ref.keys, start_phrase)
        if begin < 0:
            raise DataFileError(f"{info.id}: optional passage start {passage.start!r} is not in {path}")
        end = len(ref.keys)
        if passage.end is not None:
            end = _find(ref.keys, words(passage.end).keys, begin + len(start_phrase))
            if end < 0:
                raise DataFileError(f"{info.id}: optional passage end {passage.end!r} is not in {path}")
        ranges.append((begin, end))
    return tuple(sorted(ranges))


def _reference(info: LicenseInfo, path: str, *, is_variant: bool, with_optional: bool) -> Reference:
    ref_words = words(reference_text(path))
    optional = _optional_ranges(info, path, ref_words) if with_optional else ()
    return Reference(
        license_id=info.id,
        path=path,
        words=ref_words,
        shingles=shingles(ref_words.keys),
        optional=optional,
        is_variant=is_variant,
    )


@cache
def references() -> tuple[Reference, ...]:
    """Main texts and variants of every catalog licence, in catalog order."""
    refs = []
    for info in all_licenses():
        refs.append(_reference(info, info.text, is_variant=False, with_optional=True))
        refs.extend(_reference(info, path, is_variant=True, with_optional=True) for path in info.variants)
    return tuple(refs)


@cache
def companions() -> tuple[Reference, ...]:
    """Texts often appended to a licence (its use policy), tagged with the licence they belong to."""
    return tuple(
        _reference(info, path, is_variant=True, with_optional=False)
        for info in all_licenses()
        for path in info.companions
    )


def _without(keys: tuple[str, ...], ranges: tuple[tuple[int, int], ...]) -> tuple[str, ...]:
    kept: list[str] = []
    cursor = 0
    for begin, end in ranges:
        kept.extend(keys[cursor:begin])
        cursor = end
    kept.extend(keys[cursor:])
    return tuple(kept)


@cache
def exact_index() -> dict[tuple[str, ...], Reference]:
    """Normalised key sequences that are, word for word, a reference (optionally minus its optional passages)."""
    index: dict[tuple[str, ...], Reference] = {}
    for ref in references():
        index.setdefault(ref.words.keys, ref)
        if ref.optional:
            index.setdefault(_without(ref.words.keys, ref.optional), ref)
    return index
