"""YAML rules and policies: load, validate, evaluate over scan facts, explain, test.

Public entry points:

- ``load_policy(name_or_file)``: a bundled policy by name (default ``kr-sovereign-ai-2026``) or a file.
- ``load_waivers(path)``: a reviewed exceptions file.
- ``evaluate(policy, facts, waivers=None, today=None)``: rule results (failures first) and the verdict.
- ``explain_text(report)``: per rule, the facts read, their values and why it passed or failed.

Rules are read from the bundled ``rules`` folder and any ``rule_dirs`` a policy names; the condition
language is described in ``scanner.policy.language`` and docs/policy-guide.md.
"""

from scanner.policy.evaluation import evaluate
from scanner.policy.explain import explain_text
from scanner.policy.model import (
    DEFAULT_POLICY,
    Evaluation,
    Policy,
    PolicyFileError,
    Waivers,
)
from scanner.policy.policies import load_policy
from scanner.policy.waivers import load_waivers

__all__ = [
    "DEFAULT_POLICY",
    "Evaluation",
    "Policy",
    "PolicyFileError",
    "Waivers",
    "evaluate",
    "explain_text",
    "load_policy",
    "load_waivers",
]
