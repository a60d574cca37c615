"""Licences, inherited obligations, control terms, declared versus detected provenance, and remote code.

Public API:

- ``compliance_facts(listing, parsed, observed, catalog)`` — the whole stage, after lineage,
  tokenizer and architecture matching; returns ``ComplianceFacts``.
- ``Observed`` — the earlier stages' results it needs.
"""

from scanner.compliance.model import ComplianceFacts, Observed
from scanner.compliance.stage import compliance_facts

__all__ = ["ComplianceFacts", "Observed", "compliance_facts"]
