"""Inherited obligations: for each upstream licence duty, is it met by this repository?

The duties come from the licence catalog (``scanner/data/licenses/catalog``), each with the clause
that imposes it. This module only decides whether the repository's own files meet them:

* ``copy_of_agreement``: a ``LICENSE*`` file is the upstream licence (unmodified, or containing it);
* ``notice_text`` / ``retain_notices``: the required notice sentence is in a NOTICE file; elsewhere
  in the repository's documents is enough only when the licence does not ask for a "Notice" text
  file (Llama, Qwen, Gemma and NVIDIA's do); for reused code, a copyright line naming the code's
  holder is kept;
* ``display_attribution``: one of the required phrases ("Built with Llama") is in the card or docs;
* ``derived_name_prefix``: the card's title or the repository's name starts with the prefix;
* ``aup_flow_down``: the use restrictions travel with the model (the licence itself is shipped, or
  the licensor's use policy is);
* ``same_license_for_derivatives``, ``non_commercial``, ``research_only``: the licence the
  repository declares keeps the upstream's terms.

``satisfied`` is null where a machine cannot tell (whether modified files are marked, a duty
without fixed wording); the evidence then says what was looked at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from scanner.compliance.license_sources import LicenseSources
from scanner.code.known import names_holder
from scanner.code.similarity import CodeMatch
from scanner.compliance.texts import RepoTexts, normalise
from scanner.compliance.upstreams import UpstreamRecord
from scanner.licenses import Category, LicenseInfo, Term, get_license
from scanner.licenses.catalog import reference_text
from scanner.licenses.normalize import words
from scanner.report.model import FileKind, Obligation

_NOTICE_KINDS = (FileKind.NOTICE,)
_DOC_KINDS = (FileKind.MODEL_CARD, FileKind.NOTICE, FileKind.OTHER)
_RESTRICTIVE = (Category.NON_COMMERCIAL, Category.RESEARCH_ONLY)
MAX_QUOTED = 120
_NOTICE_FILE = ("notice", "text", "file")


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoContext:
    """What the checks read: documents, identified licences, the names the model goes by, code headers."""

    texts: RepoTexts
    licenses: LicenseSources
    names: tuple[tuple[str, str], ...]  # (name, where it is used)
    code_headers: Mapping[str, str]


def _quote(text: str) -> str:
    return repr(text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…")


def _row(record: UpstreamRecord, info: LicenseInfo, kind: str, requirement: str, term: Term,
         satisfied: bool | None, evidence: str) -> Obligation:
    return Obligation(upstream=record.catalog_id or record.name, license_id=info.id, kind=kind, requirement=requirement,
                      clause=term.clause or "", satisfied=satisfied, evidence=evidence)


def _searched(texts: RepoTexts, kinds: tuple[FileKind, ...]) -> str:
    labels = texts.labels(kinds)
    return ", ".join(labels) if labels else "no documents"


def _copy_of_agreement(info: LicenseInfo, ctx: RepoContext) -> tuple[bool, str]:
    files = ctx.licenses.license_files
    exact = [f.source for f in files if (f.license_id == info.id and not f.modified) or info.id in f.also_contains]
    if exact:
        return True, f"{', '.join(exact)} is the {info.id} licence text"
    modified = [f.source for f in files if f.license_id == info.id and f.modified]
    if modified:
        return False, f"{', '.join(modified)} is {info.id} with changed or added terms, not the licence itself"
    found = ", ".join(f"{f.source} is {f.label}" for f in files) or "the repository ships no LICENSE file"
    return False, f"no licence file is {info.id} ({found})"


@cache
def requires_notice_file(license_id: str) -> bool:
    """Whether the licence's own text asks for a "Notice" text file (Llama, Qwen, Gemma, NVIDIA do).

    Read from the reference text rather than listed by hand, so a licence added to the catalog is
    held to what it says.
    """
    keys = words(reference_text(get_license(license_id).text)).keys
    return any(keys[i : i + len(_NOTICE_FILE)] == _NOTICE_FILE for i in range(len(keys) - len(_NOTICE_FILE) + 1))


def _notice(text: str, info: LicenseInfo, ctx: RepoContext, clause: str) -> tuple[bool, str]:
    in_notice = ctx.texts.find(text, _NOTICE_KINDS)
    if in_notice:
        return True, f"found in {', '.join(in_notice)}"
    elsewhere = ctx.texts.find(text, _DOC_KINDS)
    section = clause.split(" ", 1)[0]
    if elsewhere and requires_notice_file(info.id):
        notices = ctx.texts.labels(_NOTICE_KINDS)
        where = f"none of {', '.join(notices)} holds it" if notices else "the repository has no NOTICE file"
        return False, f"found only in {', '.join(elsewhere)}, but {section} requires a \"Notice\" text file and {where}"
    if elsewhere:
        return True, f"found in {', '.join(elsewhere)}, though not in a NOTICE file"
    return False, f"not found in {_searched(ctx.texts, _DOC_KINDS)}"


def _code_notice(record: UpstreamRecord, ctx: RepoContext) -> tuple[bool | None, str]:
    """Copyright notices of reused code: kept in each copied file whose original (its closest match)
    had one, or, when the code base keeps its notice in its licence file, somewhere beside the code."""
    group = record.code_group
    holder = group.copyright_holder if group else None
    if group is None or not holder:
        return None, f"{record.name} carries no copyright notice to keep; its NOTICE files, if any, are not in the catalog"
    closest: dict[str, CodeMatch] = {}
    for path, match in record.code_matches:
        if path not in closest or match.score > closest[path].score:
            closest[path] = match
    with_notice = sorted(path for path, match in closest.items() if match.file.carries_notice)
    if with_notice:
        dropped = [path for path in with_notice if not names_holder(ctx.code_headers.get(path, ""), holder)]
        if dropped:
            return False, f"{', '.join(dropped)} dropped the copyright notice naming {holder} that the original carries"
        return True, f"{', '.join(with_notice)} keep the copyright notice naming {holder}"
    copied = sorted(closest)
    if not group.notice_in_license_file:
        return None, f"the {record.name} files that {', '.join(copied)} resemble carry no copyright notice; nothing to keep"
    texts = {**{path: ctx.code_headers.get(path, "") for path in copied}, **ctx.licenses.texts}
    kept = [label for label, text in sorted(texts.items()) if names_holder(text, holder)]
    if kept:
        return True, f"a copyright notice naming {holder} is kept in {', '.join(kept)}"
    return False, f"{record.name}'s copyright notice naming {holder} is in none of {', '.join(sorted(texts))}"


def _attribution(phrases: Sequence[str], ctx: RepoContext) -> tuple[bool, str]:
    for phrase in phrases:
        found = ctx.texts.find(phrase, _DOC_KINDS)
        if found:
            return True, f"{phrase!r} found in {', '.join(found)}"
    wanted = " or ".join(repr(p) for p in phrases)
    return False, f"{wanted} not found in {_searched(ctx.texts, _DOC_KINDS)}"


def _squashed(name: str) -> str:
    """Letters and digits only: 'Llama-3 Ko' and 'llama3ko' both start with the prefix 'Llama 3'."""
    return normalise(name).replace(" ", "")


def _name_prefix(prefix: str, ctx: RepoContext) -> tuple[bool | None, str]:
    if not ctx.names:
        return None, "the model's name is not known (no card title, no repository name)"
    wanted = _squashed(prefix)
    compared = "; ".join(f"{name!r} ({where})" for name, where in ctx.names)
    starting = [f"{name!r} ({where})" for name, where in ctx.names if _squashed(name).startswith(wanted)]
    if starting:
        return True, f"{', '.join(starting)} starts with {prefix!r}"
    return False, f"no name starts with {prefix!r}: {compared}"


def _flow_down(info: LicenseInfo, ctx: RepoContext) -> tuple[bool, str]:
    copy, copy_evidence = _copy_of_agreement(info, ctx)
    if copy:
        return True, f"the restrictions travel with the licence: {copy_evidence}"
    policies = [p.source for p in ctx.licenses.use_policies if p.license_id == info.id]
    if policies:
        return True, f"{', '.join(policies)} is the {info.id} use policy"
    return False, f"neither the {info.id} licence nor its use policy is shipped; {copy_evidence}"


def _declared_terms(info: LicenseInfo, ctx: RepoContext, what: str) -> tuple[bool | None, str]:
    declared = ctx.licenses.declared_ids
    expression = ctx.licenses.facts.declared_expression
    if not declared and not expression:
        return None, "the repository declares no licence"
    if info.id in declared:
        return True, f"the repository declares {info.id} itself"
    categories = {get_license(i).category for i in declared}
    if what != "same_license_for_derivatives" and categories and categories <= set(_RESTRICTIVE):
        return True, f"the repository declares {', '.join(declared)} ({', '.join(sorted(c.value for c in categories))})"
    return False, f"the repository declares {', '.join(declared) or expression}, not {info.id}"


def _undecidable(kind: str) -> str:
    return {
        "mark_modified_files": "not checkable automatically: which reused files were changed is not known",
        "display_attribution": "the licence asks for attribution without fixed wording; not checkable automatically",
        "retain_notices": "the upstream's own notices are not in the catalog; not checkable automatically",
    }[kind]


def obligations_for(record: UpstreamRecord, info: LicenseInfo, ctx: RepoContext) -> list[Obligation]:
    """The rows for one upstream and one of its licences (only duties the licence actually imposes)."""
    o = info.obligations
    rows: list[Obligation] = []
    code_only = record.code_group is not None
    if o.copy_of_agreement.value:
        satisfied, evidence = _copy_of_agreement(info, ctx)
        rows.append(_row(record, info, "copy_of_agreement", f"give recipients a copy of the {info.name}",
                         o.copy_of_agreement, satisfied, evidence))
    if isinstance(o.notice_text.value, str):
        satisfied, evidence = _notice(o.notice_text.value, info, ctx, o.notice_text.clause or "")
        rows.append(_row(record, info, "notice_text", f"a \"Notice\" text file containing {_quote(o.notice_text.value)}",
                         o.notice_text, satisfied, evidence))
    elif o.retain_notices.value:
        satisfied, evidence = _code_notice(record, ctx) if code_only else (None, _undecidable("retain_notices"))
        rows.append(_row(record, info, "retain_notices", "keep the upstream's copyright and attribution notices",
                         o.retain_notices, satisfied, evidence))
    phrases = o.display_attribution.value
    if isinstance(phrases, tuple) and phrases:
        satisfied, evidence = _attribution(phrases, ctx)
        rows.append(_row(record, info, "display_attribution", "prominently display " + " or ".join(repr(p) for p in phrases),
                         o.display_attribution, satisfied, evidence))
    elif isinstance(phrases, tuple) and o.display_attribution.clause:
        rows.append(_row(record, info, "display_attribution", "attribute the licensor", o.display_attribution, None,
                         _undecidable("display_attribution")))
    if isinstance(o.derived_name_prefix.value, str):
        satisfied, evidence = _name_prefix(o.derived_name_prefix.value, ctx)
        rows.append(_row(record, info, "derived_name_prefix", f"begin the model's name with {o.derived_name_prefix.value!r}",
                         o.derived_name_prefix, satisfied, evidence))
    if o.mark_modified_files.value:
        rows.append(_row(record, info, "mark_modified_files", "mark modified files with a notice of the changes",
                         o.mark_modified_files, None, _undecidable("mark_modified_files")))
    if o.aup_flow_down.value:
        satisfied, evidence = _flow_down(info, ctx)
        reference = f" ({o.aup_ref.value})" if isinstance(o.aup_ref.value, str) else ""
        rows.append(_row(record, info, "aup_flow_down", f"pass the use restrictions on as enforceable terms{reference}",
                         o.aup_flow_down, satisfied, evidence))
    for kind, term, requirement in (
        ("same_license_for_derivatives", o.same_license_for_derivatives, f"release derivatives under {info.id}"),
        ("non_commercial", o.non_commercial, "no commercial use, also of derivatives"),
        ("research_only", o.research_only, "research or evaluation use only, also of derivatives"),
    ):
        if term.value is True:
            satisfied, evidence = _declared_terms(info, ctx, kind)
            rows.append(_row(record, info, kind, requirement, term, satisfied, evidence))
    return rows
