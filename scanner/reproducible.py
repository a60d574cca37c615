"""SOURCE_DATE_EPOCH, the reproducible-builds convention for a fixed "now", read in one place.

It fixes the report's start time and the day waivers expire against, so two scans of the same
input give the same bytes. The convention is a non-negative whole number of seconds since
1970-01-01 UTC; anything else is refused rather than ignored, since ignoring it would silently
give a report that cannot be reproduced. This module imports nothing heavy: the CLI checks the
variable before importing scipy, whose import itself fails on a value that is not a number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from scanner.errors import FromScratchError

_WHOLE_SECONDS = re.compile(r"\s*[0-9]+\s*")


def source_date_epoch(environ: Mapping[str, str] = os.environ) -> datetime | None:
    """The fixed time SOURCE_DATE_EPOCH names, or None when it is unset or empty."""
    value = environ.get("SOURCE_DATE_EPOCH")
    if value is None or not value.strip():
        return None
    try:
        if not _WHOLE_SECONDS.fullmatch(value):
            raise ValueError
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise FromScratchError(f"SOURCE_DATE_EPOCH={value[:40]!r} is not a time fromscratch can write: expected whole "
                               f"seconds since 1970-01-01 UTC, from 0 to 253402300799 (year 9999)") from None
