"""Which licence an acceptable-use-policy file (``USE_POLICY.md``) belongs to.

A use policy is not a licence: Meta's Llama licences incorporate theirs by reference, Gemma and the
OpenRAIL family require the restrictions to be passed on. Shipping the policy is how a repository
shows it passes them on, so the obligation checks need to know whose policy a file is. The
catalog keeps the policies as each licence's companion texts; a file is that policy when it holds
most of the companion's word triples.
"""

from __future__ import annotations

from scanner.licenses.fingerprint import companions, shingles
from scanner.licenses.model import Alternative, LicenseIdentification, Method
from scanner.licenses.normalize import words

MIN_CONTAINMENT = 0.6


def identify_use_policy(text: str, *, source: str) -> LicenseIdentification:
    """The licence whose use policy ``text`` is (``expression`` stays null: a policy is not a licence)."""
    doc = shingles(words(text).keys)
    scores: dict[str, float] = {}
    for companion in companions():
        if companion.shingles:
            share = len(companion.shingles & doc) / len(companion.shingles)
            scores[companion.license_id] = max(scores.get(companion.license_id, 0.0), share)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][1] < MIN_CONTAINMENT:
        closest = f" (closest: {ranked[0][0]}, {ranked[0][1]:.2f})" if ranked and ranked[0][1] > 0 else ""
        return LicenseIdentification(source=source, license_id=None, expression=None, confidence=0.0, method=Method.NONE,
                                     notes=(f"not the acceptable use policy of any catalog licence{closest}",))
    license_id, score = ranked[0]
    return LicenseIdentification(
        source=source, license_id=license_id, expression=None, confidence=round(min(score, 0.99), 3),
        method=Method.SIMILARITY,
        alternatives=tuple(Alternative(license_id=i, score=round(s, 3)) for i, s in ranked[1:4] if s > 0),
        notes=(f"the acceptable use policy of {license_id}, not a licence",),
    )
