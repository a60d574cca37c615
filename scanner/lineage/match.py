"""Compare a candidate's fingerprint with catalog fingerprints, component by component.

For each candidate matrix and each (catalog model, catalog component) two procedures run:

* **aligned** — the catalog tensor with the same canonical role, layer and expert (transposed
  storage allowed): one test per tensor, no search, so its correlations are unbiased (about 0.000
  for independent models with identical architecture; the effect is their median magnitude, so a
  sign-flipped copy counts, about 0.02 for independent models);
* **search** — the best of every catalog tensor of compatible shape (either orientation, and the
  rotary row orders the candidate tried): survives renaming, anonymous export names, shifted,
  duplicated (depth up-scaling) and pruned layers; Šidák-corrected for the number of tensors searched.

Exact content hashes (raw bytes or values rounded to bfloat16) count as exact matches in both.
The component's p-value is the better procedure's, doubled (Bonferroni over the two), then
corrected for every comparison made in the scan (see ``stats``). A third procedure, the row test,
runs on request for components where both found nothing although shapes match: per-row sketches
matched without regard to order, which undoes neuron and head permutations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import special

from scanner.lineage import stats
from scanner.lineage.fingerprint import ModelFingerprint, TensorPrint
from scanner.lineage.sketch import K, ones_direction, projection, row_signatures
from scanner.report.model import LayerSimilarity, LineageStatistics, WeightLineage, WeightRelation


@dataclass(frozen=True, slots=True)
class Reference:
    """A catalog model's fingerprint under its catalog id."""

    catalog_id: str
    fingerprint: ModelFingerprint


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorEvidence:
    """One candidate tensor against one catalog component: its best match and its aligned partner."""

    key: str
    layer_label: str
    r_search: float
    p_search: float
    search_ref: str
    search_ref_layer: str
    search_view: str
    r_aligned: float | None
    aligned_view: str
    p_aligned: float | None
    exact: bool
    exact_kind: str
    null_sd: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RowEvidence:
    """Row-test result for one candidate tensor: the effect (median best-row cosine over chance), its p-value,
    and the raw combined z of the catalog rows as they are (``z``) and under each fixed rotation (``null_z``),
    from which a component's evidence is judged as a whole (see ``rows_combined``)."""

    key: str
    layer_label: str
    r: float
    p: float
    z: float = 0.0
    null_z: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResult:
    """The evidence of one candidate component against one catalog component, before the decision."""

    component: str
    catalog_id: str
    catalog_component: str
    tensors: tuple[TensorEvidence, ...]
    row_evidence: tuple[RowEvidence, ...] = ()


def layer_label(t: TensorPrint) -> str:
    if t.layer is not None:
        return f"layers.{t.layer}"
    return t.role


@dataclass(frozen=True, slots=True)
class _ShapeBlock:
    """Catalog matrices of one shape, ordered by (catalog model, component) so groups are contiguous."""

    entries: np.ndarray      # global entry index of each row
    unit: np.ndarray         # unit-norm sketches, one row each
    starts: np.ndarray       # first row of each group
    sizes: np.ndarray        # rows per group
    group_ids: np.ndarray    # global group number of each group
    row_group: np.ndarray    # group position (0..len(starts)-1) of each row


