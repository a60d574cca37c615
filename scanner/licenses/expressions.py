"""SPDX licence expressions, with this catalog's own LicenseRefs made known to the parser.

``license_expression``'s SPDX licensing knows SPDX ids and most ScanCode LicenseRefs, but not the
``LicenseRef-fromscratch-*`` ids this catalog has to invent for licences nobody has keyed yet
(Llama 3, Qwen, GLM-4...). Adding them as known symbols lets every expression we emit be validated
the same way, and keeps a typo in a catalog entry from slipping into an SBOM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from license_expression import LicenseSymbol, Licensing, get_spdx_licensing

from scanner.licenses.catalog import all_licenses


@dataclass(frozen=True, slots=True)
class CheckedExpression:
    """An expression as normalised by the parser, or the reasons it is not valid."""

    normalized: str | None
    errors: tuple[str, ...]


@cache
def licensing() -> Licensing:
    """SPDX licensing plus every catalog LicenseRef."""
    spdx = get_spdx_licensing()
    known = {symbol.key: symbol for symbol in spdx.known_symbols.values()}
    for info in all_licenses():
        if info.licenseref and info.licenseref not in known:
            known[info.licenseref] = LicenseSymbol(info.licenseref)
    return Licensing(list(known.values()))


def check(expression: str) -> CheckedExpression:
    """Validate ``expression``; never raises."""
    try:
        info = licensing().validate(expression)
    except (AttributeError, TypeError, ValueError) as exc:  # license-expression fails on e.g. a dangling "MIT AND"
        return CheckedExpression(normalized=None, errors=(f"not a licence expression ({exc.__class__.__name__})",))
    if info.errors:
        return CheckedExpression(normalized=None, errors=tuple(info.errors))
    return CheckedExpression(normalized=info.normalized_expression, errors=())


def symbols(expression: str) -> tuple[str, ...]:
    """The licence keys an (already valid) expression names, in order of appearance."""
    parsed = licensing().parse(expression, validate=True)
    return tuple(dict.fromkeys(symbol.key for symbol in licensing().license_symbols(parsed)))


@cache
def ids_by_symbol() -> dict[str, str]:
    """Catalog licence id by lower-cased licence key (SPDX id or LicenseRef); GPL-style '-only' ids
    also answer for their '-or-later' form, whose obligations are the same."""
    table: dict[str, str] = {}
    for info in all_licenses():
        table[info.expression.lower()] = info.id
        if info.spdx and info.spdx.endswith("-only"):
            table[info.spdx[: -len("-only")].lower() + "-or-later"] = info.id
    return table


def catalog_ids(expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(catalog licence ids, keys outside the catalog) an expression names; both empty when it is invalid."""
    checked = check(expression)
    if checked.normalized is None:
        return (), ()
    table = ids_by_symbol()
    keys = symbols(checked.normalized)
    known = tuple(dict.fromkeys(table[k.lower()] for k in keys if k.lower() in table))
    unknown = tuple(k for k in keys if k.lower() not in table)
    return known, unknown
