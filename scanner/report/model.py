"""The scan report: the one object every output is rendered from and every rule reads.

This module is the public contract of the tool. Its dataclasses generate the shipped JSON Schema
(``scanner/data/schemas/report.schema.json``) and the list of fact paths policy authors may use, so
a field's ``doc`` is what users read. Internal stages keep their own richer types and convert into
these at the end of each stage.

``Facts`` is everything the scan observed; ``ScanReport`` adds what the policy concluded. Rules
see only facts, reporters see the whole report.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.codec import doc

SCHEMA_VERSION = "1.2"
"""Major.minor: a minor version only adds optional fields, so a reader accepts every minor of its major."""

frozen = dataclass(frozen=True, slots=True, kw_only=True)


class Severity(str, enum.Enum):
    """How serious a problem or rule failure is."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FileKind(str, enum.Enum):
    """What a repository file is, decided from its name (and, for weights, its header)."""

    CONFIG = "config"
    GENERATION_CONFIG = "generation_config"
    PROCESSOR_CONFIG = "processor_config"
    ADAPTER_CONFIG = "adapter_config"
    TOKENIZER = "tokenizer"
    TOKENIZER_CONFIG = "tokenizer_config"
    MODEL_CARD = "model_card"
    LICENSE = "license"
    NOTICE = "notice"
    USE_POLICY = "use_policy"
    SAFETENSORS = "safetensors"
    SAFETENSORS_INDEX = "safetensors_index"
    REMOTE_CODE = "remote_code"
    DEPENDENCY_MANIFEST = "dependency_manifest"
    PICKLE = "pickle"
    GGUF = "gguf"
    ONNX = "onnx"
    OTHER = "other"


class FileStatus(str, enum.Enum):
    """Whether the scan read a file, and if not, why not."""

    READ = "read"
    LISTED = "listed"
    SKIPPED = "skipped"
    UNREADABLE = "unreadable"


class WeightRelation(str, enum.Enum):
    """How a component's weights relate to a catalog model's component.

    ``identical``: the same tensors, byte for byte or after a lossless cast. ``derived``: the same
    weights after training, quantisation or reshuffling (significant, large centred correlation).
    ``independent``: comparable tensors and no evidence of shared origin. ``inconclusive``: too few
    comparable tensors to say.
    """

    IDENTICAL = "identical"
    DERIVED = "derived"
    INDEPENDENT = "independent"
    INCONCLUSIVE = "inconclusive"


class TokenizerRelation(str, enum.Enum):
    """How a tokenizer relates to a catalog tokenizer; only ``identical``/``extended``/``subset`` indicate reuse."""

    IDENTICAL = "identical"
    EXTENDED = "extended"
    SUBSET = "subset"
    OVERLAPPING = "overlapping"
    INDEPENDENT = "independent"


class ArchitectureRelation(str, enum.Enum):
    """How a component's hyper-parameters relate to a catalog signature; a fact, never weight reuse."""

    IDENTICAL = "identical"
    SAME_FAMILY = "same_family"
    DIFFERENT = "different"


class RuleStatus(str, enum.Enum):
    """The outcome of one rule: ``fail`` means the condition for a finding held."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    WAIVED = "waived"


class RuleCategory(str, enum.Enum):
    """The three views of the January 2026 criteria."""

    TECHNICAL = "technical"
    POLICY = "policy"
    ETHICAL = "ethical"


class VerdictStatus(str, enum.Enum):
    """The policy's conclusion."""

    FROM_SCRATCH = "from_scratch"
    NOT_FROM_SCRATCH = "not_from_scratch"
    NEEDS_REVIEW = "needs_review"


# --------------------------------------------------------------------------- tool, run, target


@frozen
class ToolInfo:
    """The program that wrote the report."""

    name: str = field(metadata=doc("Always 'fromscratch'."))
    version: str = field(metadata=doc("Tool version."))


@frozen
class RunInfo:
    """When the scan ran: the only part of a report that may differ between two scans of the same input."""

    started_at: str = field(metadata=doc("UTC start time, ISO 8601 (SOURCE_DATE_EPOCH fixes it for reproducible output)."))
    duration_seconds: float = field(metadata=doc("Wall-clock seconds the scan took (0 when SOURCE_DATE_EPOCH is set)."))