class _ReferenceIndex:
    """All catalog matrices stacked by shape, so one matrix product compares a candidate tensor with all of them.

    Catalogs of hundreds of models hold tens of thousands of sketches; each is copied once, straight
    into its shape block, and normalised there.
    """

    def __init__(self, references: Sequence[Reference]) -> None:
        self.entries: list[tuple[int, TensorPrint]] = []
        self.groups: list[tuple[int, str]] = []
        self.by_hash: dict[str, list[int]] = defaultdict(list)
        self.canonical: dict[tuple, list[int]] = defaultdict(list)
        members: dict[tuple[int, ...], list[tuple[int, np.ndarray]]] = defaultdict(list)  # (entry, sketch) per shape
        parts: dict[tuple[int, ...], list[tuple[int, int]]] = defaultdict(list)  # (group, rows) per shape, in order
        entry_groups: list[int] = []
        for ref_index, ref in enumerate(references):
            fp = ref.fingerprint
            by_component: dict[str, list[TensorPrint]] = defaultdict(list)
            for t in fp.tensors:
                if t.kind == "matrix" and t.usable and t.key in fp.matrices:
                    by_component[t.component].append(t)
            for component, usable in sorted(by_component.items()):  # contiguous groups within every shape block
                group = len(self.groups)
                self.groups.append((ref_index, component))
                counts: dict[tuple[int, ...], int] = defaultdict(int)
                for t in usable:
                    i = len(self.entries)
                    self.entries.append((ref_index, t))
                    entry_groups.append(group)
                    members[t.shape].append((i, fp.matrices[t.key]))
                    counts[t.shape] += 1
                    self.by_hash[t.raw_hash].append(i)
                    if t.norm_hash != t.raw_hash:
                        self.by_hash[t.norm_hash].append(i)
                    self.canonical[(t.shape, t.role, t.layer, t.expert)].append(i)
                for shape, count in counts.items():
                    parts[shape].append((group, count))
        self.entry_group = np.asarray(entry_groups, dtype=np.int64)
        self.row_in_block = np.zeros(len(self.entries), dtype=np.int64)
        self.blocks: dict[tuple[int, ...], _ShapeBlock] = {}
        for shape, rows in members.items():
            entries = np.fromiter((i for i, _ in rows), dtype=np.int64, count=len(rows))
            unit = np.empty((len(rows), K * K), np.float32)
            for n, (_, sketch) in enumerate(rows):
                unit[n] = sketch.reshape(-1)
            norms = np.sqrt(np.einsum("ij,ij->i", unit, unit))[:, None]
            unit /= np.where(norms == 0, 1.0, norms)
            sizes = np.asarray([size for _, size in parts[shape]])
            self.row_in_block[entries] = np.arange(len(entries))
            self.blocks[shape] = _ShapeBlock(entries=entries, unit=unit, starts=np.r_[0, np.cumsum(sizes)[:-1]],
                                             sizes=sizes, group_ids=np.asarray([g for g, _ in parts[shape]]),
                                             row_group=np.repeat(np.arange(len(sizes)), sizes))


class Comparison:
    """Evidence of every candidate matrix (rows) against every catalog component (columns), as arrays.

    A scan against hundreds of catalog models compares tens of thousands of (tensor, component)
    pairs; keeping them as arrays lets the decision rank every component pair at numpy speed and
    build per-tensor ``TensorEvidence`` only for the pairs it reports.
    """

    def __init__(self, rows: list[TensorPrint], index: _ReferenceIndex, references: Sequence[Reference]) -> None:
        n, g = len(rows), len(index.groups)
        self.rows = rows
        self.index = index
        self.references = references
        self.views: list[str] = ["", "transpose"]  # view labels, referred to by code
        self.r = np.zeros((n, g))
        self.p = np.ones((n, g))
        self.j = np.full((n, g), -1, dtype=np.int64)
        self.view = np.zeros((n, g), dtype=np.int64)
        self.tried = np.zeros((n, g), dtype=np.int64)
        self.exact = np.zeros((n, g), dtype=np.int8)  # 0 none, 1 raw bytes, 2 bf16-normalised values
        self.r_al = np.full((n, g), np.nan)
        self.p_al = np.full((n, g), np.nan)
        self.j_al = np.full((n, g), -1, dtype=np.int64)
        self.view_al = np.zeros((n, g), dtype=np.int64)
        self.sd = np.ones(n)

    def code(self, label: str) -> int:
        if label not in self.views:
            self.views.append(label)
        return self.views.index(label)

    def pairs(self) -> list[tuple[str, int]]:
        """(candidate component, column) pairs with at least one comparison, in a stable order."""
        components = np.asarray([t.component for t in self.rows])
        out = []
        for component in sorted(set(components.tolist())):
            mask = components == component
            for g in np.flatnonzero(self.tried[mask].any(axis=0)).tolist():
                out.append((component, g))
        return sorted(out, key=lambda cg: (cg[0], self.catalog_id(cg[1]), self.index.groups[cg[1]][1]))

    def catalog_id(self, g: int) -> str:
        return self.references[self.index.groups[g][0]].catalog_id

    def group_result(self, component: str, g: int) -> GroupResult:
        """The per-tensor evidence of one (candidate component, catalog component) pair."""
        evidence = []
        for i, t in enumerate(self.rows):
            if t.component != component or not self.tried[i, g]:
                continue
            j = int(self.j[i, g])
            ref_t = self.index.entries[j][1]
            r = float(self.r[i, g])
            label = self.views[self.view[i, g]]
            aligned = not np.isnan(self.r_al[i, g])
            r_al = float(self.r_al[i, g]) if aligned else None
            al_view = self.views[self.view_al[i, g]] if aligned else ""
            evidence.append(TensorEvidence(
                key=t.key, layer_label=layer_label(t), r_search=r, p_search=float(self.p[i, g]), search_ref=ref_t.key,
                search_ref_layer=layer_label(ref_t), search_view="|".join(x for x in (label, "sign-flip" if r < 0 else "") if x),
                r_aligned=r_al, aligned_view="|".join(x for x in (al_view, "sign-flip" if aligned and r_al < 0 else "") if x),
                p_aligned=float(self.p_al[i, g]) if aligned else None, exact=bool(self.exact[i, g]),
                exact_kind={0: "", 1: "raw", 2: "normalised"}[int(self.exact[i, g])], null_sd=float(self.sd[i])))
        ref_index, ref_component = self.index.groups[g]
        return GroupResult(component=component, catalog_id=self.references[ref_index].catalog_id,
                           catalog_component=ref_component, tensors=tuple(evidence))

    def combined_z(self, component: str, g: int) -> tuple[int, float]:
        """(tensors compared, best procedure's Stouffer z) of a pair, for ranking without building evidence."""
        mask = np.asarray([t.component == component for t in self.rows]) & (self.tried[:, g] > 0)
        n = int(mask.sum())
        z_search = stats.stouffer(stats.z_of_p(self.p[mask, g]))
        aligned = mask & ~np.isnan(self.p_al[:, g])
        z_al = stats.stouffer(stats.z_of_p(self.p_al[aligned, g])) if aligned.any() else -np.inf
        return n, max(z_search, z_al)


