"""Compare two signatures of the same component: identical, same family, or different.

* ``identical``: same family, and every shape and computation hyper-parameter that both configs
  declare is equal (there must be at least one). Interface settings (a vision merger's output
  width, which follows the text model it feeds) and context settings (maximum positions, RoPE
  scaling) are reported but do not count, so a Qwen2.5-VL vision tower attached to a new language
  model is still identical to Qwen's.
* ``same_family``: same family (after ``FAMILY_ALIASES``), but some of those settings differ.
* ``different``: the families differ, whatever the numbers say.

A setting declared on one side only is listed as such and decides nothing: it is unknown, not
different. ``hyperparameters_match`` says whether the identity-relevant settings agree regardless of
family, which is how "the same architecture under another name" (a config relabelled with a new
``model_type``) shows up; ``matching`` also keeps a ``different`` comparison whose configs name the
same model class (Kimi K2 declares ``kimi_k2`` but runs ``DeepseekV3ForCausalLM``, at other sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.architecture.hyperparameters import BY_NAME, IDENTITY_ROLES, Role
from scanner.architecture.signature import ArchitectureSignature, Value
from scanner.report.model import ArchitectureLineage, ArchitectureRelation


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement:
    """A hyper-parameter both sides declare with the same value."""

    name: str
    role: Role
    value: Value


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """A hyper-parameter both sides declare with different values."""

    name: str
    role: Role
    candidate: Value
    reference: Value


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchitectureComparison:
    """How a candidate component's signature relates to a reference one."""

    component: str
    relation: ArchitectureRelation
    candidate_family: str
    reference_family: str
    hyperparameters_match: bool
    agreeing: tuple[Agreement, ...]
    differing: tuple[Difference, ...]
    only_in_candidate: tuple[str, ...]
    only_in_reference: tuple[str, ...]

    def as_lineage(self, *, catalog_id: str, catalog_component: str | None = None) -> ArchitectureLineage:
        """The report's form of this comparison against one catalog entry."""
        return ArchitectureLineage(
            component=self.component,
            catalog_id=catalog_id,
            catalog_component=catalog_component or self.component,
            relation=self.relation,
            agreeing=tuple(a.name for a in self.agreeing),
            differing={d.name: f"{d.candidate!r} vs {d.reference!r}" for d in self.differing},
            hyperparameters_match=self.hyperparameters_match,
        )


def compare(candidate: ArchitectureSignature, reference: ArchitectureSignature) -> ArchitectureComparison:
    """Key-by-key comparison; raises ``ValueError`` for signatures of different components."""
    if candidate.component != reference.component:
        raise ValueError(f"cannot compare a {candidate.component} signature with a {reference.component} one")
    ours, theirs = dict(candidate.hyperparameters), dict(reference.hyperparameters)
    shared = sorted(ours.keys() & theirs.keys())
    agreeing = tuple(Agreement(name=n, role=BY_NAME[n].role, value=ours[n]) for n in shared if ours[n] == theirs[n])
    differing = tuple(
        Difference(name=n, role=BY_NAME[n].role, candidate=ours[n], reference=theirs[n])
        for n in shared
        if ours[n] != theirs[n]
    )
    match = any(a.role in IDENTITY_ROLES for a in agreeing) and not any(d.role in IDENTITY_ROLES for d in differing)
    if candidate.family != reference.family:
        relation = ArchitectureRelation.DIFFERENT
    elif match:
        relation = ArchitectureRelation.IDENTICAL
    else:
        relation = ArchitectureRelation.SAME_FAMILY
    return ArchitectureComparison(
        component=candidate.component,
        relation=relation,
        candidate_family=candidate.family,
        reference_family=reference.family,
        hyperparameters_match=match,
        agreeing=agreeing,
        differing=differing,
        only_in_candidate=tuple(sorted(ours.keys() - theirs.keys())),
        only_in_reference=tuple(sorted(theirs.keys() - ours.keys())),
    )
