"""Values passed between the licence stages: texts read, identifications, catalog entries, findings.

Everything here is a frozen dataclass so a result can be cached, compared in tests and handed to
the report builder without anyone mutating it on the way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from scanner.report.model import Problem, Severity

frozen = dataclass(frozen=True, slots=True, kw_only=True)

TermValue = bool | int | str | tuple[str, ...] | None


class Method(str, enum.Enum):
    """How an identification was reached, strongest evidence first."""

    EXACT = "exact"
    SIMILARITY = "similarity"
    SPDX_TAG = "spdx-tag"
    CARD_FIELD = "card-field"
    NONE = "none"


class Category(str, enum.Enum):
    """What kind of licence it is, for policy rules that allow or deny whole groups."""

    PERMISSIVE = "permissive"
    COPYLEFT = "copyleft"
    WEAK_COPYLEFT = "weak-copyleft"
    RESTRICTED_OPEN = "restricted-open"
    NON_COMMERCIAL = "non-commercial"
    RESEARCH_ONLY = "research-only"
    PROPRIETARY = "proprietary"


@frozen
class LicenseText:
    """A licence file's text as read from disk, or why it could not be read well.

    ``problem`` is set for anything a reviewer should know (empty, truncated, binary, unreadable);
    ``text`` is still filled with whatever could be used.
    """

    path: str
    text: str
    encoding: str | None
    size: int
    bytes_read: int
    truncated: bool
    was_html: bool
    problem: Problem | None = None


@frozen
class Alternative:
    """A catalog licence the text resembles, with its similarity (0..1)."""

    license_id: str
    score: float


@frozen
class TextChange:
    """A passage where the text differs from the reference licence."""

    kind: str  # "added", "removed" or "changed"
    excerpt: str  # the text's words (empty for a removal)
    reference_excerpt: str  # the reference's words (empty for an addition)


@frozen
class LicenseIdentification:
    """What one licence source (a file, a card field, an SPDX tag) was identified as.

    ``license_id`` names the catalog licence the source is closest to. When ``modified`` is true the
    source is that licence *with changed or added terms*: it is not the licence itself, so
    ``expression`` is null and ``changes`` shows what differs.
    """

    source: str
    license_id: str | None
    expression: str | None
    confidence: float
    method: Method
    alternatives: tuple[Alternative, ...] = ()
    modified: bool = False
    changes: tuple[TextChange, ...] = ()
    also_contains: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Human wording: '<id>', '<id> with modifications' or 'unidentified'."""
        if self.license_id is None:
            return self.expression or "unidentified"
        return f"{self.license_id} with modifications" if self.modified else self.license_id


@frozen
class LicenseFinding:
    """An inconsistency between licence sources, e.g. the card and the LICENSE file disagree."""

    code: str
    severity: Severity
    message: str
    sources: tuple[str, ...]
    license_ids: tuple[str, ...]


@frozen
class Term:
    """One obligation or control term of a licence and the clause that says so."""

    value: TermValue
    clause: str | None


@frozen
class Obligations:
    """Duties a licence puts on whoever redistributes or builds on the licensed model."""

    copy_of_agreement: Term
    retain_notices: Term
    notice_text: Term
    display_attribution: Term
    derived_name_prefix: Term
    mark_modified_files: Term
    same_license_for_derivatives: Term
    mau_threshold: Term
    aup_flow_down: Term
    aup_ref: Term
    outputs_clause: Term
    non_commercial: Term
    research_only: Term


@frozen
class Control:
    """Terms that let the licensor steer or stop the licensee's use (the 'policy' pillar)."""

    remote_restriction: Term
    revocable: Term
    unilateral_changes: Term
    registration_required: Term
    licence_required_above_mau: Term
    termination_on_litigation: Term
    governing_law: Term
    jurisdiction: Term
    field_of_use_restrictions: Term
    territorial_restrictions: Term


@frozen
class SourceRef:
    """Where a reference text was taken from and when."""

    ref: str
    retrieved: str


@frozen
class OptionalPassage:
    """A stretch of a reference text that copies often leave out (a preamble, a how-to appendix).

    It starts at the words ``start`` and runs up to the words ``end`` (or to the end of the text when
    ``end`` is null); leaving it out, or filling in its placeholders, is not a modification.
    """

    start: str
    end: str | None


@frozen
class LicenseInfo:
    """A catalog licence: identity, reference texts, obligations and control terms."""

    id: str
    name: str
    spdx: str | None
    licenseref: str | None
    scancode_key: str | None
    hf_ids: tuple[str, ...]
    link_patterns: tuple[str, ...]
    category: Category
    text: str
    variants: tuple[str, ...]
    companions: tuple[str, ...]
    optional_passages: tuple[OptionalPassage, ...]
    source: SourceRef
    obligations: Obligations
    control: Control
    notes: tuple[str, ...]

    @property
    def expression(self) -> str:
        """The SPDX identifier, or the LicenseRef for licences SPDX does not list."""
        return self.spdx or self.licenseref or ""