def compare(candidate: ModelFingerprint, references: Sequence[Reference]) -> Comparison:
    """Evidence of every candidate matrix against every catalog component with a comparable tensor.

    Candidate sketches are batched by (shape, view) so each catalog block is read once per batch
    in one matrix product; per catalog component the best match is then a segment-wise argmax.
    """
    index = _ReferenceIndex(references)
    rows = [t for t in candidate.tensors if t.kind == "matrix" and t.usable and t.key in candidate.matrices]
    table = Comparison(rows, index, references)
    batches: dict[tuple[tuple[int, ...], int], list[tuple[int, int, np.ndarray]]] = defaultdict(list)
    exact: list[dict[int, int]] = []
    for i, t in enumerate(rows):
        table.sd[i] = stats.null_sd(t.shape)
        sketch = candidate.matrices[t.key]
        views = [("", t.shape, sketch), ("transpose", (t.shape[1], t.shape[0]), sketch.T)]
        views += [(label, t.shape, alt) for label, alt in candidate.alternatives.get(t.key, ())]
        for position, (label, shape, view) in enumerate(views):
            if shape in index.blocks:
                v = view.reshape(-1).astype(np.float32)
                batches[(shape, position)].append((i, table.code(label), v / (float(np.linalg.norm(v)) or 1.0)))
        exact.append({j: (2 if kind == "normalised" else 1) for kind, digest in (("normalised", t.norm_hash), ("raw", t.raw_hash))
                      for j in index.by_hash.get(digest, ()) if index.entries[j][1].shape == t.shape})
    best_abs = np.full(table.r.shape, -1.0)
    for (shape, _position), items in sorted(batches.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        block = index.blocks[shape]
        who = np.asarray([i for i, _, _ in items])
        codes = np.asarray([c for _, c, _ in items])
        r = np.stack([v for _, _, v in items]) @ block.unit.T
        for k, (i, code, _) in enumerate(items):
            if code == 0 and exact[i]:
                r[k, np.isin(block.entries, list(exact[i]))] = 1.0
        magnitude = np.abs(r)
        for start, size, g in zip(block.starts.tolist(), block.sizes.tolist(), block.group_ids.tolist()):
            sub = magnitude[:, start:start + size]
            arg = sub.argmax(axis=1)
            top = sub[np.arange(len(items)), arg]
            table.tried[who, g] += size
            better = top > best_abs[who, g]
            chosen = who[better]
            best_abs[chosen, g] = top[better]
            table.r[chosen, g] = r[better, start + arg[better]]
            table.j[chosen, g] = block.entries[start + arg[better]]
            table.view[chosen, g] = codes[better]
    tried = table.tried > 0
    table.p[tried] = stats.sidak(np.minimum(1.0, 2 * stats.upper_p(np.abs(table.r[tried]) / np.broadcast_to(
        table.sd[:, None], table.r.shape)[tried])), table.tried[tried])
    for i, t in enumerate(rows):
        for g in np.flatnonzero(tried[i]).tolist() if exact[i] else ():
            j = int(table.j[i, g])
            if table.view[i, g] == 0 and j in exact[i]:
                table.exact[i, g] = exact[i][j]
                table.p[i, g] = 0.0
        _aligned(i, t, candidate.matrices[t.key], table, exact[i])
        if t.key in candidate.tokens:
            _token_evidence(i, t, candidate, table)
    return table


def _aligned(i: int, t: TensorPrint, sketch: np.ndarray, table: Comparison, exact_js: dict[int, int]) -> None:
    """Row ``i``'s aligned partners: same role, layer and expert, either orientation (Šidák over the orientations)."""
    index = table.index
    unit = sketch.reshape(-1) / (float(np.linalg.norm(sketch)) or 1.0)
    tries = np.zeros(len(index.groups), dtype=np.int64)
    for label, shape, vec in (("", t.shape, unit), ("transpose", (t.shape[1], t.shape[0]), unit.reshape(K, K).T.reshape(-1))):
        partners = index.canonical.get((shape, t.role, t.layer, t.expert))
        if not partners:
            continue
        partners = np.asarray(partners)
        rs = index.blocks[shape].unit[index.row_in_block[partners]] @ vec
        if label == "" and exact_js:
            rs[np.isin(partners, list(exact_js))] = 1.0
        groups = index.entry_group[partners]
        np.add.at(tries, groups, 1)
        current = table.r_al[i, groups]
        better = np.isnan(current) | (np.abs(rs) > np.abs(current))
        table.r_al[i, groups[better]] = rs[better]
        table.j_al[i, groups[better]] = partners[better]
        table.view_al[i, groups[better]] = table.code(label)
    has = np.flatnonzero(tries)
    table.p_al[i, has] = stats.sidak(np.minimum(1.0, 2 * stats.upper_p(np.abs(table.r_al[i, has]) / table.sd[i])), tries[has])
    for g in has.tolist() if exact_js else ():
        if table.view_al[i, g] == 0 and int(table.j_al[i, g]) in exact_js:
            table.p_al[i, g] = 0.0


def _token_evidence(i: int, t: TensorPrint, fp: ModelFingerprint, table: Comparison) -> None:
    """Embedding rows joined by token, not by position: survives vocabulary extension and reordering.

    The joined row sketches of n shared tokens, without their all-ones component (see
    ``row_signatures``: zero padding rows would otherwise agree in every model), form one vector of
    n x (K - 1) free values whose correlation has null standard deviation 1/sqrt(n (K - 1)) between
    unrelated models. Where it is stronger than the
    positional evidence for a catalog component, it replaces it.
    """
    hashes, values = fp.tokens[t.key]
    kept, values = row_signatures(values, t.shape[1])
    hashes = hashes[kept]
    group_of = {grp: n for n, grp in enumerate(table.index.groups)}
    entry_of = {(r, e.key): j for j, (r, e) in enumerate(table.index.entries)}
    tries: dict[int, list[tuple[float, float, TensorPrint, int]]] = defaultdict(list)
    for ref_index, ref in enumerate(table.references):
        for ref_t in ref.fingerprint.tensors:
            j = entry_of.get((ref_index, ref_t.key))
            if j is None or ref_t.key not in ref.fingerprint.tokens or ref_t.shape[1:] != t.shape[1:]:
                continue
            ref_hashes, ref_values = ref.fingerprint.tokens[ref_t.key]
            ref_kept, ref_values = row_signatures(ref_values, t.shape[1])
            shared, mine, theirs = np.intersect1d(hashes, ref_hashes[ref_kept], assume_unique=True, return_indices=True)
            if len(shared) < 16:
                continue
            a, b = values[mine], ref_values[theirs]
            a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-30)
            b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-30)
            r = float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))
            tries[group_of[(ref_index, ref_t.component)]].append((r, 1.0 / np.sqrt(len(shared) * (K - 1)), ref_t, j))
    code = table.code("vocabulary-alignment")
    for g, found in tries.items():
        r, sd, ref_t, j = max(found, key=lambda x: abs(x[0]) / x[1])
        p = float(stats.sidak(min(1.0, 2 * stats.upper_p(abs(r) / sd)), len(found)))
        if table.tried[i, g] and p >= table.p[i, g]:
            continue
        table.r[i, g], table.p[i, g], table.j[i, g], table.view[i, g] = r, p, j, code
        table.tried[i, g] = max(table.tried[i, g], len(found))
        table.exact[i, g] = 0
        table.sd[i] = sd
        if ref_t.role == t.role:
            table.r_al[i, g], table.p_al[i, g], table.j_al[i, g], table.view_al[i, g] = r, p, j, code


