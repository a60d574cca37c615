"""Identify a licence text against the catalog, and say exactly where it departs from it.

Steps, cheapest first:

1. **exact** — the normalised words equal a reference text (or a reference without its optional
   passages): a dictionary lookup.
2. **shortlist** — overlap of hashed word triples ranks every reference; the few that contain at least
   half of their triples in the text go on.
3. **diff** — each shortlisted reference is aligned word by word with the text
   (``difflib.SequenceMatcher``). The best-aligned one wins. Its unmatched passages are sorted into
   harmless ones (a leading heading that names the licence, the licence's own use policy appended
   and itself aligned word by word, another complete catalog licence, an optional preamble or
   appendix left out) and real changes. Words written *into* an optional passage are changes too.

A text with real changes is reported as "<id> with modifications": ``modified`` is set, the
expression is withheld and the changed passages are quoted. Like licensee (GitHub's matcher), this
refuses to call a text the pristine licence when terms were added — a licence with one extra
sentence ("no commercial use") is a different licence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

from scanner.licenses.catalog import get_license
from scanner.licenses.fingerprint import (
    Reference,
    companions,
    exact_index,
    references,
    shingles,
)
from scanner.licenses.model import (
    Alternative,
    LicenseIdentification,
    Method,
    TextChange,
)
from scanner.licenses.normalize import DUTY_WORDS, Words, words

SHORTLIST = 4
MIN_CONTAINMENT = 0.5
MIN_COVERAGE = 0.6
TITLE_MAX_WORDS = 8
COMPANION_MIN_WORDS = 20
COMPANION_MIN_OVERLAP = 0.8
MAX_NESTED_WORDS = 20_000
WINDOW_FACTOR = 3
MAX_CHANGES_SHOWN = 10
MAX_ALTERNATIVES = 5
SIMILARITY_CEILING = 0.99
MODIFIED_CEILING = 0.5
_TITLE_WORDS = frozenset({"license", "licenses", "agreement", "terms", "eula"})
_GENERIC_NAME_WORDS = frozenset(
    {"license", "agreement", "terms", "use", "version", "community", "open", "public", "general", "lesser",
     "international", "research", "model", "new", "revised", "simplified", "clause"}
)


@dataclass(slots=True)
class _Alignment:
    """How one reference lines up with the text."""

    ref: Reference
    matched: int = 0
    ignored_doc: int = 0
    ignored_ref: int = 0
    changes: list[TextChange] = field(default_factory=list)
    also_contains: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added_words: int = 0
    removed_words: int = 0

    def score(self, doc_len: int) -> float:
        """Sørensen–Dice over aligned words, leaving out the passages judged harmless."""
        ref_len = len(self.ref.words) - self.ignored_ref
        total = ref_len + doc_len - self.ignored_doc
        return 2 * self.matched / total if total else 0.0

    def coverage(self) -> float:
        """Share of the (non-optional) reference found in the text."""
        ref_len = len(self.ref.words) - self.ignored_ref
        return self.matched / ref_len if ref_len else 0.0


def _containment(ref: Reference, doc_shingles: frozenset[int]) -> tuple[float, float]:
    common = len(ref.shingles & doc_shingles)
    containment = common / len(ref.shingles) if ref.shingles else 0.0
    dice = 2 * common / (len(ref.shingles) + len(doc_shingles)) if ref.shingles or doc_shingles else 0.0
    return containment, dice


def _window(ref: Reference, doc: Words) -> tuple[int, int]:
    """The stretch of a long text where the reference sits (the whole text when it is short)."""
    n = len(doc)
    if n <= WINDOW_FACTOR * len(ref.words):
        return 0, n
    hits = [i for i in range(n - 2) if hash(doc.keys[i : i + 3]) in ref.shingles]
    if not hits:
        return 0, 0
    span = int(1.5 * len(ref.words)) + 20
    best = (0, 0, 0)
    lo = 0
    for hi, position in enumerate(hits):
        while position - hits[lo] > span:
            lo += 1
        if hi - lo + 1 > best[0]:
            best = (hi - lo + 1, hits[lo], position + 3)
    return best[1], best[2]


def _optional_overlap(ranges: tuple[tuple[int, int], ...], begin: int, end: int) -> int:
    return sum(max(0, min(end, hi) - max(begin, lo)) for lo, hi in ranges)


def _only_copyright(text: Words, begin: int, end: int) -> bool:
    """Empty, or nothing but words on copyright lines (who holds the copyright is not a term)."""
    return begin == end or text.is_copyright(begin, end)


@cache
def _name_words(license_id: str) -> frozenset[str]:
    """The words of a licence's name that tell it apart ("apache", "llama", "qwen"), not generic ones."""
    return frozenset(
        key for key in words(get_license(license_id).name).keys if key.isalpha() and len(key) >= 3
    ) - _GENERIC_NAME_WORDS