@frozen
class Problem:
    """Something the scan could not read or had to skip; the scan went on without it."""

    file: str = field(metadata=doc("Repository-relative file the problem is about ('' for the repository)."))
    code: str = field(metadata=doc("Stable machine-readable code, e.g. 'safetensors.truncated'."))
    message: str = field(metadata=doc("One line for a person, naming the file and the problem."))
    severity: Severity = field(metadata=doc("error: evidence is missing because of it; warning: partial; info: note."))


@frozen
class RepoFile:
    """One file of the scanned repository."""

    path: str = field(metadata=doc("Repository-relative POSIX path."))
    size: int = field(metadata=doc("Size in bytes."))
    sha256: str | None = field(metadata=doc("SHA-256 of the content; null when the file could not be read."))
    kind: FileKind = field(metadata=doc("What the file is."))
    status: FileStatus = field(metadata=doc("Whether the scan read the file."))
    note: str = field(default="", metadata=doc("Why a file was skipped or only partly read."))


@frozen
class Target:
    """What was scanned."""

    path: str = field(metadata=doc("The target as given (folder, or hf://owner/name@revision)."))
    source: str = field(metadata=doc("'local', 'hf-cache' or 'hf-hub'."))
    revision: str | None = field(metadata=doc("Pinned commit of a Hub or cache snapshot, when known."))
    files: tuple[RepoFile, ...] = field(metadata=doc("Every file found, with size, hash and kind."))


# --------------------------------------------------------------------------- parsed facts


@frozen
class ConfigSection:
    """One component's part of config.json."""

    component: str = field(metadata=doc("Component the section describes (text, vision, audio, projector)."))
    path: str = field(metadata=doc("Where it sits in config.json: '' for top level, else e.g. 'vision_config'."))
    model_type: str | None = field(metadata=doc("The section's model_type, as written."))
    hyperparameters: Mapping[str, Any] = field(metadata=doc("The section's scalar settings, as written."))


@frozen
class ConfigFacts:
    """What config.json declares."""

    file: str = field(metadata=doc("The file read."))
    model_type: str | None = field(metadata=doc("Top-level model_type."))
    architectures: tuple[str, ...] = field(metadata=doc("Declared model classes."))
    name_or_path: str | None = field(metadata=doc("A '_name_or_path' hint left by the tool that saved the model."))
    auto_map: Mapping[str, str] = field(metadata=doc("auto_map entries: classes loaded from the repo's own code."))
    sections: tuple[ConfigSection, ...] = field(metadata=doc("Per-component sub-configs."))


@frozen
class CardFacts:
    """What the model card (README.md) declares in its front matter, plus its text."""

    file: str = field(metadata=doc("The file read."))
    license: str | None = field(metadata=doc("Front-matter 'license'."))
    license_name: str | None = field(metadata=doc("Front-matter 'license_name' (used with license: other)."))
    license_link: str | None = field(metadata=doc("Front-matter 'license_link'."))
    base_model: tuple[str, ...] = field(metadata=doc("Front-matter 'base_model' (a list, even when one was given)."))
    base_model_relation: str | None = field(metadata=doc("Front-matter 'base_model_relation' (adapter, merge, quantized, finetune)."))
    datasets: tuple[str, ...] = field(metadata=doc("Front-matter 'datasets'."))
    language: tuple[str, ...] = field(metadata=doc("Front-matter 'language'."))
    tags: tuple[str, ...] = field(metadata=doc("Front-matter 'tags'."))
    text: str = field(metadata=doc("Card body after the front matter (capped)."))
    text_truncated: bool = field(metadata=doc("Whether the body was cut at the size cap."))


@frozen
class TensorRecord:
    """One weight tensor as its file header declares it (no values read)."""

    name: str = field(metadata=doc("Tensor name as stored."))
    dtype: str = field(metadata=doc("Stored dtype, e.g. BF16."))
    shape: tuple[int, ...] = field(metadata=doc("Shape."))
    file: str = field(metadata=doc("File holding it."))
    component: str = field(metadata=doc("Component it was assigned to."))
    parameters: int = field(metadata=doc("Number of elements."))