# --------------------------------------------------------------------------- decision


@dataclass(frozen=True, slots=True)
class _Procedure:
    """One way of pairing tensors, reduced to what the decision needs."""

    name: str
    labels: tuple[str, ...]      # candidate layer of each tensor
    ref_labels: tuple[str, ...]  # catalog layer it was paired with
    r: np.ndarray
    z: np.ndarray

    component_z: float | None = None  # the procedure's own component-level z, when tensors are not independent

    @property
    def combined(self) -> float:
        return stats.stouffer(self.z) if self.component_z is None else self.component_z


def _procedures(g: GroupResult) -> list[_Procedure]:
    out = []
    aligned = [e for e in g.tensors if e.p_aligned is not None]
    if aligned:
        out.append(_Procedure("aligned", tuple(e.layer_label for e in aligned), tuple(e.layer_label for e in aligned),
                              np.asarray([e.r_aligned for e in aligned]), stats.z_of_p(np.asarray([e.p_aligned for e in aligned]))))
    out.append(_Procedure("search", tuple(e.layer_label for e in g.tensors), tuple(e.search_ref_layer for e in g.tensors),
                          np.asarray([e.r_search for e in g.tensors]),
                          stats.z_of_p(np.asarray([e.p_search for e in g.tensors]))))
    if g.row_evidence:
        labels = tuple(r.layer_label for r in g.row_evidence)
        out.append(_Procedure("rows", labels, labels, np.asarray([r.r for r in g.row_evidence]),
                              stats.z_of_p(np.asarray([r.p for r in g.row_evidence])),
                              component_z=rows_combined(g.row_evidence)))
    return out


