"""What a Hugging Face model card's licence fields declare.

The Hub's ``license`` field takes ids from its own list (mostly lower-case SPDX ids plus model ids
such as ``llama3.1`` or ``gemma``); licences outside that list are written ``license: other`` with a
free-text ``license_name`` (``qwen``, ``deepseek``...) and a ``license_link`` to the text. A card is
a declaration, not evidence: its identifications carry lower confidence than a matched text, and
the LICENSE file has the last word (see ``consistency``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from scanner.licenses.catalog import all_licenses, get_license
from scanner.licenses.expressions import check
from scanner.licenses.model import Alternative, LicenseIdentification, Method

DECLARED_CONFIDENCE = 0.9
NAME_CONFIDENCE = 0.85
LINK_CONFIDENCE = 0.8
PLACEHOLDERS = frozenset({"other", "unknown", "none", ""})
# Hub licence ids that name a family of licences, not one licence (huggingface/hub-docs repositories-licenses.md).
FAMILIES = frozenset({"openrail", "openrail++", "bsd", "cc", "gpl", "lgpl", "gfdl", "odbl", "odc-by"})
_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
_LOCAL_FILE = re.compile(r"^(?:\./)?[\w.\-/]*licen[cs]e[\w.\-]*$", re.IGNORECASE)


@cache
def _ids_by_card_value() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for info in all_licenses():
        for value in (*info.hf_ids, info.id, (info.spdx or "").lower()):
            if value and info.id not in table.setdefault(value, []):
                table[value].append(info.id)
    return {value: tuple(ids) for value, ids in table.items()}


def _normalise_link(link: str) -> str:
    return _URL_PREFIX.sub("", link.strip()).lower().rstrip("/")


def _ids_for_link(link: str) -> tuple[str, ...]:
    normalised = _normalise_link(link)
    return tuple(info.id for info in all_licenses() if any(p in normalised for p in info.link_patterns))


def _from_ids(ids: tuple[str, ...], source: str, confidence: float, how: str, notes: list[str]) -> LicenseIdentification:
    if len(ids) == 1:
        return LicenseIdentification(
            source=source,
            license_id=ids[0],
            expression=get_license(ids[0]).expression,
            confidence=confidence,
            method=Method.CARD_FIELD,
            notes=(*notes, how),
        )
    return LicenseIdentification(
        source=source,
        license_id=None,
        expression=None,
        confidence=0.0,
        method=Method.CARD_FIELD,
        alternatives=tuple(Alternative(license_id=i, score=round(confidence / len(ids), 3)) for i in ids),
        notes=(*notes, f"{how}, which several catalog licences share ({', '.join(ids)}); the licence text decides"),
    )


def _first(value: str | Sequence[str] | None) -> tuple[str | None, list[str]]:
    if value is None or isinstance(value, str):
        return value, []
    values = [v for v in value if isinstance(v, str)]
    if not values:
        return None, []
    extra = [f"the card lists several licences ({', '.join(values)}); only the first was used"] if len(values) > 1 else []
    return values[0], extra


def identify_card_license(
    license: str | Sequence[str] | None,
    license_name: str | None = None,
    license_link: str | None = None,
    *,
    source: str = "card:license",
) -> LicenseIdentification:
    """Identify the licence a model card declares from its ``license``, ``license_name`` and ``license_link``."""
    declared, notes = _first(license)
    value = (declared or "").strip().lower()
    name = (license_name or "").strip().lower()
    table = _ids_by_card_value()
    if value not in PLACEHOLDERS:
        if value in table:
            if name and name in table and table[name] != table[value]:
                notes.append(f"license_name {license_name!r} names a different licence and was ignored")
            return _from_ids(table[value], source, DECLARED_CONFIDENCE, f"card license {declared!r}", notes)
        checked = check(declared or "")
        if checked.normalized:
            return LicenseIdentification(
                source=source,
                license_id=None,
                expression=checked.normalized,
                confidence=DECLARED_CONFIDENCE,
                method=Method.CARD_FIELD,
                notes=(*notes, f"card license {declared!r} is a valid SPDX expression outside the catalog"),
            )
        if value in FAMILIES:
            notes.append(f"card license {declared!r} names a family of licences on the Hub, not one licence")
        else:
            notes.append(f"card license {declared!r} is neither a catalog licence nor a valid SPDX expression")
    if name and name in table:
        return _from_ids(table[name], source, NAME_CONFIDENCE, f"card license_name {license_name!r}", notes)
    if name:
        notes.append(f"license_name {license_name!r} is not a known licence name")
    link = (license_link or "").strip()
    if link:
        link_ids = _ids_for_link(link)
        if link_ids:
            return _from_ids(link_ids, source, LINK_CONFIDENCE, f"card license_link {link!r}", notes)
        if _LOCAL_FILE.match(link) or "/blob/" in link or "/resolve/" in link or "/raw/" in link:
            notes.append(f"license_link {link!r} points at a licence file; identify that file's text")
        else:
            notes.append(f"license_link {link!r} matches no known licence address")
    if not value and not name and not link:
        notes.append("the card declares no licence")
    elif value in PLACEHOLDERS and value:
        notes.append(f"card license is {value!r}")
    return LicenseIdentification(
        source=source,
        license_id=None,
        expression=None,
        confidence=0.0,
        method=Method.NONE,
        notes=tuple(notes),
    )