# --------------------------------------------------------------------------- lineage


@frozen
class LayerSimilarity:
    """Similarity of one aligned layer (or tensor group) to the catalog model's."""

    layer: str = field(metadata=doc("Candidate layer label, e.g. 'blocks.3' or 'embeddings'."))
    reference_layer: str = field(metadata=doc("The catalog layer it was aligned to."))
    similarity: float = field(metadata=doc("Median centred correlation (Pearson) of its tensors' sketches."))
    z: float = field(metadata=doc("Combined z-score of its tensors against the independence null."))
    tensors: int = field(metadata=doc("Tensors compared in this layer."))


@frozen
class LineageStatistics:
    """The evidence behind a weight relation: an effect size, a calibrated p-value, and how it was obtained."""

    effect_size: float = field(metadata=doc("Median centred correlation over compared tensors (0 = independent, 1 = same)."))
    z: float = field(metadata=doc("Stouffer z over compared tensors against the N(0, 1/k) null."))
    p_value: float = field(metadata=doc("One-sided p-value of z."))
    p_adjusted: float = field(metadata=doc("p-value corrected for every (catalog model x component) test in the scan."))
    tensors_compared: int = field(metadata=doc("Tensors with a comparable counterpart."))
    layers_significant: int = field(metadata=doc("Layers whose own evidence passes the per-layer threshold."))
    exact_matches: int = field(metadata=doc("Tensors equal by content hash (raw or dtype-normalised)."))
    transformations: tuple[str, ...] = field(metadata=doc("What had to be undone to align, e.g. 'transpose', 'permutation'."))
    null_sd: float = field(metadata=doc("Standard deviation of a tensor similarity under independence (1/sqrt(k))."))
    per_layer: tuple[LayerSimilarity, ...] = field(metadata=doc("Per-layer similarities, in candidate order."))


@frozen
class WeightLineage:
    """The relation of one component to one catalog model's component."""

    catalog_id: str = field(metadata=doc("Catalog entry id."))
    catalog_component: str = field(metadata=doc("Component of the catalog model."))
    relation: WeightRelation = field(metadata=doc("The decided relation."))
    statistics: LineageStatistics | None = field(metadata=doc("Evidence; null when nothing could be compared."))
    reason: str = field(default="", metadata=doc("Why the relation was decided, in one sentence."))


@frozen
class Component:
    """A part of the model: language model, vision encoder, audio encoder, projector, or 'other'."""

    name: str = field(metadata=doc("text, vision, audio, projector or other."))
    tensors: int = field(metadata=doc("Number of tensors."))
    parameters: int = field(metadata=doc("Number of parameters."))
    dtypes: tuple[str, ...] = field(metadata=doc("Stored dtypes present, sorted."))
    prefixes: tuple[str, ...] = field(metadata=doc("Tensor-name prefixes that placed tensors here."))
    config_section: str | None = field(metadata=doc("config.json section describing it, if any."))
    model_type: str | None = field(metadata=doc("model_type of that section."))
    fingerprinted: bool = field(metadata=doc("Whether its weights were read and fingerprinted."))
    lineage: tuple[WeightLineage, ...] = field(metadata=doc("Relations to catalog components, closest first."))


@frozen
class TokenizerLineage:
    """The relation of the tokenizer to a catalog tokenizer."""

    catalog_id: str = field(metadata=doc("Catalog tokenizer id."))
    relation: TokenizerRelation = field(metadata=doc("The decided relation."))
    statistics: Mapping[str, float] = field(metadata=doc("Shared tokens, Jaccard, id-aligned agreement, merge agreement..."))
    reason: str = field(default="", metadata=doc("Why, in one sentence."))


@frozen
class TokenizerFacts:
    """The tokenizer shipped with the model."""

    status: str = field(metadata=doc("'present', 'absent' or 'unreadable'."))
    files: tuple[str, ...] = field(metadata=doc("Files it was read from."))
    type: str | None = field(metadata=doc("BPE, WordPiece, Unigram, tiktoken..."))
    vocab_size: int | None = field(metadata=doc("Base vocabulary size plus added tokens."))
    added_tokens: int | None = field(metadata=doc("Number of added tokens."))
    special_tokens: tuple[str, ...] = field(metadata=doc("Special tokens (capped list)."))
    lineage: tuple[TokenizerLineage, ...] = field(metadata=doc("Relations to catalog tokenizers, closest first."))