def rows_combined(evidence: Sequence[RowEvidence]) -> float:
    """A component's row evidence as one z, calibrated against the same component under the fixed rotations.

    The tensors of one component share their recipe, so their row statistics are correlated even
    between unrelated models, and Stouffer's sum of per-tensor z over-counts them (about 9% of
    independent pairs fell below p = 0.05). Rotation k is applied to every tensor of the component at
    once, so the k-th rotated sum is one draw of the component's statistic under the null, with that
    correlation in it; the observed sum is judged against those draws (see ``_beyond_draws``).
    """
    usable = [e for e in evidence if len(e.null_z) == ROTATIONS]
    if not usable:
        return 0.0
    observed = stats.stouffer([e.z for e in usable])
    null = np.asarray([e.null_z for e in usable], dtype=np.float64).sum(axis=0) / np.sqrt(len(usable))
    return _beyond_draws(observed, null)


def _beyond_draws(observed: float, draws: np.ndarray) -> float:
    """How far ``observed`` lies beyond ``ROTATIONS`` draws of its null, as a standard-normal z.

    Student's t with ``ROTATIONS - 1`` degrees of freedom on the draws' mean and spread, widened by
    sqrt(1 + 1/n): the prediction interval for one more draw, exact when the draws are normal. The
    spread is floored only at ``MIN_NULL_SPREAD``, against degenerate draws: a floor at 1 (the
    spread of a sum of independent z) made the test conservative, too few small p-values, wherever
    the rows are nearly independent.
    """
    spread = max(float(np.std(draws, ddof=1)), MIN_NULL_SPREAD) * np.sqrt(1.0 + 1.0 / len(draws))
    t = (observed - float(np.mean(draws))) / spread
    return float(stats.z_of_p(np.asarray([special.stdtr(len(draws) - 1, -t)]))[0])


REPORTED_PER_COMPONENT = 5


def decide(table: Comparison, candidate: ModelFingerprint, *, row_evidence: dict[tuple[str, int], tuple[RowEvidence, ...]] | None = None,
           extra_tests: int = 0) -> dict[str, list[WeightLineage]]:
    """Relation and statistics per candidate component, closest first.

    Every (candidate component, catalog component) pair counts in the multiple-testing correction;
    the ones reported are those that could be reuse (adjusted p below ``ALPHA``) and, for context,
    the closest few of the rest (same-named component first, most tensors, largest z).
    """
    row_evidence = row_evidence or {}
    prints = {t.key: t for t in candidate.tensors}
    pairs = table.pairs()
    tests = max(1, len(pairs) + extra_tests)
    ranked: dict[str, list[tuple[tuple, int]]] = defaultdict(list)
    for component, g in pairs:
        n, z = table.combined_z(component, g)
        suspicious = stats.bonferroni(float(stats.upper_p(z)) * 3, tests) < stats.ALPHA or (component, g) in row_evidence
        same = table.index.groups[g][1] == component
        ranked[component].append(((not suspicious, not same, -n, -z, table.catalog_id(g)), g))
    out: dict[str, list[WeightLineage]] = {}
    rank = {WeightRelation.IDENTICAL: 0, WeightRelation.DERIVED: 1, WeightRelation.INCONCLUSIVE: 2, WeightRelation.INDEPENDENT: 3}
    for component, candidates in ranked.items():
        candidates.sort()
        chosen = [g for key, g in candidates if not key[0]] + [g for key, g in candidates if key[0]][:REPORTED_PER_COMPONENT]
        decided = []
        for g in chosen:
            group = table.group_result(component, g)
            if (component, g) in row_evidence:
                group = replace(group, row_evidence=row_evidence[(component, g)])
            lineage = _decide_group(group, prints, tests)
            if lineage is not None:
                decided.append(lineage)
        # strongest relation first; among equals, the like-named component with most evidence
        decided.sort(key=lambda w: (rank[w.relation], w.catalog_component != component,
                                    -(w.statistics.tensors_compared if w.statistics else 0),
                                    -(w.statistics.z if w.statistics else 0.0), w.catalog_id, w.catalog_component))
        if decided:
            out[component] = decided
    return out