def _is_title(license_id: str, doc: Words, begin: int, end: int) -> bool:
    """A short heading line that names a licence, an agreement or terms, or this licence ("Qwen2.5-VL License").

    Any other heading ("FOR ACADEMIC RESEARCH PURPOSES") scopes the licence, so it is a change.
    """
    keys = doc.keys[begin:end]
    names = _name_words(license_id)
    return (
        end - begin <= TITLE_MAX_WORDS
        and doc.is_whole_lines(begin, end)
        and not DUTY_WORDS.intersection(keys)
        and any(key in _TITLE_WORDS or any(key.startswith(name) for name in names) for key in keys)
    )


def _companion_of(license_id: str, passage: tuple[str, ...]) -> Reference | None:
    """The licence's companion text (its use policy) that most of ``passage`` comes from, if any."""
    passage_shingles = shingles(passage)
    best: tuple[float, Reference] | None = None
    for companion in companions():
        if companion.license_id != license_id or not passage_shingles:
            continue
        overlap = len(passage_shingles & companion.shingles) / len(passage_shingles)
        if overlap >= COMPANION_MIN_OVERLAP and (best is None or overlap > best[0]):
            best = (overlap, companion)
    return best[1] if best else None


def _align_companion(alignment: _Alignment, companion: Reference, doc: Words, begin: int, end: int, depth: int) -> None:
    """Words ``begin:end`` are mostly the licence's use policy: its own words are harmless, the rest is not.

    The passage is aligned word by word with the policy, so terms written into it (a sentence
    inserted between two of its items, a changed item) are classified like any other addition.
    Policy words left out change nothing: the licence incorporates the published policy, not this copy.
    """
    alignment.notes.append(f"also contains its companion text {companion.path}")
    matcher = SequenceMatcher(None, companion.words.keys, doc.keys[begin:end], autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            alignment.ignored_doc += j2 - j1
        elif tag != "delete":
            _classify_addition(alignment, doc, begin + j1, begin + j2, leading=False, depth=depth)


def _classify_addition(alignment: _Alignment, doc: Words, begin: int, end: int, *, leading: bool, depth: int) -> None:
    """Decide whether added words ``begin:end`` are harmless or a change of terms.

    Only a *leading* short heading counts as a title: a short line after the text ("Only for
    research.") is exactly how people append terms.
    """
    size = end - begin
    if leading and _is_title(alignment.ref.license_id, doc, begin, end):
        alignment.ignored_doc += size
        return
    if size >= COMPANION_MIN_WORDS:
        passage = doc.keys[begin:end]
        companion = _companion_of(alignment.ref.license_id, passage)
        if companion is not None:
            _align_companion(alignment, companion, doc, begin, end, depth)
            return
        if depth == 0 and size <= MAX_NESTED_WORDS:
            inner = _identify(
                Words(passage, tuple(range(size)), doc.lines[begin:end], passage, doc.copyright[begin:end]), depth=1
            )
            if inner.license_id is not None and not inner.modified:
                alignment.ignored_doc += size
                if inner.license_id != alignment.ref.license_id:
                    alignment.also_contains.append(inner.license_id)
                return
    alignment.added_words += size
    alignment.changes.append(TextChange(kind="added", excerpt=doc.excerpt(begin, end), reference_excerpt=""))


def _align(ref: Reference, doc: Words, depth: int) -> _Alignment:
    alignment = _Alignment(ref=ref)
    start, stop = _window(ref, doc)
    if start > 0:
        _classify_addition(alignment, doc, 0, start, leading=True, depth=depth)
    matcher = SequenceMatcher(None, ref.words.keys, doc.keys[start:stop], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        j1, j2 = j1 + start, j2 + start
        if tag == "equal":
            alignment.matched += i2 - i1
        elif _only_copyright(ref.words, i1, i2) and _only_copyright(doc, j1, j2):
            alignment.ignored_ref += i2 - i1
            alignment.ignored_doc += j2 - j1
        elif tag == "insert":
            _classify_addition(alignment, doc, j1, j2, leading=i1 == 0, depth=depth)
        elif _optional_overlap(ref.optional, i1, i2) == i2 - i1:
            # Leaving out an optional passage is harmless; whatever was written in its place is not.
            alignment.ignored_ref += i2 - i1
            if tag == "replace":
                _classify_addition(alignment, doc, j1, j2, leading=i1 == 0, depth=depth)
        elif tag == "delete":
            optional = _optional_overlap(ref.optional, i1, i2)
            alignment.ignored_ref += optional
            alignment.removed_words += i2 - i1 - optional
            alignment.changes.append(TextChange(kind="removed", excerpt="", reference_excerpt=ref.words.excerpt(i1, i2)))
        else:
            alignment.added_words += j2 - j1
            alignment.removed_words += i2 - i1
            alignment.changes.append(
                TextChange(kind="changed", excerpt=doc.excerpt(j1, j2), reference_excerpt=ref.words.excerpt(i1, i2))
            )
    if stop < len(doc):
        _classify_addition(alignment, doc, stop, len(doc), leading=False, depth=depth)
    return alignment


def _expression(license_id: str) -> str:
    return get_license(license_id).expression


def _alternatives(scores: dict[str, float], chosen: str | None) -> tuple[Alternative, ...]:
    ranked = sorted(
        ((score, lid) for lid, score in scores.items() if lid != chosen and round(score, 3) > 0),
        key=lambda item: (-item[0], item[1]),
    )
    return tuple(Alternative(license_id=lid, score=round(score, 3)) for score, lid in ranked[:MAX_ALTERNATIVES])


def _none(source: str, scores: dict[str, float], note: str) -> LicenseIdentification:
    return LicenseIdentification(
        source=source,
        license_id=None,
        expression=None,
        confidence=0.0,
        method=Method.NONE,
        alternatives=_alternatives(scores, None),
        notes=(note,),
    )


def _identify(doc: Words, *, depth: int, source: str = "") -> LicenseIdentification:
    if not doc.keys:
        return _none(source, {}, "no words to compare")
    exact = exact_index().get(doc.keys)
    if exact is not None:
        return LicenseIdentification(
            source=source,
            license_id=exact.license_id,
            expression=_expression(exact.license_id),
            confidence=1.0,
            method=Method.EXACT,
            notes=(f"matches {exact.path} word for word",) if exact.is_variant else (),
        )
    doc_shingles = shingles(doc.keys)
    ranked = []
    scores: dict[str, float] = {}
    for ref in references():
        containment, dice = _containment(ref, doc_shingles)
        ranked.append((containment, dice, ref))
        scores[ref.license_id] = max(scores.get(ref.license_id, 0.0), dice)
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2].is_variant, item[2].path))
    shortlist = [ref for containment, _, ref in ranked[:SHORTLIST] if containment >= MIN_CONTAINMENT]
    if not shortlist:
        return _none(source, scores, "no catalog licence shares enough wording with this text")
    alignments = [_align(ref, doc, depth) for ref in shortlist]
    for alignment in alignments:
        lid = alignment.ref.license_id
        scores[lid] = max(scores[lid], alignment.score(len(doc)))
    best = max(alignments, key=lambda a: (a.score(len(doc)), not a.ref.is_variant))
    if best.coverage() < MIN_COVERAGE:
        return _none(source, scores, f"closest is {best.ref.license_id}, but only {best.coverage():.0%} of its text is present")
    return _result(best, doc, scores, source)


