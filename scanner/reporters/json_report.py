"""The report as JSON, and back.

Field order follows the report dataclasses (verdict-related fields last, as in the schema); maps
are sorted; floats are written as Python repr, so the same report always gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from scanner.codec import DecodeError, from_jsonable, to_jsonable
from scanner.errors import FromScratchError
from scanner.report.model import ScanReport
from scanner.report.schema import report_schema


def render_json(report: ScanReport) -> str:
    return json.dumps(to_jsonable(report), indent=2, ensure_ascii=False) + "\n"


def load_report(path: Path) -> ScanReport:
    """Read a saved report, checking it against the schema first so errors name the bad key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FromScratchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FromScratchError(f"{path}: not a JSON report ({exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise FromScratchError(f"{path}: not a fromscratch report (no schema_version)")
    major = str(data["schema_version"]).split(".")[0]
    if major != report_schema()["properties"]["schema_version"]["const"].split(".")[0]:
        raise FromScratchError(f"{path}: report schema_version {data['schema_version']} is not supported by this version")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(report_schema()).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise FromScratchError(f"{path}: invalid report at {where}: {error.message[:200]}")
    try:
        return from_jsonable(ScanReport, data)
    except DecodeError as exc:
        raise FromScratchError(f"{path}: invalid report: {exc}") from None
