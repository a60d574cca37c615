"""Do the licence sources of one repository agree?

The Korean programme's ethics criterion asks whether a model complies with the licences of what it
reused; the first thing that goes wrong in practice is that the card says one thing and the
shipped licence text another (a card saying ``apache-2.0`` over a Qwen research licence, say).
These findings are facts for policy rules; they do not decide anything themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.licenses.model import LicenseFinding, LicenseIdentification, Method
from scanner.report.model import Severity


def _ids(identification: LicenseIdentification) -> set[str]:
    if identification.license_id is not None:
        return {identification.license_id, *identification.also_contains}
    if identification.method is Method.CARD_FIELD:
        return {alt.license_id for alt in identification.alternatives}
    return set()


def _declared(card: LicenseIdentification) -> str:
    return card.license_id or card.expression or " or ".join(sorted(_ids(card)))


def _closest(identification: LicenseIdentification) -> str:
    if not identification.alternatives:
        return ""
    best = identification.alternatives[0]
    return f" (closest: {best.license_id}, {best.score:.2f})"


def _file_findings(files: Sequence[LicenseIdentification]) -> list[LicenseFinding]:
    findings = []
    for ident in files:
        if ident.modified:
            excerpt = next((c.excerpt or c.reference_excerpt for c in ident.changes), "")
            findings.append(
                LicenseFinding(
                    code="license.file-modified",
                    severity=Severity.WARNING,
                    message=f"{ident.source} is {ident.license_id} with added or changed terms, not the licence itself"
                    + (f"; e.g. {excerpt!r}" if excerpt else ""),
                    sources=(ident.source,),
                    license_ids=(str(ident.license_id),),
                )
            )
        elif ident.license_id is None and ident.expression is None:
            findings.append(
                LicenseFinding(
                    code="license.file-unidentified",
                    severity=Severity.WARNING,
                    message=f"{ident.source} is not any catalog licence{_closest(ident)}",
                    sources=(ident.source,),
                    license_ids=(),
                )
            )
    return findings


def consistency(card: LicenseIdentification | None, files: Sequence[LicenseIdentification],
                bundled: Sequence[LicenseIdentification] = ()) -> list[LicenseFinding]:
    """Findings about modified or unknown licence texts and disagreement between card and files.

    ``files`` are the repository's own licence texts (top level), compared with the card.
    ``bundled`` are licence files in sub-folders (``third_party/kern/LICENSE``): they describe the
    code shipped there, which may rightly be under another licence, so they are only checked for
    modified or unknown texts.
    """
    findings = _file_findings([*files, *bundled])
    identified = [f for f in files if f.license_id is not None or f.expression is not None]
    if card is None:
        return findings
    card_declares = card.license_id is not None or card.expression is not None or bool(_ids(card))
    if card_declares and identified:
        card_ids = _ids(card)
        agreeing = [f for f in identified if card_ids & _ids(f) or (card.expression and card.expression == f.expression)]
        if not agreeing:
            found = ", ".join(f"{f.source} is {f.label}" for f in identified)
            findings.append(
                LicenseFinding(
                    code="license.card-file-mismatch",
                    severity=Severity.ERROR,
                    message=f"the model card declares {_declared(card)}, but {found}",
                    sources=(card.source, *(f.source for f in identified)),
                    license_ids=tuple(sorted(card_ids | {i for f in identified for i in _ids(f)})),
                )
            )
        elif len(agreeing) < len(identified):
            others = [f for f in identified if f not in agreeing]
            findings.append(
                LicenseFinding(
                    code="license.files-differ",
                    severity=Severity.INFO,
                    message="licence files name different licences: " + ", ".join(f"{f.source} is {f.label}" for f in identified),
                    sources=tuple(f.source for f in identified),
                    license_ids=tuple(sorted({i for f in others for i in _ids(f)} | card_ids)),
                )
            )
    elif identified:
        found = ", ".join(f"{f.source} is {f.label}" for f in identified)
        findings.append(
            LicenseFinding(
                code="license.card-missing",
                severity=Severity.WARNING,
                message=f"the model card declares no identifiable licence, but {found}",
                sources=(card.source, *(f.source for f in identified)),
                license_ids=tuple(sorted({i for f in identified for i in _ids(f)})),
            )
        )
    elif card_declares and not files:
        findings.append(
            LicenseFinding(
                code="license.text-missing",
                severity=Severity.WARNING,
                message=f"the model card declares {_declared(card)}, but the repository ships no licence text",
                sources=(card.source,),
                license_ids=tuple(sorted(_ids(card))),
            )
        )
    return findings
