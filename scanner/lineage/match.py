"""Compare a candidate's fingerprint with catalog fingerprints, component by component.

For each candidate matrix and each (catalog model, catalog component) two procedures run:

* **aligned** — the catalog tensor with the same canonical role, layer and expert (transposed
  storage allowed): one test per tensor, no search, so its effect size is unbiased (about 0.000
  for independent models with identical architecture);
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
from dataclasses import dataclass

import numpy as np
from scipy import special

from scanner.lineage import stats
from scanner.lineage.fingerprint import ModelFingerprint, TensorPrint
from scanner.lineage.sketch import K, correlation_matrix
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
    """Row-test result for one candidate tensor: median best-row cosine and its p-value."""

    key: str
    layer_label: str
    r: float
    p: float


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
    """All catalog matrices stacked by shape, so one matrix product compares a candidate tensor with all of them."""

    def __init__(self, references: Sequence[Reference]) -> None:
        self.entries: list[tuple[int, TensorPrint]] = []
        self.groups: list[tuple[int, str]] = []
        group_number: dict[tuple[int, str], int] = {}
        by_shape: dict[tuple[int, ...], list[int]] = defaultdict(list)
        sketches: list[np.ndarray] = []
        self.by_hash: dict[str, list[int]] = defaultdict(list)
        self.canonical: dict[tuple, list[int]] = defaultdict(list)
        for ref_index, ref in enumerate(references):
            fp = ref.fingerprint
            for t in fp.tensors:
                if t.kind != "matrix" or not t.usable or t.key not in fp.matrices:
                    continue
                i = len(self.entries)
                self.entries.append((ref_index, t))
                group_number.setdefault((ref_index, t.component), len(group_number))
                by_shape[t.shape].append(i)
                sketches.append(fp.matrices[t.key].reshape(-1))
                self.by_hash[t.raw_hash].append(i)
                if t.norm_hash != t.raw_hash:
                    self.by_hash[t.norm_hash].append(i)
                self.canonical[(t.shape, t.role, t.layer, t.expert)].append(i)
        self.groups = list(group_number)
        self.entry_group = np.asarray([group_number[(r, t.component)] for r, t in self.entries], dtype=np.int64)
        stacked = np.stack(sketches).astype(np.float32) if sketches else np.zeros((0, K * K), np.float32)
        norms = np.linalg.norm(stacked, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        unit = stacked / norms
        self.unit = unit
        self.blocks: dict[tuple[int, ...], _ShapeBlock] = {}
        for shape, ix in by_shape.items():
            ix = np.asarray(ix, dtype=np.int64)
            ix = ix[np.argsort(self.entry_group[ix], kind="stable")]
            groups = self.entry_group[ix]
            starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
            sizes = np.diff(np.r_[starts, len(ix)])
            self.blocks[shape] = _ShapeBlock(entries=ix, unit=np.ascontiguousarray(unit[ix]), starts=starts, sizes=sizes,
                                             group_ids=groups[starts], row_group=np.repeat(np.arange(len(starts)), sizes))


    def unit_of(self, j: int) -> np.ndarray:
        return self.unit[j]


def compare(candidate: ModelFingerprint, references: Sequence[Reference]) -> list[GroupResult]:
    """Tensor-level evidence of every candidate matrix against every catalog component with a comparable tensor."""
    index = _ReferenceIndex(references)
    per_group: dict[tuple[str, int, str], list[TensorEvidence]] = defaultdict(list)
    for t in candidate.tensors:
        if t.kind != "matrix" or not t.usable or t.key not in candidate.matrices:
            continue
        evidence = _tensor_evidence(t, candidate, index)
        if t.key in candidate.tokens:
            for group, by_token in _token_evidence(t, candidate, references).items():
                if group not in evidence or by_token.p_search < evidence[group].p_search:
                    evidence[group] = by_token
        for (ref_index, ref_component), item in evidence.items():
            per_group[(t.component, ref_index, ref_component)].append(item)
    return [
        GroupResult(component=c, catalog_id=references[r].catalog_id, catalog_component=rc, tensors=tuple(ev))
        for (c, r, rc), ev in sorted(per_group.items(), key=lambda kv: (kv[0][0], references[kv[0][1]].catalog_id, kv[0][2]))
    ]


def _tensor_evidence(t: TensorPrint, fp: ModelFingerprint, index: _ReferenceIndex) -> dict[tuple[int, str], TensorEvidence]:
    """Best match and aligned partner of one candidate tensor in every catalog component, vectorised over the catalog."""
    rows, cols = t.shape
    sketch = fp.matrices[t.key]
    views: list[tuple[str, tuple[int, int], np.ndarray]] = [("", (rows, cols), sketch), ("transpose", (cols, rows), sketch.T)]
    views += [(label, (rows, cols), alt) for label, alt in fp.alternatives.get(t.key, ())]
    sd = stats.null_sd(t.shape)
    n_groups = len(index.groups)
    best_abs = np.full(n_groups, -1.0)
    best_r = np.zeros(n_groups)
    best_j = np.full(n_groups, -1, dtype=np.int64)
    best_view = np.zeros(n_groups, dtype=np.int64)
    tried = np.zeros(n_groups, dtype=np.int64)
    exact_js = {j: kind for kind, digest in (("normalised", t.norm_hash), ("raw", t.raw_hash))
                for j in index.by_hash.get(digest, ()) if index.entries[j][1].shape == t.shape}
    for view_number, (label, shape, view) in enumerate(views):
        block = index.blocks.get(shape)
        if block is None:
            continue
        v = view.reshape(-1).astype(np.float32)
        r = block.unit @ (v / (float(np.linalg.norm(v)) or 1.0))
        if label == "" and exact_js:
            r[np.isin(block.entries, list(exact_js))] = 1.0
        magnitude = np.abs(r)
        seg_max = np.maximum.reduceat(magnitude, block.starts)
        hits = np.flatnonzero(magnitude == seg_max[block.row_group])
        _, first = np.unique(block.row_group[hits], return_index=True)
        arg = hits[first]
        gids = block.group_ids
        tried[gids] += block.sizes
        better = seg_max > best_abs[gids]
        best_abs[gids[better]] = seg_max[better]
        best_r[gids[better]] = r[arg[better]]
        best_j[gids[better]] = block.entries[arg[better]]
        best_view[gids[better]] = view_number
    aligned = _aligned(t, sketch, index)
    out = {}
    for g in np.flatnonzero(tried):
        group = index.groups[g]
        r, j, label = float(best_r[g]), int(best_j[g]), views[best_view[g]][0]
        ref_t = index.entries[j][1]
        exact = j in exact_js and label == ""
        p_search = 0.0 if exact else float(stats.sidak(min(1.0, 2 * stats.upper_p(abs(r) / sd)), int(tried[g])))
        r_al, al_view, j_al, al_tries = aligned.get(group, (None, "", -1, 0))
        p_al = None
        if r_al is not None:
            p_al = 0.0 if (j_al in exact_js and al_view == "") else float(
                stats.sidak(min(1.0, 2 * stats.upper_p(abs(r_al) / sd)), al_tries))
            if r_al < 0:
                al_view = (al_view + "|sign-flip").strip("|")
        out[group] = TensorEvidence(
            key=t.key, layer_label=layer_label(t), r_search=r, p_search=p_search, search_ref=ref_t.key,
            search_ref_layer=layer_label(ref_t), search_view=(label + ("|sign-flip" if r < 0 else "")).strip("|"),
            r_aligned=None if r_al is None else (1.0 if (j_al in exact_js and al_view == "") else float(r_al)),
            aligned_view=al_view, p_aligned=p_al, exact=exact, exact_kind=exact_js.get(j, "") if exact else "",
            null_sd=sd)
    return out


def _aligned(t: TensorPrint, sketch: np.ndarray, index: _ReferenceIndex) -> dict[tuple[int, str], tuple[float, str, int, int]]:
    """Per catalog component: the same role, layer and expert, either orientation; (r, view, entry, tries)."""
    out: dict[tuple[int, str], tuple[float, str, int, int]] = {}
    unit = sketch.reshape(-1) / (float(np.linalg.norm(sketch)) or 1.0)
    for label, shape, vec in (("", t.shape, unit), ("transpose", (t.shape[1], t.shape[0]), unit.reshape(K, K).T.reshape(-1))):
        for j in index.canonical.get((shape, t.role, t.layer, t.expert), ()):
            ref_index, ref_t = index.entries[j]
            group = (ref_index, ref_t.component)
            r = float(index.unit_of(j) @ vec)
            previous = out.get(group)
            tries = (previous[3] if previous else 0) + 1
            if previous is None or abs(r) > abs(previous[0]):
                out[group] = (r, label, j, tries)
            else:
                out[group] = (*previous[:3], tries)
    return out


def _token_evidence(t: TensorPrint, fp: ModelFingerprint, references: Sequence[Reference]) -> dict[tuple[int, str], TensorEvidence]:
    """Embedding rows joined by token, not by position: survives vocabulary extension and reordering.

    The joined row sketches of n shared tokens form one vector of n x K values whose correlation has
    null standard deviation 1/sqrt(n K) between unrelated models.
    """
    hashes, values = fp.tokens[t.key]
    tries: dict[tuple[int, str], list[tuple[float, float, TensorPrint]]] = defaultdict(list)
    for ref_index, ref in enumerate(references):
        for ref_t in ref.fingerprint.tensors:
            if ref_t.key not in ref.fingerprint.tokens or ref_t.shape[1:] != t.shape[1:]:
                continue
            ref_hashes, ref_values = ref.fingerprint.tokens[ref_t.key]
            shared, mine, theirs = np.intersect1d(hashes, ref_hashes, assume_unique=True, return_indices=True)
            if len(shared) < 16:
                continue
            a, b = values[mine], ref_values[theirs]
            a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-30)
            b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-30)
            r = float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))
            tries[(ref_index, ref_t.component)].append((r, 1.0 / np.sqrt(a.size), ref_t))
    out: dict[tuple[int, str], TensorEvidence] = {}
    for group, found in tries.items():
        r, sd, ref_t = max(found, key=lambda x: abs(x[0]) / x[1])
        p = float(stats.sidak(min(1.0, 2 * stats.upper_p(abs(r) / sd)), len(found)))
        same_role = ref_t.role == t.role
        out[group] = TensorEvidence(
            key=t.key, layer_label=layer_label(t), r_search=r, p_search=p, search_ref=ref_t.key,
            search_ref_layer=layer_label(ref_t), search_view="vocabulary-alignment",
            r_aligned=r if same_role else None, aligned_view="vocabulary-alignment" if same_role else "",
            p_aligned=p if same_role else None, exact=False, exact_kind="", null_sd=float(sd))
    return out


# --------------------------------------------------------------------------- decision


@dataclass(frozen=True, slots=True)
class _Procedure:
    """One way of pairing tensors, reduced to what the decision needs."""

    name: str
    labels: tuple[str, ...]      # candidate layer of each tensor
    ref_labels: tuple[str, ...]  # catalog layer it was paired with
    r: np.ndarray
    z: np.ndarray

    @property
    def combined(self) -> float:
        return stats.stouffer(self.z)


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
                              stats.z_of_p(np.asarray([r.p for r in g.row_evidence]))))
    return out


def decide(groups: Sequence[GroupResult], candidate: ModelFingerprint, tests: int) -> dict[str, list[WeightLineage]]:
    """Relation and statistics per (candidate component, catalog component), closest first."""
    prints = {t.key: t for t in candidate.tensors}
    out: dict[str, list[WeightLineage]] = defaultdict(list)
    for g in groups:
        lineage = _decide_group(g, prints, tests)
        if lineage is not None:
            out[g.component].append(lineage)
    rank = {WeightRelation.IDENTICAL: 0, WeightRelation.DERIVED: 1, WeightRelation.INCONCLUSIVE: 2, WeightRelation.INDEPENDENT: 3}
    for component in out:  # strongest relation first; among equals, the like-named component with most evidence
        out[component].sort(key=lambda w: (rank[w.relation], w.catalog_component != component,
                                           -(w.statistics.tensors_compared if w.statistics else 0),
                                           -(w.statistics.z if w.statistics else 0.0), w.catalog_id, w.catalog_component))
    return dict(out)


def _decide_group(g: GroupResult, prints: dict[str, TensorPrint], tests: int) -> WeightLineage | None:
    procedures = _procedures(g)
    best = int(np.argmax([p.combined for p in procedures]))  # largest z = smallest p, without underflow ties
    p_adj = stats.bonferroni(min(1.0, float(stats.upper_p(procedures[best].combined)) * len(procedures)), tests)
    chosen = procedures[best]
    if p_adj >= stats.ALPHA:  # nothing significant: report the unbiased aligned procedure when it has enough tensors
        chosen = next((p for p in procedures if p.name == "aligned" and len(p.r) >= stats.MIN_TENSORS), chosen)
    n = len(chosen.r)
    effect = float(np.median(chosen.r)) if chosen.name == "aligned" else float(np.median(np.abs(chosen.r)))
    exact = sum(1 for e in g.tensors if e.exact)
    per_layer, significant = _layers(chosen)
    statistics = LineageStatistics(
        effect_size=round(effect, 6), z=round(chosen.combined, 3), p_value=float(stats.upper_p(chosen.combined)),
        p_adjusted=float(p_adj), tensors_compared=n, layers_significant=significant, exact_matches=exact,
        transformations=_transformations(g, chosen.name, prints),
        null_sd=round(float(np.median([e.null_sd for e in g.tensors])), 6), per_layer=per_layer)
    relation, reason = _relation(g, chosen.name, n, p_adj, effect, significant, len(per_layer), exact)
    if relation is None:
        return None
    return WeightLineage(catalog_id=g.catalog_id, catalog_component=g.catalog_component, relation=relation,
                         statistics=statistics, reason=reason)


def _relation(g: GroupResult, name: str, n: int, p_adj: float, effect: float, significant: int,
              layers: int, exact: int) -> tuple[WeightRelation | None, str]:
    where = f"{g.catalog_id} ({g.catalog_component})"
    if n < stats.MIN_TENSORS:
        if p_adj < stats.ALPHA:
            return WeightRelation.INCONCLUSIVE, f"only {n} comparable tensor, and it matches {where} strongly"
        return None, ""
    if all(e.exact or abs(e.r_search) >= stats.IDENTICAL_R for e in g.tensors):
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


def row_test_pairs(groups: Sequence[GroupResult], decided: dict[str, list[WeightLineage]],
                   candidate: ModelFingerprint, references: Sequence[Reference]) -> dict[tuple[str, str, str], list[tuple[str, str]]]:
    """(candidate key, reference key) pairs worth a row test: same shape, reference has row sketches, and
    neither the aligned nor the search procedure found anything for that component pair."""
    ref_by_id = {r.catalog_id: r for r in references}
    found = {(c, w.catalog_id, w.catalog_component) for c, ws in decided.items() for w in ws
             if w.relation in (WeightRelation.IDENTICAL, WeightRelation.DERIVED)}
    pairs: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    cand = {t.key: t for t in candidate.tensors if t.kind == "matrix" and t.usable}
    for g in groups:
        if (g.component, g.catalog_id, g.catalog_component) in found:
            continue
        ref = ref_by_id[g.catalog_id].fingerprint
        ref_rows = {t.key: t for t in ref.tensors if t.key in ref.rows and t.component == g.catalog_component}
        chosen = []
        for e in g.tensors:
            t = cand.get(e.key)
            partner = next((rt for rt in ref_rows.values() if rt.shape == t.shape and rt.role == t.role
                            and rt.layer == t.layer), None) if t else None
            if partner is None and t is not None:
                partner = next((rt for rt in ref_rows.values() if rt.shape == t.shape and rt.role == t.role), None)
            if partner is not None:
                chosen.append((e.key, partner.key))
        if chosen:
            pairs[(g.component, g.catalog_id, g.catalog_component)] = chosen
    return pairs


def row_test(candidate: ModelFingerprint, reference: ModelFingerprint,
             pairs: Sequence[tuple[str, str]]) -> tuple[RowEvidence, ...]:
    """For each (candidate, reference) pair: do the reference's sampled rows each find a near-copy among the
    candidate's rows, in any order? Per row the null is the exact distribution of the cosine of two
    independent directions in K dimensions, Šidák-corrected for the rows searched."""
    prints = {t.key: t for t in candidate.tensors}
    out = []
    for cand_key, ref_key in pairs:
        if cand_key not in candidate.rows or ref_key not in reference.rows:
            continue
        _, cand_values = candidate.rows[cand_key]
        _, ref_values = reference.rows[ref_key]
        if len(cand_values) == 0 or len(ref_values) == 0:
            continue
        cos = np.abs(correlation_matrix(ref_values, cand_values))
        best = cos.max(axis=1)
        dims = min(K, ref_values.shape[1], prints[cand_key].shape[1])
        p_row = special.betainc((dims - 1) / 2.0, 0.5, np.clip(1.0 - best.astype(np.float64) ** 2, 0.0, 1.0))
        p_row = stats.sidak(p_row, len(cand_values))
        z = stats.stouffer(stats.z_of_p(p_row))
        out.append(RowEvidence(key=cand_key, layer_label=layer_label(prints[cand_key]), r=float(np.median(best)),
                               p=float(stats.upper_p(z))))
    return tuple(out)


def count_tests(groups: Sequence[GroupResult]) -> int:
    return max(1, len(groups))

