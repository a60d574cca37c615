"""Turning licence identifications into the report's ``LicenseDetection`` records."""

from __future__ import annotations

from scanner.licenses.model import LicenseIdentification
from scanner.report.model import LicenseDetection


def as_detection(identification: LicenseIdentification) -> LicenseDetection:
    """The report form: alternatives as 'id (score)', notes and changed passages folded into one note."""
    notes = list(identification.notes)
    notes.extend(
        f"{change.kind}: {change.excerpt or change.reference_excerpt!r}" for change in identification.changes
    )
    return LicenseDetection(
        source=identification.source,
        license_id=identification.license_id,
        expression=identification.expression,
        confidence=identification.confidence,
        method=identification.method.value,
        modified=identification.modified,
        alternatives=tuple(f"{alt.license_id} ({alt.score:.2f})" for alt in identification.alternatives),
        note="; ".join(notes),
    )