@frozen
class ArchitectureLineage:
    """How a component's hyper-parameters compare with a catalog component's."""

    component: str = field(metadata=doc("Candidate component."))
    catalog_id: str = field(metadata=doc("Catalog entry id."))
    catalog_component: str = field(metadata=doc("Catalog component."))
    relation: ArchitectureRelation = field(metadata=doc("identical, same_family or different."))
    agreeing: tuple[str, ...] = field(metadata=doc("Hyper-parameters that are equal."))
    differing: Mapping[str, str] = field(metadata=doc("Hyper-parameters that differ: 'candidate vs catalog'."))
    hyperparameters_match: bool = field(default=False, metadata=doc(
        "Every shape and computation hyper-parameter both declare is equal, whatever the family is called "
        "(true for identical; with relation different it is the same architecture under another model_type)."))


@frozen
class ArchitectureFacts:
    """Architecture comparison results (facts for rules, never weight evidence)."""

    lineage: tuple[ArchitectureLineage, ...] = field(metadata=doc("Closest catalog signatures per component."))


# --------------------------------------------------------------------------- licences, provenance, code


@frozen
class LicenseDetection:
    """One licence source in the repository and what it was identified as."""

    source: str = field(metadata=doc("Where: a file path, 'card:license', or 'file.py:SPDX'."))
    license_id: str | None = field(metadata=doc("fromscratch licence id, null when not identified."))
    expression: str | None = field(metadata=doc("SPDX expression (LicenseRef-... for non-SPDX licences)."))
    confidence: float = field(metadata=doc("0..1."))
    method: str = field(metadata=doc("exact, similarity, spdx-tag, card-field or none."))
    modified: bool = field(metadata=doc("Matches a known licence but with changed or added terms."))
    alternatives: tuple[str, ...] = field(metadata=doc("Closest other licences, 'id (score)'."))
    note: str = field(default="", metadata=doc("Anything a reviewer should know."))


@frozen
class LicenseRefText:
    """The text of a licence SPDX does not list, under the ``LicenseRef-`` the report names it by.

    An SBOM must carry the text of every ``LicenseRef-`` it uses (SPDX 2.3 extracted licensing info,
    SPDX 3 ``licenseText``), and reporters read only the report, so the texts travel in it.
    """

    ref: str = field(metadata=doc("The LicenseRef, e.g. LicenseRef-fromscratch-qwen, or LicenseRef-fromscratch-file-<file> "
                                  "for a repository licence file that is no known licence."))
    text: str = field(metadata=doc("The licence text, cut at 65,536 characters."))
    source: str = field(metadata=doc("Where the text comes from: the repository file, or the catalog's "
                                     "reference text and its origin."))
    sha256: str = field(metadata=doc("SHA-256 of the whole text (UTF-8), also when the text was cut."))
    truncated: bool = field(metadata=doc("True when the text was cut."))


@frozen
class LicenseFacts:
    """Licences found in the repository."""

    detections: tuple[LicenseDetection, ...] = field(metadata=doc("Every licence source identified."))
    declared_expression: str | None = field(metadata=doc("The licence the repository declares (card first, then LICENSE)."))
    findings: tuple[str, ...] = field(metadata=doc("Inconsistencies, e.g. card says apache-2.0 but LICENSE is another licence."))
    texts: tuple[LicenseRefText, ...] = field(default=(), metadata=doc(
        "The text of every LicenseRef the report names, when known, sorted by ref (for SBOMs; not a fact rules read).",
        fact=False))


