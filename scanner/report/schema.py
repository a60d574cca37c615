"""The shipped JSON Schema of the report, generated from the report dataclasses.

Run ``python -m scanner.report.schema`` after changing ``scanner/report/model.py``; a test fails
while the shipped file and the dataclasses disagree.
"""

from __future__ import annotations

import json
import sys

from scanner.bundled import data_path
from scanner.codec import json_schema
from scanner.report.model import SCHEMA_VERSION, ScanReport

SCHEMA_FILE = data_path("schemas", "report.schema.json")


def report_schema() -> dict:
    schema = json_schema(ScanReport, schema_id=f"https://fromscratch.dev/schemas/report-{SCHEMA_VERSION}.json",
                         title="fromscratch scan report")
    major = SCHEMA_VERSION.split(".")[0]
    schema["properties"]["schema_version"] = {"type": "string", "pattern": rf"^{major}\.[0-9]+$",
                                              "description": f"Report schema version ({SCHEMA_VERSION} written; "
                                                             f"every {major}.x is read)."}
    return schema


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if SCHEMA_FILE.read_text(encoding="utf-8") == schema_text() else 1)
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
