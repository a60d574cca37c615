"""The policy engine's values: loaded rules and policies, waivers, and an evaluation's outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.errors import DataFileError
from scanner.policy.language import Condition
from scanner.policy.template import Template
from scanner.policy.typecheck import ParameterSpec, RuleChecks
from scanner.report.model import (
    PolicyInfo,
    RuleCategory,
    RuleResult,
    RuleStatus,
    Severity,
    Verdict,
    VerdictStatus,
    Waiver,
)

frozen = dataclass(frozen=True, slots=True, kw_only=True)

DEFAULT_POLICY = "kr-sovereign-ai-2026"


class PolicyFileError(DataFileError):
    """One or more problems in rule, policy, waiver or test files, each ``file:line:column: message``."""

    def __init__(self, messages: list[str] | tuple[str, ...]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


@frozen
class Rule:
    """One rule as its file defines it (severity and parameters before a policy changes them)."""

    id: str
    category: RuleCategory
    severity: Severity
    title: str
    description: str
    parameters: Mapping[str, ParameterSpec]
    applies_when: Condition | None
    condition: Condition
    scope: Template | None
    message: Template
    pass_message: Template | None
    how_to_fix: str
    references: tuple[str, ...]
    file: str
    at: str
    checks: RuleChecks


@frozen
class RuleFile:
    """A loaded rule file: where it came from, its content hash, its rules."""

    name: str
    sha256: str
    rules: tuple[Rule, ...]


@frozen
class RuleSelection:
    """A rule as a policy applies it: its severity and parameter values there."""

    rule: Rule
    severity: Severity
    parameters: Mapping[str, Any]
    at: str


@frozen
class VerdictEntry:
    """``when`` (selectors; None = any) -> ``then``: one step of a policy's verdict combination."""

    statuses: frozenset[RuleStatus] | None
    categories: frozenset[RuleCategory] | None
    severities: frozenset[Severity] | None
    rule_ids: frozenset[str] | None
    then: VerdictStatus
    at: str

    def matches(self, result: RuleResult) -> bool:
        return ((self.statuses is None or result.status in self.statuses)
                and (self.categories is None or result.category in self.categories)
                and (self.severities is None or result.severity in self.severities)
                and (self.rule_ids is None or result.id in self.rule_ids))


@frozen
class Policy:
    """A loaded, validated policy: the rules it applies and how their outcomes become a verdict."""

    id: str
    version: str
    title: str
    description: str
    references: tuple[str, ...]
    selections: tuple[RuleSelection, ...]
    first_match: tuple[VerdictEntry, ...]
    otherwise: VerdictStatus
    source: str
    checksum: str

    @property
    def info(self) -> PolicyInfo:
        return PolicyInfo(id=self.id, version=self.version, title=self.title, checksum=self.checksum)


@frozen
class WaiverEntry:
    """A waiver with its expiry as a date and its position in the waivers file."""

    waiver: Waiver
    expires: dt.date
    at: str


@frozen
class Waivers:
    """A reviewed exceptions file."""

    source: str
    entries: tuple[WaiverEntry, ...]


@frozen
class Evaluation:
    """What a policy concluded about a set of facts."""

    policy: PolicyInfo
    rules: tuple[RuleResult, ...]
    verdict: Verdict
