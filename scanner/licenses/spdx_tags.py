"""``SPDX-License-Identifier:`` tags in source files (remote code shipped with a model).

A tag is the author's own statement of a file's licence; it is checked as an SPDX expression and,
when it names a single catalog licence, linked to that entry so its obligations apply.
"""

from __future__ import annotations

import re

from scanner.licenses.expressions import check, ids_by_symbol, symbols
from scanner.licenses.model import LicenseIdentification, Method

TAG_CONFIDENCE = 0.95
_TAG = re.compile(r"SPDX-License-Identifier:\s*(?P<expression>.*?)\s*(?:\*/|-->|\"\"\"|'''|$)", re.IGNORECASE)


def spdx_tag_values(source_text: str) -> list[tuple[int, str]]:
    """(line number, value as written) of every ``SPDX-License-Identifier:`` tag, in file order."""
    found = []
    for line_no, line in enumerate(source_text.splitlines(), start=1):
        match = _TAG.search(line)
        if match:
            found.append((line_no, match.group("expression").strip()))
    return found


def identify_spdx_tag(raw: str, *, source: str) -> LicenseIdentification:
    """One tag's value (as written after ``SPDX-License-Identifier:``) as an identification."""
    checked = check(raw) if raw else None
    if checked is None or checked.normalized is None:
        reason = "; ".join(checked.errors) if checked else "empty tag"
        return LicenseIdentification(
            source=source, license_id=None, expression=None, confidence=0.0, method=Method.SPDX_TAG,
            notes=(f"SPDX tag {raw!r} is not a valid licence expression: {reason}",),
        )
    keys = symbols(checked.normalized)
    license_id = ids_by_symbol().get(keys[0].lower()) if len(keys) == 1 else None
    notes = () if license_id or len(keys) > 1 else (f"{checked.normalized} is valid but not in the licence catalog",)
    return LicenseIdentification(
        source=source, license_id=license_id, expression=checked.normalized, confidence=TAG_CONFIDENCE,
        method=Method.SPDX_TAG, notes=notes,
    )


def identify_spdx_tags(python_source_text: str, *, source: str = "") -> list[LicenseIdentification]:
    """One identification per ``SPDX-License-Identifier:`` line, in file order."""
    return [
        identify_spdx_tag(raw, source=f"{source}:{line_no}" if source else f"line {line_no}")
        for line_no, raw in spdx_tag_values(python_source_text)
    ]