def _decide_group(g: GroupResult, prints: dict[str, TensorPrint], tests: int) -> WeightLineage | None:
    """The strongest relation any procedure supports (each p corrected for the procedures tried), largest z
    among equals; when none is significant, the unbiased aligned procedure if it has enough tensors.

    The procedures' z are not on one scale (the rows procedure is judged against a handful of rotations,
    the others against an exact null), so the one with the largest z is not always the one that shows
    what the evidence supports."""
    procedures = _procedures(g)
    exact = sum(1 for e in g.tensors if e.exact)
    judged = [_judge(g, procedure, len(procedures), tests, exact) for procedure in procedures]
    rank = {WeightRelation.IDENTICAL: 0, WeightRelation.DERIVED: 1, WeightRelation.INCONCLUSIVE: 2}
    found = [j for j in judged if j.p_adjusted < stats.ALPHA and j.relation in rank]
    if found:
        chosen = min(found, key=lambda j: (rank[j.relation], -j.procedure.combined))
    else:
        chosen = next((j for j in judged if j.procedure.name == "aligned" and len(j.procedure.r) >= stats.MIN_TENSORS),
                      max(judged, key=lambda j: j.procedure.combined))
    if chosen.relation is None:
        return None
    procedure = chosen.procedure
    statistics = LineageStatistics(
        effect_size=round(chosen.effect, 6), z=round(procedure.combined, 3),
        p_value=float(stats.upper_p(procedure.combined)), p_adjusted=float(chosen.p_adjusted),
        tensors_compared=len(procedure.r), layers_significant=chosen.significant, exact_matches=exact,
        transformations=_transformations(g, procedure.name, prints),
        null_sd=round(float(np.median([e.null_sd for e in g.tensors])), 6), per_layer=chosen.per_layer)
    return WeightLineage(catalog_id=g.catalog_id, catalog_component=g.catalog_component, relation=chosen.relation,
                         statistics=statistics, reason=chosen.reason)


@dataclass(frozen=True, slots=True)
class _Judgement:
    """What one procedure's evidence supports for a component pair."""

    procedure: _Procedure
    p_adjusted: float
    effect: float
    per_layer: tuple[LayerSimilarity, ...]
    significant: int
    relation: WeightRelation | None
    reason: str


def _judge(g: GroupResult, procedure: _Procedure, procedures: int, tests: int, exact: int) -> _Judgement:
    p_adj = stats.bonferroni(min(1.0, float(stats.upper_p(procedure.combined)) * procedures), tests)
    # |r|: a tensor negated as a whole (a function-preserving sign flip) is as much a copy as the original
    effect = float(np.median(np.abs(procedure.r))) if procedure.name != "rows" else float(np.median(procedure.r))
    per_layer, significant = _layers(procedure)
    relation, reason = _relation(g, procedure.name, len(procedure.r), p_adj, effect, significant, len(per_layer), exact)
    return _Judgement(procedure=procedure, p_adjusted=p_adj, effect=effect, per_layer=per_layer,
                      significant=significant, relation=relation, reason=reason)


def _relation(g: GroupResult, name: str, n: int, p_adj: float, effect: float, significant: int,
              layers: int, exact: int) -> tuple[WeightRelation | None, str]:
    where = f"{g.catalog_id} ({g.catalog_component})"
    if n < stats.MIN_TENSORS:
        if p_adj < stats.ALPHA:
            return WeightRelation.INCONCLUSIVE, f"only {n} comparable tensor, and it matches {where} strongly"
        return None, ""
    if all(e.exact or e.r_search >= stats.IDENTICAL_R for e in g.tensors):  # a negated copy is derived, not identical
        how = f"{exact} of them byte- or value-identical" if exact else "equal up to a float cast"
        return WeightRelation.IDENTICAL, f"all {len(g.tensors)} compared tensors equal those of {where} ({how})"
    needed = min(stats.MIN_LAYERS, layers)
    if p_adj < stats.ALPHA and effect >= stats.MIN_EFFECT and significant >= needed:
        return WeightRelation.DERIVED, (
            f"{n} tensors correlate with {where} (median r = {effect:.3f}, {significant} layer(s) significant, "
            f"adjusted p = {p_adj:.1e}; {name} procedure)")
    if p_adj < stats.ALPHA:
        return WeightRelation.INCONCLUSIVE, (
            f"statistically detectable similarity to {where} (adjusted p = {p_adj:.1e}) but below the minimum effect "
            f"({effect:.3f} < {stats.MIN_EFFECT}) or on too few layers ({significant} < {needed}); review")
    return WeightRelation.INDEPENDENT, (
        f"{n} comparable tensors show no shared origin with {where} (median r = {effect:.3f}, adjusted p = {p_adj:.2g})")


