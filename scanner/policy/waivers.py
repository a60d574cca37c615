"""Waivers: reviewed exceptions that turn a rule's findings into waived ones until they expire.

A waiver names a rule and a scope: ``*`` for every finding of the rule, or the scope of one finding
as the rule's ``scope`` template renders it (``component:vision``, ``upstream:qwen2.5-vl-32b``). A
waived finding is never dropped: it becomes a separate ``waived`` result carrying the waiver, so
every report shows it apart from the failures. On the day after ``expires`` a waiver stops applying
and the finding fails again, with a note that its waiver expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

from scanner.policy.files import WAIVER_FILE, load_checked, schema_problems_by_item
from scanner.policy.model import PolicyFileError, WaiverEntry, Waivers
from scanner.policy.rules import sorted_messages, unknown_rule_id
from scanner.report.model import Waiver
from scanner.reproducible import source_date_epoch


def load_waivers(path: str | Path, *, known_rules: Collection[str] | None = None) -> Waivers:
    """Read and check a waivers file; raises ``PolicyFileError`` listing every problem of every waiver.

    With ``known_rules`` (``policy validate``) a waiver naming another rule is a problem too; a scan
    does not pass them, since a waivers file may serve several policies.
    """
    path = Path(path)
    located, _, _ = load_checked(path, WAIVER_FILE, keep_going=True)
    broken = schema_problems_by_item(located, WAIVER_FILE)
    problems: list[tuple[str, str]] = [p for item in broken.values() for p in item]
    entries: list[WaiverEntry] = []
    first: dict[tuple[str, str], str] = {}
    for index, data in enumerate(located.data["waivers"]):
        if index in broken:
            continue
        at = located.where(("waivers", index))
        if known_rules is not None and data["rule"] not in known_rules:
            problems.append((at, unknown_rule_id(data["rule"], known_rules)))
        expires = real_date(data["expires"])
        if expires is None:
            problems.append((located.where(("waivers", index, "expires")), f"'{data['expires']}' is not a real date"))
            continue
        key = (data["rule"], data["scope"])
        if key in first:
            problems.append((at, f"a second waiver for rule '{key[0]}' and scope '{key[1]}' (first at {first[key]})"))
            continue
        first[key] = at
        entries.append(WaiverEntry(
            waiver=Waiver(rule_id=data["rule"], scope=data["scope"], reason=data["reason"], author=data["author"],
                          expires=expires.isoformat()),
            expires=expires, at=at))
    if problems:
        raise PolicyFileError(sorted_messages(problems))
    return Waivers(source=located.filename, entries=tuple(entries))


def real_date(text: str) -> dt.date | None:
    """The day a schema-checked ``YYYY-MM-DD`` text names, or None when the calendar has no such day
    (``2026-13-01``), which the schema's pattern cannot tell."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def default_today() -> dt.date:
    """Today in UTC, or the day SOURCE_DATE_EPOCH names (so reproducible builds judge expiry the same way)."""
    fixed = source_date_epoch()
    return fixed.date() if fixed is not None else dt.datetime.now(tz=dt.timezone.utc).date()


def is_active(entry: WaiverEntry, today: dt.date) -> bool:
    return today <= entry.expires


def covers(entry: WaiverEntry, rule_id: str, scope: str) -> bool:
    return entry.waiver.rule_id == rule_id and entry.waiver.scope in ("*", scope)