@frozen
class Upstream:
    """A model the repository reuses something from, declared or detected."""

    catalog_id: str | None = field(metadata=doc("Catalog entry id, when the upstream is in the catalog."))
    name: str = field(metadata=doc("Human name or Hub id."))
    what: tuple[str, ...] = field(metadata=doc("What is reused: weights:<component>, tokenizer, architecture:<component>, code."))
    declared: bool = field(metadata=doc("Declared by the card or config."))
    detected: bool = field(metadata=doc("Found by the scan."))
    license_id: str | None = field(metadata=doc("The upstream's licence id."))
    license_expression: str | None = field(metadata=doc("The upstream's licence as an SPDX expression."))
    organisation: str | None = field(metadata=doc("Who publishes it."))
    country: str | None = field(metadata=doc("Country of the publisher (ISO 3166-1 alpha-2)."))


@frozen
class Obligation:
    """One duty an upstream licence imposes, and whether this repository meets it."""

    upstream: str = field(metadata=doc("Upstream model (catalog id or name)."))
    license_id: str = field(metadata=doc("Licence imposing it."))
    kind: str = field(metadata=doc("notice_text, display_attribution, derived_name_prefix, copy_of_agreement, aup_flow_down..."))
    requirement: str = field(metadata=doc("What is required, quoted from the licence where possible."))
    clause: str = field(metadata=doc("Where the licence says so."))
    satisfied: bool | None = field(metadata=doc("true met, false not met, null not checkable automatically."))
    evidence: str = field(metadata=doc("Where it was found, or what was searched."))


@frozen
class ControlTerm:
    """A licence term that gives the licensor control over the model's use (the 'policy' view)."""

    upstream: str = field(metadata=doc("Upstream model."))
    license_id: str = field(metadata=doc("Licence."))
    term: str = field(metadata=doc("remote_restriction, revocable, registration_required, licence_required_above_mau, governing_law..."))
    value: str = field(metadata=doc("The term's value, e.g. 'true', 'CN', '100000000'."))
    clause: str = field(metadata=doc("Where the licence says so."))


@frozen
class ProvenanceFacts:
    """Declared versus detected provenance."""

    declared_base_models: tuple[str, ...] = field(metadata=doc("base_model entries from the card."))
    declared_relation: str | None = field(metadata=doc("base_model_relation from the card."))
    config_hints: tuple[str, ...] = field(metadata=doc("_name_or_path-style hints found in configs."))
    upstreams: tuple[Upstream, ...] = field(metadata=doc("Everything reused, declared or detected."))
    undisclosed: tuple[str, ...] = field(metadata=doc("Detected reuse the card does not declare."))
    unverified: tuple[str, ...] = field(metadata=doc("Declared bases the scan could not confirm."))


@frozen
class CodeFile:
    """A Python file shipped in the repository, analysed without running it."""

    path: str = field(metadata=doc("File."))
    parsed: bool = field(metadata=doc("Whether it parsed as Python."))
    imports: tuple[str, ...] = field(metadata=doc("Top-level packages imported."))
    spdx_tags: tuple[str, ...] = field(metadata=doc("SPDX-License-Identifier values in the file."))
    similar_to: Mapping[str, float] = field(metadata=doc("Known modelling code it resembles, with containment score."))


@frozen
class CodeFacts:
    """Remote and inference code."""

    files: tuple[CodeFile, ...] = field(metadata=doc("Python files."))
    trust_remote_code: bool = field(metadata=doc("Whether loading needs trust_remote_code (auto_map present)."))
    dependencies: tuple[str, ...] = field(metadata=doc("Third-party packages imported or listed in manifests."))
    pickle_imports: tuple[str, ...] = field(metadata=doc("Globals imported by pickle files outside the safe allow-list."))
    dependency_licenses: Mapping[str, str] = field(default_factory=dict, metadata=doc(
        "Declared licence (SPDX expression) of each dependency whose licence is known, by package; a package "
        "absent here has no known licence (NOASSERTION in an SBOM)."))
    dependency_license_sources: Mapping[str, str] = field(default_factory=dict, metadata=doc(
        "Where each of those licences was read, and when, by package."))


# --------------------------------------------------------------------------- catalog and policy identity


@frozen
class CatalogInfo:
    """Which catalog the scan compared against."""

    version: str = field(metadata=doc("Catalog version(s), e.g. 'bundled 2026.11.0 + ./my-catalog 1'."))
    checksum: str = field(metadata=doc("SHA-256 over the catalog manifests used."))
    entries: int = field(metadata=doc("Entries loaded."))
    entries_with_weights: int = field(metadata=doc("Entries carrying weight fingerprints."))
    skipped: tuple[str, ...] = field(metadata=doc("Entries (or their fingerprints) skipped or used in part, with the reason."))
    overridden: tuple[str, ...] = field(default=(), metadata=doc(
        "Bundled entries or tokenizer fingerprints replaced by a user catalog's, with where each came from."))


