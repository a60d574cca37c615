"""The report as JSON, and back.

Field order follows the report dataclasses (verdict-related fields last, as in the schema); maps
are sorted; floats are written as Python repr, so the same report always gives the same bytes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema

from scanner.codec import DecodeError, from_jsonable, to_jsonable
from scanner.errors import FromScratchError, OutputError
from scanner.report.model import SCHEMA_VERSION, ScanReport
from scanner.report.schema import report_schema
from scanner.reporters.spdx_common import created_time


def render_json(report: ScanReport) -> str:
    return json.dumps(to_jsonable(report), indent=2, ensure_ascii=False) + "\n"


def load_report(path: Path) -> ScanReport:
    """Read a saved report, checking it against the schema first so errors name the file and the bad key.

    Python's JSON reader accepts ``NaN`` and ``Infinity``, which are not JSON and which no chart or
    SBOM can show, so they are refused here with their key path rather than failing later in a reporter.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FromScratchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FromScratchError(f"{path}: not a JSON report ({exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise FromScratchError(f"{path}: not a fromscratch report (no schema_version)")
    if str(data["schema_version"]).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise FromScratchError(f"{path}: report schema_version {data['schema_version']} is not supported by this version")
    where = _non_finite(data)
    if where is not None:
        raise FromScratchError(f"{path}: invalid report at {where}: NaN and Infinity are not JSON numbers")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(report_schema()).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise FromScratchError(f"{path}: invalid report at {where}: {error.message[:200]}")
    try:
        report = from_jsonable(ScanReport, data)
        created_time(report.run.started_at)
    except (DecodeError, OutputError) as exc:
        raise FromScratchError(f"{path}: invalid report: {exc}") from None
    return report


def _non_finite(data: Any) -> str | None:
    """The key path (as the schema errors write it) of the first NaN or infinity in ``data``, or None."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        keys, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return "/".join(keys) or "(top level)"
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend(reversed([((*keys, str(key)), item) for key, item in children]))
    return None