def _layers(procedure: _Procedure) -> tuple[tuple[LayerSimilarity, ...], int]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(procedure.labels):
        grouped[label].append(i)
    out = []
    significant = 0
    for label, ix in grouped.items():
        lz = stats.stouffer(procedure.z[ix])
        significant += lz > stats.LAYER_Z
        refs = Counter(procedure.ref_labels[i] for i in ix)
        out.append(LayerSimilarity(layer=label, reference_layer=refs.most_common(1)[0][0],
                                   similarity=round(float(np.median(procedure.r[ix])), 6), z=round(lz, 3), tensors=len(ix)))
    out.sort(key=lambda s: _layer_sort_key(s.layer))
    return tuple(out), significant


def _layer_sort_key(label: str) -> tuple[int, int, str]:
    if label.startswith("layers."):
        tail = label.split(".", 1)[1]
        return (1, int(tail) if tail.isdigit() else 0, label)
    return (0 if label == "embed" else 2, 0, label)


def _transformations(g: GroupResult, name: str, prints: dict[str, TensorPrint]) -> tuple[str, ...]:
    """What had to be undone, read only from tensors whose own match is significant (noise picks anything)."""
    found: set[str] = set()
    for e in g.tensors:
        p = e.p_aligned if name == "aligned" else e.p_search
        if p is None or float(stats.z_of_p(np.asarray([p]))[0]) < stats.LAYER_Z:
            continue
        t = prints.get(e.key)
        if t is not None:
            found.update(t.transformations)
        if name == "search":
            found.update(v.split("(")[0] for v in e.search_view.split("|") if v)
            if e.search_ref_layer != e.layer_label:
                found.add("layer-shift")
        elif name == "aligned" and e.aligned_view:
            found.update(e.aligned_view.split("|"))
        if e.exact and e.exact_kind == "normalised":
            found.add("dtype-cast")
    if name == "rows":
        found.add("permutation")
    return tuple(sorted(found))


# --------------------------------------------------------------------------- row test (permutations)


def row_test_pairs(table: Comparison, decided: dict[str, list[WeightLineage]],
                   candidate: ModelFingerprint) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """(candidate key, reference key) pairs worth a row test: same shape and role, the reference has row
    sketches, and neither the aligned nor the search procedure found reuse for that component pair.

    Only layers the catalog sampled are tested when there are any: a tensor paired with another
    layer's rows is noise, and would drag a copy's median effect down to chance."""
    found = {(c, w.catalog_id, w.catalog_component) for c, ws in decided.items() for w in ws
             if w.relation in (WeightRelation.IDENTICAL, WeightRelation.DERIVED)}
    pairs: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for component, g in table.pairs():
        ref_index, ref_component = table.index.groups[g]
        if (component, table.catalog_id(g), ref_component) in found:
            continue
        ref = table.references[ref_index].fingerprint
        ref_rows = [t for t in ref.tensors if t.key in ref.rows and t.component == ref_component]
        if not ref_rows:
            continue
        # the same layer where the catalog sampled it; otherwise (shifted layers) any of that role and shape
        aligned, fallback = [], []
        for t in table.rows:
            if t.component != component:
                continue
            same = [rt for rt in ref_rows if rt.shape == t.shape and rt.role == t.role]
            partner = next((rt for rt in same if rt.layer == t.layer), None)
            if partner is not None:
                aligned.append((t.key, partner.key))
            elif same:
                fallback.append((t.key, same[0].key))
        if aligned or fallback:
            pairs[(component, g)] = aligned or fallback
    return pairs