def _result(best: _Alignment, doc: Words, scores: dict[str, float], source: str) -> LicenseIdentification:
    license_id = best.ref.license_id
    score = best.score(len(doc))
    notes = list(dict.fromkeys(best.notes))
    if best.ref.is_variant:
        notes.append(f"closest wording is {best.ref.path}")
    if best.changes:
        notes.append(
            f"differs from {license_id}: {best.added_words} word(s) added or changed, "
            f"{best.removed_words} removed; {best.coverage():.0%} of the licence text is present"
        )
        return LicenseIdentification(
            source=source,
            license_id=license_id,
            expression=None,
            confidence=round(min(MODIFIED_CEILING, MODIFIED_CEILING * score), 3),
            method=Method.SIMILARITY,
            alternatives=_alternatives(scores, license_id),
            modified=True,
            changes=tuple(best.changes[:MAX_CHANGES_SHOWN]),
            notes=tuple(notes),
        )
    also = tuple(dict.fromkeys(best.also_contains))
    expression = " AND ".join(_expression(lid) for lid in (license_id, *also))
    if also:
        notes.append("also contains the complete text of " + ", ".join(also))
    return LicenseIdentification(
        source=source,
        license_id=license_id,
        expression=expression,
        confidence=round(min(SIMILARITY_CEILING, score), 3),
        method=Method.SIMILARITY,
        alternatives=_alternatives(scores, license_id),
        also_contains=also,
        notes=tuple(notes),
    )


def identify_text(text: str, *, source: str) -> LicenseIdentification:
    """Identify a licence text (a LICENSE file's content) against the catalog."""
    return _identify(words(text), depth=0, source=source)
