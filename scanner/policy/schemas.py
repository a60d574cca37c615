"""JSON Schemas of rule, policy, waiver and policy-test files, and checking YAML against them.

The same schemas are shipped in ``scanner/data/schemas`` (for editors: point the YAML language
server at them and it completes keys, operators and fact paths) and used by ``policy validate`` as
the first check, so what the editor accepts and what the tool accepts cannot differ. Schema errors
are rewritten into one short sentence each and placed at the ``file:line:column`` of the offending
key or value; ``x-messages`` entries in the schema give the sentence where the generic one would be
cryptic (a comparison with two operators, an unknown condition key).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from typing import Any

import jsonschema

from scanner.bundled import bundled_dir
from scanner.policy.factschema import fact_schema
from scanner.policy.language import (
    COMBINATORS,
    EXPRESSIONS,
    MEMBERSHIP_OPS,
    NAME_PATTERN,
    OPERATORS,
    PATH_PATTERN,
)
from scanner.report.model import RuleCategory, RuleStatus, Severity, VerdictStatus
from scanner.yamlsafe import Located, load_yaml

FORMAT_VERSION = 1
SCHEMA_BASE = "https://fromscratch.dev/schemas"
RULE_ID_PATTERN = r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$"
POLICY_ID_PATTERN = r"^[a-z0-9][a-z0-9.-]*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PARAMETER_TYPES = ("string", "integer", "number", "boolean", "list")

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description, **extra}


def _format_version() -> dict[str, Any]:
    return {"const": FORMAT_VERSION, "description": "Version of this file format.",
            "x-messages": {"const": f"format_version must be {FORMAT_VERSION}: this version of fromscratch "
                                    f"reads format {FORMAT_VERSION} only"}}


def _condition_defs() -> dict[str, Any]:
    """Definitions shared by every file that contains conditions."""
    heads = [*COMBINATORS, "fact", "value"]
    examples = [p for p in fact_schema().paths() if "{}" not in p]
    scalar = {"type": ["string", "number", "boolean", "null"]}
    condition_list = {"type": "array", "minItems": 1, "items": _ref("condition"),
                      "x-messages": {"minItems": "needs at least one condition"}}
    properties: dict[str, Any] = {
        "all": {**condition_list, "description": "Holds when every condition holds (checked in order, stopping at the first that fails)."},
        "any": {**condition_list, "description": "Holds when at least one condition holds (checked in order, stopping at the first that holds)."},
        "not": {**_ref("condition"), "description": "Holds when the condition does not."},
        "exists": {**_ref("source"), "description": "Holds when some item of the list satisfies 'where' (or the list is not empty)."},
        "every": {**_ref("sourceWithWhere"), "description": "Holds when every item of the list satisfies 'where' (true for an empty list)."},
        "fact": {**_ref("factPath"), "description": "The fact to compare."},
        "value": {**_ref("expression"), "description": "A computed value to compare: count, sum or divide."},
    }
    for op in OPERATORS:
        if op in ("is_empty", "is_null"):
            properties[op] = {"type": "boolean", "description": f"'{op}: true' or '{op}: false'."}
        elif op in MEMBERSHIP_OPS:
            properties[op] = {**_ref("listOperand"), "description": f"'{op}': a list of values or a list parameter."}
        else:
            properties[op] = {**_ref("operand"), "description": f"The operator '{op}' and what to compare with."}
    only_one = {"maxProperties": 1, "x-messages": {
        "maxProperties": "a condition with all/any/not/exists/every takes no other key (found: {keys})"}}
    comparison = {
        "minProperties": 2, "maxProperties": 2, "not": {"required": ["fact", "value"]},
        "anyOf": [{"required": [op]} for op in OPERATORS],
        "x-messages": {"minProperties": "a comparison needs an operator: " + ", ".join(OPERATORS),
                       "maxProperties": "a comparison takes exactly one operator (found: {keys})",
                       "not": "a comparison reads either 'fact' or 'value', not both",
                       "anyOf": "a comparison needs an operator: " + ", ".join(OPERATORS)},
    }
    return {
        "condition": {
            "type": "object",
            "description": "A condition: all/any/not/exists/every, or a comparison {fact|value, <operator>}.",
            "properties": properties,
            "additionalProperties": False,
            "allOf": [
                *({"if": {"required": [head]}, "then": only_one} for head in COMBINATORS),
                {"if": {"anyOf": [{"required": ["fact"]}, {"required": ["value"]}]}, "then": comparison},
            ],
            "anyOf": [{"required": [head]} for head in heads],
            "x-messages": {"anyOf": "a condition starts with one of: " + ", ".join(heads)},
        },
        "source": {
            "type": "object",
            "description": "The list to walk ('in'), the name each item gets ('as'), and an optional test ('where').",
            "required": ["in", "as"],
            "properties": {
                "in": {**_ref("factPath"), "description": "A list (or map) fact; 'a[].b' walks b of every item of a."},
                "as": _ref("name"),
                "where": _ref("condition"),
            },
            "additionalProperties": False,
        },
        "sourceWithWhere": {"allOf": [_ref("source"), {"required": ["where"]}]},
        "sumSource": {
            "type": "object",
            "description": "Like 'exists', plus 'of': the number to add up for each item.",
            "required": ["in", "as", "of"],
            "properties": {"in": _ref("factPath"), "as": _ref("name"), "where": _ref("condition"),
                           "of": {**_ref("factPath"), "description": "The number to add up, e.g. 'c.parameters'."}},
            "additionalProperties": False,
        },
        "factPath": {
            "type": "string", "pattern": PATH_PATTERN, "examples": examples,
            "description": "A fact path (see docs/fact-paths.md) or a name bound by exists/every/count/sum.",
            "x-messages": {"pattern": "'{value}' is not a fact path: names joined by dots, with '[]' after a "
                                      "list to walk its items"},
        },
        "name": {"type": "string", "pattern": NAME_PATTERN, "description": "A lower-case name for each item.",
                 "x-messages": {"pattern": "'{value}' is not a valid name: lower-case letters, digits and '_'"}},
        "scalar": scalar,
        "expression": {
            "type": "object",
            "description": "A parameter, another fact, or a computed number.",
            "properties": {
                "param": {"type": "string", "pattern": NAME_PATTERN, "description": "A parameter of the rule."},
                "fact": _ref("factPath"),
                "count": {**_ref("source"), "description": "How many items (satisfying 'where')."},
                "sum": {**_ref("sumSource"), "description": "The sum of 'of' over the items (satisfying 'where')."},
                "divide": {"type": "array", "minItems": 2, "maxItems": 2, "items": _ref("operand"),
                           "description": "[numerator, denominator]; a zero denominator makes the rule an error."},
            },
            "additionalProperties": False,
            "minProperties": 1, "maxProperties": 1,
            "x-messages": {"minProperties": "an expression is one of: " + ", ".join(EXPRESSIONS),
                           "maxProperties": "an expression takes exactly one of "
                                            + ", ".join(EXPRESSIONS) + " (found: {keys})"},
        },
        "operand": {
            "description": "A value, a list of values, or an expression.",
            "if": {"type": "object"}, "then": _ref("expression"),
            "else": {"anyOf": [scalar, {"type": "array", "items": scalar}],
                     "x-messages": {"anyOf": "expected a value, a list of values, or an expression"}},
        },
        "listOperand": {
            "description": "A list of values, or a list parameter.",
            "if": {"type": "object"}, "then": {"type": "object", "required": ["param"], "properties": {
                "param": {"type": "string", "pattern": NAME_PATTERN}}, "additionalProperties": False,
                "x-messages": {"required": "'in'/'not_in' take a list or {param: NAME}",
                               "additionalProperties": "'in'/'not_in' take a list or {param: NAME}"}},
            "else": {"type": "array", "items": scalar},
        },
    }


def rule_schema() -> dict[str, Any]:
    rule = {
        "type": "object",
        "description": "One rule: a condition over the scan facts that, when it holds, is a finding.",
        "required": ["id", "category", "severity", "title", "condition", "message", "how_to_fix", "references"],
        "properties": {
            "id": _ref("ruleId"),
            "category": {"enum": [c.value for c in RuleCategory], "description": "technical, policy or ethical."},
            "severity": {"enum": [s.value for s in Severity], "description": "Default severity; a policy may change it."},
            "title": _text("Short title: what the rule wants.", maxLength=120),
            "description": _text("Longer explanation for the docs."),
            "parameters": {
                "type": "object", "description": "Settings a policy may change, with their defaults.",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": _ref("parameter"),
            },
            "applies_when": {**_ref("condition"), "description": "When this does not hold the rule is not applicable."},
            "condition": {**_ref("condition"), "description": "When this holds, the rule fails (a finding)."},
            "scope": _text("What one finding is about, e.g. 'component:{component.name}'; waivers name it."),
            "message": _text("The finding, with {placeholders} filled from the facts that matched."),
            "pass_message": _text("Said when the rule passes; {placeholders} may name facts and parameters."),
            "how_to_fix": _text("What to do about a finding."),
            "references": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                           "description": "Published criteria or licence clauses the rule implements."},
        },
        "additionalProperties": False,
    }
    parameter = {
        "type": "object",
        "required": ["type", "default", "description"],
        "properties": {
            "type": {"enum": list(PARAMETER_TYPES)},
            "default": {"description": "The value used when the policy does not set one."},
            "description": _text("What the parameter changes."),
        },
        "additionalProperties": False,
    }
    return {
        "$schema": _DRAFT, "$id": f"{SCHEMA_BASE}/rule-{FORMAT_VERSION}.json", "title": "fromscratch rule file",
        "type": "object",
        "required": ["format_version", "rules"],
        "properties": {
            "format_version": _format_version(),
            "rules": {"type": "array", "minItems": 1, "items": _ref("rule")},
        },
        "additionalProperties": False,
        "$defs": {"rule": rule, "parameter": parameter, "ruleId": _rule_id(), **_condition_defs()},
    }


def _bundled_rule_ids() -> list[str]:
    """The bundled rules' ids, offered by editors as completions (``examples`` never restricts a value)."""
    ids = set()
    for path in sorted(bundled_dir("rules").glob("*.yaml")):
        rules = load_yaml(path.read_bytes(), path.name).data or {}
        ids |= {r["id"] for r in rules.get("rules", ()) if isinstance(r, dict) and isinstance(r.get("id"), str)}
    return sorted(ids)