def row_test(candidate: ModelFingerprint, reference: ModelFingerprint,
             pairs: Sequence[tuple[str, str]]) -> tuple[RowEvidence, ...]:
    """For each (candidate, reference) pair: do the reference's sampled rows each find a near-copy among the
    candidate's rows, in any order?

    Rows are compared without their all-ones component (see ``row_signatures``), so zero, constant
    or mean-shifted rows, which look alike in every model, are no evidence. Per row the null is the
    cosine of two independent directions in the K - 1 remaining dimensions, best of m candidate rows
    (Šidák), combined over up to ``TEST_ROWS`` evenly spaced catalog rows with Stouffer's method.
    Trained rows are neither isotropic nor independent, so that is calibrated on the spot: the same
    catalog rows, turned by fixed rotations that keep their internal structure but break any
    relation to the candidate, give the chance level of the best cosine (from which the effective m
    follows) and the null mean and spread of the combined z. A rotation keeps the rows' structure
    only if nothing ties them to the sketch's own axes; heavy-tailed entries do (a row with one large
    entry points along that column's projection direction in every model), which is why row sketches
    are taken of winsorised rows (see ``fingerprint``). The effect is how far the median best cosine
    exceeds chance, scaled so 0 is chance and 1 a copy.
    """
    prints = {t.key: t for t in candidate.tensors}
    out = []
    for cand_key, ref_key in pairs:
        cols = prints[cand_key].shape[1]
        if cand_key not in candidate.rows or ref_key not in reference.rows or cols < 2 * K:
            continue
        basis = _row_basis(cols)
        cand_values = row_signatures(candidate.rows[cand_key][1], cols)[1] @ basis
        ref_values = row_signatures(reference.rows[ref_key][1], cols)[1] @ basis
        if len(cand_values) == 0 or len(ref_values) == 0:
            continue
        cand_unit = cand_values / np.maximum(np.linalg.norm(cand_values, axis=1, keepdims=True), 1e-30)
        ref_values = ref_values[np.unique(np.linspace(0, len(ref_values) - 1, TEST_ROWS).round().astype(np.int64))]
        best = _best_cosines(ref_values, cand_unit)
        rotated = _best_cosines(np.concatenate([ref_values @ q for q in _rotations()]), cand_unit).reshape(ROTATIONS, -1)
        chance = float(np.median(rotated))
        m = _effective_rows(chance)
        z = stats.stouffer(stats.z_of_p(stats.sidak(_cosine_tail(best), m)))
        null_z = [stats.stouffer(stats.z_of_p(stats.sidak(_cosine_tail(x), m))) for x in rotated]
        out.append(RowEvidence(key=cand_key, layer_label=layer_label(prints[cand_key]),
                               r=float((np.median(best) - chance) / (1.0 - chance)),
                               p=float(stats.upper_p(_beyond_draws(z, np.asarray(null_z)))),
                               z=float(z), null_z=tuple(float(x) for x in null_z)))
    return tuple(out)


ROW_DIMS = K - 1  # row signatures lose the all-ones direction
ROTATIONS = 16
MIN_NULL_SPREAD = 0.5  # binds on 0.2% of independent Gaussian-row pairs (10% of spreads are below 0.74)
TEST_ROWS = 128


def _best_cosines(ref: np.ndarray, cand_unit: np.ndarray) -> np.ndarray:
    """Largest |cosine| of each ``ref`` row with any of the unit-norm candidate rows."""
    ref_unit = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-30)
    return np.abs(ref_unit @ cand_unit.T).max(axis=1).astype(np.float64)


def _cosine_tail(c: np.ndarray | float) -> np.ndarray:
    """P(|cos| >= c) for two independent directions in ``ROW_DIMS`` dimensions (cos^2 ~ Beta(1/2, (d-1)/2))."""
    return special.betainc((ROW_DIMS - 1) / 2.0, 0.5, np.clip(1.0 - np.asarray(c, dtype=np.float64) ** 2, 0.0, 1.0))


def _effective_rows(chance: float) -> float:
    """The m for which the best of m independent directions has median ``chance``: 1 - (1 - tail)^m = 1/2."""
    tail = float(np.clip(_cosine_tail(chance), 1e-300, 1.0 - 1e-16))
    return max(1.0, float(np.log(0.5) / np.log1p(-tail)))


@lru_cache(maxsize=64)
def _row_basis(cols: int) -> np.ndarray:
    """K x (K - 1) orthonormal basis of the sketch directions orthogonal to the all-ones row's."""
    q, _ = np.linalg.qr(np.column_stack([ones_direction(cols), np.eye(K)]))
    return q[:, 1:K].astype(np.float32)


@lru_cache(maxsize=1)
def _rotations() -> tuple[np.ndarray, ...]:
    """Fixed rotations of the row-signature space, from seeded sign matrices (see ``projection``)."""
    return tuple(np.linalg.qr(projection(K + 1 + k)[:ROW_DIMS, :ROW_DIMS].astype(np.float64))[0].astype(np.float32)
                 for k in range(ROTATIONS))
