"""Control terms inherited from upstream licences: what lets a licensor steer or stop the model's use.

These feed the policy view of the criteria ("able to develop and operate the model without external
control"): a right to restrict use remotely, a revocable grant, registration or a separate licence
above a user count, a foreign governing law and court. Every term the licence catalog gives a value
(anything but false, null or empty) becomes one row, with the clause that says so; whether a term
matters is for the policy rules to decide.
"""

from __future__ import annotations

from dataclasses import fields

from scanner.compliance.upstreams import UpstreamRecord
from scanner.licenses import LicenseInfo
from scanner.licenses.model import TermValue
from scanner.report.model import ControlTerm


def _value(value: TermValue) -> str | None:
    if value is None or value is False or value == ():
        return None
    if value is True:
        return "true"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def control_terms(record: UpstreamRecord, info: LicenseInfo) -> list[ControlTerm]:
    """One row per control term the licence sets, in the catalog's order."""
    rows = []
    for spec in fields(info.control):
        term = getattr(info.control, spec.name)
        value = _value(term.value)
        if value is not None:
            rows.append(ControlTerm(upstream=record.catalog_id or record.name, license_id=info.id, term=spec.name,
                                    value=value, clause=term.clause or ""))
    return rows