def _rule_id() -> dict[str, Any]:
    return {"type": "string", "pattern": RULE_ID_PATTERN, "examples": _bundled_rule_ids(),
            "description": "Rule id: '<category>.<name>', lower case, e.g. 'technical.component-weights-reused'.",
            "x-messages": {"pattern": "'{value}' is not a rule id: lower-case words joined by '-', with a dot "
                                      "after the first, e.g. 'technical.my-rule'"}}


def _one_or_many(values: list[str]) -> dict[str, Any]:
    return {"anyOf": [{"enum": values}, {"type": "array", "minItems": 1, "items": {"enum": values}}],
            "x-messages": {"anyOf": "expected one of " + ", ".join(values) + ", or a list of them"}}


def policy_schema() -> dict[str, Any]:
    verdicts = [v.value for v in VerdictStatus]
    selection = {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": _ref("ruleId"),
            "severity": {"enum": [s.value for s in Severity], "description": "Overrides the rule's severity."},
            "parameters": {"type": "object", "description": "Parameter values for this policy.",
                           "propertyNames": {"pattern": NAME_PATTERN}},
        },
        "additionalProperties": False,
    }
    when = {
        "type": "object", "minProperties": 1,
        "description": "Selects rule outcomes; the entry applies when at least one outcome matches every key given.",
        "properties": {
            "status": _one_or_many([s.value for s in RuleStatus]),
            "category": _one_or_many([c.value for c in RuleCategory]),
            "severity": _one_or_many([s.value for s in Severity]),
            "rules": {"type": "array", "minItems": 1, "items": _ref("ruleId")},
        },
        "additionalProperties": False,
        "x-messages": {"minProperties": "'when' needs at least one of status, category, severity, rules"},
    }
    verdict = {
        "type": "object",
        "description": "How rule outcomes combine: the first entry whose 'when' matches decides; else 'otherwise'.",
        "required": ["first_match", "otherwise"],
        "properties": {
            "first_match": {"type": "array", "items": {
                "type": "object", "required": ["when", "then"],
                "properties": {"when": when, "then": {"enum": verdicts}},
                "additionalProperties": False}},
            "otherwise": {"enum": verdicts},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": _DRAFT, "$id": f"{SCHEMA_BASE}/policy-{FORMAT_VERSION}.json", "title": "fromscratch policy",
        "type": "object",
        "required": ["format_version", "id", "version", "title"],
        "properties": {
            "format_version": _format_version(),
            "id": {"type": "string", "pattern": POLICY_ID_PATTERN, "description": "Policy id, e.g. 'kr-sovereign-ai-2026'.",
                   "x-messages": {"pattern": "'{value}' is not a policy id: lower-case letters, digits, '.' and '-'"}},
            "version": _text("Policy version; quote it ('1.0'), or YAML reads a number."),
            "title": _text("Policy title."),
            "description": _text("What the policy is for and how its verdicts read."),
            "references": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "extends": _text("A bundled policy name or a policy file (relative to this one) to start from."),
            "rule_dirs": {"type": "array", "items": {"type": "string", "minLength": 1},
                          "description": "Extra rule folders, relative to this file; bundled rules are always available."},
            "rules": {"type": "array", "items": selection, "description": "The rules this policy applies, in order."},
            "exclude": {"type": "array", "items": _ref("ruleId"), "description": "Rules of the extended policy to drop."},
            "verdict": verdict,
        },
        "additionalProperties": False,
        "if": {"not": {"required": ["extends"]}},
        "then": {"required": ["rules", "verdict"]},
        "$defs": {"ruleId": _rule_id()},
    }


def waiver_schema() -> dict[str, Any]:
    waiver = {
        "type": "object",
        "required": ["rule", "scope", "reason", "author", "expires"],
        "properties": {
            "rule": _ref("ruleId"),
            "scope": _text("'*' for every finding of the rule, or one finding's scope, e.g. 'component:vision'."),
            "reason": _text("Why the finding is accepted."),
            "author": _text("Who reviewed and approved it."),
            "expires": {"type": "string", "pattern": DATE_PATTERN,
                        "description": "Last day the waiver applies (YYYY-MM-DD).",
                        "x-messages": {"pattern": "'{value}' is not a date (YYYY-MM-DD)"}},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": _DRAFT, "$id": f"{SCHEMA_BASE}/waiver-{FORMAT_VERSION}.json", "title": "fromscratch waivers",
        "type": "object",
        "required": ["format_version", "waivers"],
        "properties": {"format_version": _format_version(), "waivers": {"type": "array", "items": waiver}},
        "additionalProperties": False,
        "$defs": {"ruleId": _rule_id()},
    }


def policy_test_schema() -> dict[str, Any]:
    statuses = [s.value for s in RuleStatus]
    case = {
        "type": "object",
        "required": ["name", "expect"],
        "properties": {
            "name": _text("Case name, shown by 'policy test'."),
            "description": _text("What the case shows."),
            "policy": _text("Policy for this case (overrides the file's)."),
            "facts": {"type": "object", "description": "Partial scan facts; everything left out takes its empty default."},
            "facts_file": _text("A JSON or YAML facts file (or a saved report), relative to this file."),
            "repo": _text("A small model repository to scan, relative to this file."),
            "read_weights": {"type": "boolean", "description": "Fingerprint weights when scanning 'repo' (default true)."},
            "waivers": _text("A waivers file, relative to this file."),
            "today": {"type": "string", "pattern": DATE_PATTERN, "description": "The date waivers are judged on.",
                      "x-messages": {"pattern": "'{value}' is not a date (YYYY-MM-DD)"}},
            "expect": {
                "type": "object", "minProperties": 1,
                "properties": {
                    "verdict": {"enum": [v.value for v in VerdictStatus]},
                    "rules": {"type": "object", "propertyNames": _ref("ruleId"), "additionalProperties": {"enum": statuses}},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
        "oneOf": [{"required": ["facts"]}, {"required": ["facts_file"]}, {"required": ["repo"]}],
        "x-messages": {"oneOf": "a case needs exactly one of facts, facts_file, repo"},
    }
    return {
        "$schema": _DRAFT, "$id": f"{SCHEMA_BASE}/policy-test-{FORMAT_VERSION}.json", "title": "fromscratch policy tests",
        "type": "object",
        "required": ["format_version", "cases"],
        "properties": {
            "format_version": _format_version(),
            "policy": _text("The policy every case uses unless it names its own: a bundled name or a file."),
            "rules": {"type": "array", "minItems": 1, "items": _ref("ruleId"),
                      "description": "Instead of a policy: test just these rules (with the default verdict combination)."},
            "rule_dirs": {"type": "array", "items": {"type": "string", "minLength": 1},
                          "description": "Where to find 'rules' that are not bundled, relative to this file."},
            "cases": {"type": "array", "minItems": 1, "items": case},
        },
        "additionalProperties": False,
        "not": {"required": ["policy", "rules"]},
        "x-messages": {"not": "give either 'policy' or 'rules', not both"},
        "$defs": {"ruleId": _rule_id()},
    }


SCHEMAS = {
    "rule.schema.json": rule_schema,
    "policy.schema.json": policy_schema,
    "waiver.schema.json": waiver_schema,
    "policy-test.schema.json": policy_test_schema,
}


def schema_text(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def plain(value: Any) -> Any:
    """YAML dates become ISO strings, so the schema (and people) see what they wrote."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def schema_problems(located: Located, schema: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Every schema violation as (YAML path, sentence), in file order, duplicates dropped."""
    validator = jsonschema.Draft202012Validator(schema)
    found: dict[tuple[tuple, str], tuple[int, int]] = {}
    for error in validator.iter_errors(located.data):
        for path, message in _explain(error):
            found.setdefault((path, message), _line_col(located.where(path)))
    # A misspelt key also leaves its condition without an operator; the spelling is the one thing to say.
    misspelt = {path[:-1] for path, message in found if message.startswith("unknown key")}
    kept = [item for item in found if item[0] not in misspelt]
    return sorted(kept, key=lambda item: (found[item], item[1]))


def schema_errors(located: Located, schema: dict[str, Any]) -> list[str]:
    """Every schema violation as ``file:line:column: sentence``, in file order."""
    return [f"{located.where(path)}: {message}" for path, message in schema_problems(located, schema)]


def _line_col(where: str) -> tuple[int, int]:
    parts = where.rsplit(":", 2)
    return (int(parts[1]), int(parts[2])) if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() else (0, 0)


def _explain(error: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    path = tuple(error.absolute_path)
    instance = error.instance
    custom = error.schema.get("x-messages", {}).get(error.validator) if isinstance(error.schema, dict) else None
    if custom:
        keys = ", ".join(str(k) for k in instance) if isinstance(instance, dict) else ""
        return [(path, custom.replace("{keys}", keys).replace("{value}", str(instance)))]
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in instance if k not in allowed]
        out = []
        for key in extra:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            out.append(((*path, str(key)), f"unknown key '{key}'{hint}; expected one of: {', '.join(allowed)}"))
        return out
    if kind == "required":
        return [(path, f"missing key '{k}'") for k in error.validator_value if k not in instance]
    if kind == "type":
        return [(path, f"expected {_types(error.validator_value)}, got {_describe(instance)}{_yaml_hint(instance, error.validator_value)}")]
    if kind == "enum":
        return [(path, f"expected one of {', '.join(map(str, error.validator_value))}; got {_describe(instance)}")]
    if kind == "const":
        return [(path, f"expected {error.validator_value!r}; got {_describe(instance)}")]
    if kind in ("minItems", "minLength") and error.validator_value == 1:
        return [(path, "must not be empty")]
    if kind == "maxLength":
        return [(path, f"is longer than {error.validator_value} characters")]
    if kind == "pattern":
        return [(path, f"'{instance}' does not have the expected form ({error.validator_value})")]
    if kind in ("anyOf", "oneOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return _explain(best)
    return [(path, error.message[:200])]


def _types(expected: Any) -> str:
    names = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
             "array": "a list", "object": "a mapping", "null": "null"}
    items = expected if isinstance(expected, list) else [expected]
    return " or ".join(names.get(t, t) for t in items)


def _describe(instance: Any) -> str:
    if isinstance(instance, bool):
        return "true" if instance else "false"
    if instance is None:
        return "null"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, str):
        return f"'{instance}'" if len(instance) <= 60 else f"'{instance[:57]}...'"
    return repr(instance)


def _yaml_hint(instance: Any, expected: Any) -> str:
    if isinstance(instance, str) and "number" in str(expected):
        try:
            float(instance)
        except ValueError:
            return ""
        return " (YAML reads '1e-3' as text: write 1.0e-3)"
    if isinstance(instance, (int, float)) and not isinstance(instance, bool) and "string" in str(expected):
        return " (quote it to make it text)"
    return ""
