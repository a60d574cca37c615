"""Licence identification: reference texts, catalog lookups and comparison of what a repository declares.

Public API:

- ``read_license_text(path)`` — a licence file's text, whatever its encoding or format.
- ``identify_text(text, source=...)`` — which catalog licence a text is, and whether it was modified.
- ``identify_card_license(license, license_name, license_link)`` — what a model card declares.
- ``identify_spdx_tags(source_text)`` — ``SPDX-License-Identifier`` tags in code.
- ``identify_use_policy(text, source=...)`` — which licence an acceptable-use-policy file belongs to.
- ``get_license(id)`` / ``all_licenses()`` — catalog entries with obligations and control terms.
- ``consistency(card, files)`` — findings where those sources disagree.
"""

from scanner.licenses.card import identify_card_license
from scanner.licenses.catalog import all_licenses, get_license
from scanner.licenses.consistency import consistency
from scanner.licenses.matching import identify_text
from scanner.licenses.model import (
    Alternative,
    Category,
    Control,
    LicenseFinding,
    LicenseIdentification,
    LicenseInfo,
    LicenseText,
    Method,
    Obligations,
    Term,
    TextChange,
)
from scanner.licenses.reading import read_license_text
from scanner.licenses.spdx_tags import identify_spdx_tags
from scanner.licenses.use_policy import identify_use_policy

__all__ = [
    "Alternative",
    "Category",
    "Control",
    "LicenseFinding",
    "LicenseIdentification",
    "LicenseInfo",
    "LicenseText",
    "Method",
    "Obligations",
    "Term",
    "TextChange",
    "all_licenses",
    "consistency",
    "get_license",
    "identify_card_license",
    "identify_spdx_tags",
    "identify_text",
    "identify_use_policy",
    "read_license_text",
]
