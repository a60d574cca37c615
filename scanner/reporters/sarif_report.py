"""The report as SARIF 2.1.0, so CI systems and code-scanning dashboards show failed rules as findings.

Mapping: every rule that failed, could not be evaluated, or was waived is a result; its rule is a
``reportingDescriptor`` whose help text is the rule's how-to-fix. A failed rule is ``kind: fail``
with a level from its severity (error, warning, note). A rule that could not be evaluated is
``kind: open`` ("the tool could not decide"), which SARIF requires to carry level ``none``. A waived
rule is a failed result with an accepted external suppression carrying the waiver's reason, author
and expiry, so dashboards list it as dismissed rather than hiding it. Scan problems (files that could
not be read) are tool execution notifications, not findings about the model.

Each result points at the repository file it is about, found from the files its evidence names
(or, failing that, from the facts it read: card rules at the card, licence rules at the licence
file...). Dashboards need a location for every result, so the model card or config is the last
resort. For a target given as a relative folder, paths are relative to the working directory (the
checkout root in CI), which is what code-scanning dashboards expect.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from scanner.report.model import FileKind, RuleResult, RuleStatus, ScanReport, Severity

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_ID = "MODELROOT"

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_REPORTED = (RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED)

_FACT_FILE_KINDS = {
    "card": (FileKind.MODEL_CARD,),
    "config": (FileKind.CONFIG,),
    "licenses": (FileKind.LICENSE, FileKind.NOTICE, FileKind.MODEL_CARD),
    "obligations": (FileKind.MODEL_CARD, FileKind.NOTICE, FileKind.LICENSE),
    "provenance": (FileKind.MODEL_CARD, FileKind.CONFIG),
    "tokenizer": (FileKind.TOKENIZER, FileKind.TOKENIZER_CONFIG),
    "code": (FileKind.REMOTE_CODE, FileKind.DEPENDENCY_MANIFEST, FileKind.PICKLE),
    "components": (FileKind.SAFETENSORS, FileKind.GGUF, FileKind.ONNX),
    "tensors": (FileKind.SAFETENSORS, FileKind.GGUF, FileKind.ONNX),
    "architecture": (FileKind.CONFIG,),
    "control": (FileKind.MODEL_CARD, FileKind.LICENSE),
}
"""Which files a rule is about when its evidence names no file: by the first part of its fact paths."""

_FALLBACK_KINDS = (FileKind.MODEL_CARD, FileKind.CONFIG)
MAX_LOCATIONS = 10
_PATH_TOKENS = re.compile(r"[^\w.-]+|\.")


def render_sarif(report: ScanReport) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: ScanReport) -> dict[str, Any]:
    reported = [r for r in report.rules if r.status in _REPORTED]
    first_by_id: dict[str, RuleResult] = {}
    for rule in reported:
        first_by_id.setdefault(rule.id, rule)
    index = {rule_id: i for i, rule_id in enumerate(first_by_id)}
    root = _root(report)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": [_descriptor(rule) for rule in first_by_id.values()],
        }},
        "invocations": [{
            "executionSuccessful": True,
            "startTimeUtc": report.run.started_at,
            "toolExecutionNotifications": [_notification(p.severity, p.message, p.code, p.file, root)
                                           for p in report.problems],
        }],
        "results": [_result(report, rule, index[rule.id], root) for rule in reported],
        "properties": {
            "verdict": report.verdict.status.value,
            "verdictSummary": report.verdict.summary,
            "policy": {"id": report.policy.id, "version": report.policy.version, "checksum": report.policy.checksum},
            "catalog": {"version": report.catalog.version, "checksum": report.catalog.checksum},
            "target": report.target.path,
        },
    }
    if root.base:
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": root.base}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Root:
    """How repository paths become SARIF artifact locations for this target."""

    prefix: str
    base: str

    def location(self, path: str) -> dict[str, str]:
        if self.base:
            return {"uri": _uri_path(path), "uriBaseId": ROOT_ID}
        return {"uri": _uri_path(posixpath.join(self.prefix, path) if self.prefix else path)}


def _root(report: ScanReport) -> _Root:
    """Relative local targets resolve against the checkout; others get a named base (absolute when known)."""
    path = report.target.path
    if report.target.source == "local" and not path.startswith("/") and "://" not in path:
        prefix = posixpath.normpath(path.replace("\\", "/"))
        return _Root(prefix="" if prefix == "." else prefix, base="")
    if report.target.source == "local" and path.startswith("/"):
        return _Root(prefix="", base=PurePosixPath(path).as_uri().rstrip("/") + "/")
    return _Root(prefix="", base=f"{path.rstrip('/')}/")


def _uri_path(path: str) -> str:
    """A relative URI reference for a POSIX path: spaces and other reserved characters percent-encoded."""
    return quote(path, safe="/-._~")


def _descriptor(rule: RuleResult) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.id),
        "shortDescription": {"text": rule.title or rule.id},
        "fullDescription": {"text": f"{rule.category.value} rule: {rule.title or rule.id}"},
        "help": {"text": rule.how_to_fix or "The rule gives no advice."},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"category": rule.category.value, "tags": ["fromscratch", rule.category.value],
                       "references": list(rule.references)},
    }
    links = [ref for ref in rule.references if ref.startswith(("https://", "http://"))]
    if links:
        descriptor["helpUri"] = links[0]
    return descriptor


def _result(report: ScanReport, rule: RuleResult, index: int, root: _Root) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": rule.id, "ruleIndex": index}
    if rule.status == RuleStatus.ERROR:
        result.update(kind="open", level="none",
                      message={"text": f"The rule could not be evaluated: {rule.message}"})
    else:
        result.update(kind="fail", level=LEVEL[rule.severity], message={"text": rule.message})
    files = relevant_files(report, rule)
    if files:
        result["locations"] = [{"physicalLocation": {"artifactLocation": root.location(path)}} for path in files]
    result["partialFingerprints"] = {"fromscratchRule/v1": _fingerprint(report.target.path, rule.id)}
    result["properties"] = {"category": rule.category.value, "status": rule.status.value,
                            "evidence": _plain(rule.evidence)}
    if rule.waiver is not None:
        result["suppressions"] = [{
            "kind": "external", "status": "accepted", "justification": rule.waiver.reason,
            "properties": {"author": rule.waiver.author, "expires": rule.waiver.expires, "scope": rule.waiver.scope},
        }]
    elif rule.status == RuleStatus.WAIVED:
        result["suppressions"] = [{"kind": "external", "status": "accepted"}]
    return result


def relevant_files(report: ScanReport, rule: RuleResult) -> list[str]:
    """The repository files a rule is about (at most ``MAX_LOCATIONS``).

    In order: files its evidence names; the weight files holding a component its fact paths name
    (``components[vision]...``); the files of the kinds its fact paths read (``card.*`` -> the card);
    the model card or config.
    """
    known = {f.path for f in report.target.files}
    named = sorted({value for value in _strings(rule.evidence) if value in known})
    if named:
        return named[:MAX_LOCATIONS]
    tokens = {token for key in rule.evidence for token in _PATH_TOKENS.split(str(key)) if token}
    components = tokens & {c.name for c in report.components}
    holding = sorted({t.file for t in report.tensors if t.component in components and t.file in known})
    if holding:
        return holding[:MAX_LOCATIONS]
    areas = {str(key).split(".", 1)[0].split("[", 1)[0] for key in rule.evidence}
    kinds = {kind for area in areas for kind in _FACT_FILE_KINDS.get(area, ())}
    implied = [f.path for f in report.target.files if f.kind in kinds]
    if implied:
        return implied[:MAX_LOCATIONS]
    for kind in _FALLBACK_KINDS:
        fallback = [f.path for f in report.target.files if f.kind == kind]
        if fallback:
            return fallback[:1]
    return [report.target.files[0].path] if report.target.files else []


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _notification(severity: Severity, message: str, code: str, file: str, root: _Root) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": LEVEL[severity], "message": {"text": message},
                                    "descriptor": {"id": code}}
    if file:
        notification["locations"] = [{"physicalLocation": {"artifactLocation": root.location(file)}}]
    return notification


def _fingerprint(target: str, rule_id: str) -> str:
    """Stable across scans of the same target, so dashboards track one alert rather than a new one per run."""
    return hashlib.sha256(f"{target}\0{rule_id}".encode()).hexdigest()[:32]


def _pascal(rule_id: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in rule_id).split() if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _plain(value: Any) -> Any:
    """Evidence as plain JSON values with sorted keys (a report read back may hold any Mapping)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