@frozen
class Facts:
    """Everything the scan observed. Policy rules read these paths."""

    schema_version: str = field(metadata=doc("Report schema version."))
    tool: ToolInfo = field(metadata=doc("The program."))
    run: RunInfo = field(metadata=doc("When it ran."))
    target: Target = field(metadata=doc("What was scanned."))
    problems: tuple[Problem, ...] = field(metadata=doc("What could not be read."))
    config: ConfigFacts | None = field(metadata=doc("config.json facts; null when absent."))
    card: CardFacts | None = field(metadata=doc("Model card facts; null when absent."))
    components: tuple[Component, ...] = field(metadata=doc("Model components and their weight lineage."))
    tensors: tuple[TensorRecord, ...] = field(metadata=doc("Every tensor found in weight files."))
    tokenizer: TokenizerFacts = field(metadata=doc("Tokenizer facts and lineage."))
    architecture: ArchitectureFacts = field(metadata=doc("Architecture comparison."))
    licenses: LicenseFacts = field(metadata=doc("Licences in the repository."))
    obligations: tuple[Obligation, ...] = field(metadata=doc("Upstream licence duties and whether they are met."))
    control: tuple[ControlTerm, ...] = field(metadata=doc("Upstream licence terms that give a licensor control."))
    provenance: ProvenanceFacts = field(metadata=doc("Declared versus detected provenance."))
    code: CodeFacts = field(metadata=doc("Remote and inference code."))
    catalog: CatalogInfo = field(metadata=doc("The catalog compared against."))


# --------------------------------------------------------------------------- policy outcome


@frozen
class Waiver:
    """A reviewed exception that turned a failed rule into a waived one."""

    rule_id: str = field(metadata=doc("Rule waived."))
    scope: str = field(metadata=doc("What it covers, e.g. 'component:vision' or '*'."))
    reason: str = field(metadata=doc("Why."))
    author: str = field(metadata=doc("Who approved it."))
    expires: str = field(metadata=doc("ISO date after which it stops applying."))


@frozen
class RuleResult:
    """One rule's outcome with the evidence it read."""

    id: str = field(metadata=doc("Rule id."))
    category: RuleCategory = field(metadata=doc("technical, policy or ethical."))
    severity: Severity = field(metadata=doc("error, warning or info."))
    status: RuleStatus = field(metadata=doc("pass, fail, not_applicable, error or waived."))
    title: str = field(metadata=doc("Short title."))
    message: str = field(metadata=doc("What was found, with the evidence filled in."))
    how_to_fix: str = field(metadata=doc("What to do about it."))
    references: tuple[str, ...] = field(metadata=doc("Published criteria the rule implements."))
    evidence: Mapping[str, Any] = field(metadata=doc("Fact paths the rule read and their values."))
    waiver: Waiver | None = field(default=None, metadata=doc("The waiver applied, when status is waived."))


@frozen
class PolicyInfo:
    """Which policy judged the facts."""

    id: str = field(metadata=doc("Policy id."))
    version: str = field(metadata=doc("Policy version."))
    title: str = field(metadata=doc("Policy title."))
    checksum: str = field(metadata=doc("SHA-256 of the policy and every rule file it used."))


@frozen
class Verdict:
    """The conclusion, with the one paragraph that explains it."""

    status: VerdictStatus = field(metadata=doc("from_scratch, not_from_scratch or needs_review."))
    summary: str = field(metadata=doc("One paragraph: why."))


@frozen
class ScanReport(Facts):
    """A full scan: the facts, the policy that judged them, each rule's outcome and the verdict."""

    policy: PolicyInfo = field(metadata=doc("The policy applied."))
    rules: tuple[RuleResult, ...] = field(metadata=doc("Every rule's outcome, failures first."))
    verdict: Verdict = field(metadata=doc("The conclusion."))
