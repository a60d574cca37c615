"""Hand-built scan reports for the reporter tests, independent of the scan pipeline.

``vlm_report`` is the January 2026 case in report form: a vision-language model whose language model
is its own, whose vision encoder is a published model's (identical weights) and whose projector is
derived from another's; a tokenizer that overlaps but is not reused; licence findings, unmet
obligations, a waived rule, a Korean model card, and hostile text in fields the HTML shows.
``large_report`` stresses size; ``sparse_report`` has every optional fact missing.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

from scanner.report.model import (
    ArchitectureFacts,
    ArchitectureLineage,
    ArchitectureRelation,
    CardFacts,
    CatalogInfo,
    CodeFacts,
    CodeFile,
    Component,
    ConfigFacts,
    ConfigSection,
    ControlTerm,
    FileKind,
    FileStatus,
    LayerSimilarity,
    LicenseDetection,
    LicenseFacts,
    LineageStatistics,
    Obligation,
    PolicyInfo,
    Problem,
    ProvenanceFacts,
    RepoFile,
    RuleCategory,
    RuleResult,
    RuleStatus,
    RunInfo,
    ScanReport,
    Severity,
    Target,
    TensorRecord,
    TokenizerFacts,
    TokenizerLineage,
    TokenizerRelation,
    ToolInfo,
    Upstream,
    Verdict,
    VerdictStatus,
    Waiver,
    WeightLineage,
    WeightRelation,
)

SCRIPT_PAYLOAD = '<script>document.title="PWNED-SCRIPT"</script>'
IMG_PAYLOAD = '<img src=x onerror="document.body.setAttribute(\'data-pwned\',\'img\')">'
SVG_PAYLOAD = '<svg onload="document.body.setAttribute(\'data-pwned\',\'svg\')"></svg>'
TRACEABLE = f"{SCRIPT_PAYLOAD} {IMG_PAYLOAD} {SVG_PAYLOAD}"
"""Payloads that leave a trace in the DOM when they run (a browser test can see it)."""
ALERTS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
"""The classic probes; a dialog would stall a headless browser, which a test would also notice."""
HOSTILE = f"{TRACEABLE} {ALERTS}"
KOREAN_CARD = (
    "# 시드 VL 32B 생각 모델\n\n"
    "이 모델은 처음부터 직접 학습한 한국어 중심의 시각-언어 모델입니다. "
    "비전 인코더와 언어 모델을 모두 자체 개발하였습니다.\n\n"
    "## 사용 방법\n\n허깅페이스 트랜스포머로 불러올 수 있습니다.\n\n"
    f"{HOSTILE}\n"
)
STARTED_AT = "2026-01-15T09:30:00Z"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _layers(count: int, *, base: float, spread: float, tensors: int = 9, prefix: str = "blocks") -> tuple[LayerSimilarity, ...]:
    """Deterministic per-layer similarities around ``base`` (no random generator: bytes must repeat)."""
    layers = []
    for i in range(count):
        wobble = spread * math.sin(1.7 * i + 0.3)
        similarity = max(-1.0, min(1.0, base + wobble))
        z = similarity * math.sqrt(4096) * math.sqrt(tensors)
        layers.append(LayerSimilarity(layer=f"{prefix}.{i}", reference_layer=f"{prefix}.{i}",
                                      similarity=round(similarity, 6), z=round(z, 3), tensors=tensors))
    return tuple(layers)


def _stats(layers: tuple[LayerSimilarity, ...], *, effect: float, z: float, p: float, exact: int = 0,
           transformations: tuple[str, ...] = ()) -> LineageStatistics:
    return LineageStatistics(
        effect_size=effect, z=z, p_value=p, p_adjusted=min(1.0, p * 40), tensors_compared=sum(l.tensors for l in layers),
        layers_significant=sum(abs(l.z) > 3.719 for l in layers), exact_matches=exact, transformations=transformations,
        null_sd=round(1 / math.sqrt(4096), 6), per_layer=layers)


def _files() -> tuple[RepoFile, ...]:
    files = [
        RepoFile(path="README.md", size=4210, sha256=_sha("card"), kind=FileKind.MODEL_CARD, status=FileStatus.READ),
        RepoFile(path="LICENSE", size=11_357, sha256=_sha("license"), kind=FileKind.LICENSE, status=FileStatus.READ),
        RepoFile(path="config.json", size=2_048, sha256=_sha("config"), kind=FileKind.CONFIG, status=FileStatus.READ),
        RepoFile(path="tokenizer.json", size=11_420_000, sha256=_sha("tok"), kind=FileKind.TOKENIZER, status=FileStatus.READ),
        RepoFile(path="modeling_seed_vl.py", size=48_211, sha256=_sha("code"), kind=FileKind.REMOTE_CODE, status=FileStatus.READ),
        RepoFile(path="requirements.txt", size=64, sha256=_sha("req"), kind=FileKind.DEPENDENCY_MANIFEST, status=FileStatus.READ),
        RepoFile(path="model.safetensors.index.json", size=90_112, sha256=_sha("index"), kind=FileKind.SAFETENSORS_INDEX,
                 status=FileStatus.READ),
        RepoFile(path="legacy/optimizer.bin", size=1_024_000, sha256=None, kind=FileKind.PICKLE, status=FileStatus.SKIPPED,
                 note="pickle file: listed, never loaded"),
    ]
    for shard in range(1, 5):
        name = f"model-{shard:05d}-of-00004.safetensors"
        files.append(RepoFile(path=name, size=4_900_000_000 + shard, sha256=_sha(name), kind=FileKind.SAFETENSORS,
                              status=FileStatus.READ))
    return tuple(sorted(files, key=lambda f: f.path))


def _components() -> tuple[Component, ...]:
    vision_layers = _layers(32, base=0.994, spread=0.004)
    projector_layers = _layers(2, base=0.71, spread=0.08, tensors=2, prefix="merger.mlp")
    text_layers = _layers(64, base=0.0, spread=0.02, tensors=7, prefix="layers")
    audio_layers = _layers(3, base=0.04, spread=0.05, tensors=1, prefix="layers")
    return (
        Component(name="text", tensors=771, parameters=32_100_000_000, dtypes=("BF16",), prefixes=("model.layers.",),
                  config_section="text_config", model_type="seed_text", fingerprinted=True, lineage=(
                      WeightLineage(catalog_id="qwen2.5-32b", catalog_component="text", relation=WeightRelation.INDEPENDENT,
                                    statistics=_stats(text_layers, effect=0.001, z=0.4, p=0.34),
                                    reason="448 comparable tensors show no shared origin with qwen2.5-32b (text) (median r = 0.001, adjusted p = 1)"),
                  )),
        Component(name="vision", tensors=390, parameters=675_000_000, dtypes=("BF16",), prefixes=("visual.",),
                  config_section="vision_config", model_type="qwen2_5_vl", fingerprinted=True, lineage=(
                      WeightLineage(catalog_id="qwen2.5-vl-7b-instruct", catalog_component="vision",
                                    relation=WeightRelation.IDENTICAL,
                                    statistics=_stats(vision_layers, effect=0.9951, z=402.7, p=0.0, exact=12,
                                                      transformations=("dtype-cast",)),
                                    reason="288 tensors match qwen2.5-vl-7b-instruct (vision): median r = 0.995, 12 byte-identical"),
                      WeightLineage(catalog_id="llama-3.2-90b-vision-instruct", catalog_component="vision",
                                    relation=WeightRelation.INDEPENDENT, statistics=None,
                                    reason="no comparable tensors"),
                  )),
        Component(name="projector", tensors=4, parameters=44_000_000, dtypes=("BF16",), prefixes=("visual.merger.",),
                  config_section=None, model_type=None, fingerprinted=True, lineage=(
                      WeightLineage(catalog_id="llama-3.2-90b-vision-instruct", catalog_component="projector",
                                    relation=WeightRelation.DERIVED,
                                    statistics=_stats(projector_layers, effect=0.71, z=48.2, p=1e-30,
                                                      transformations=("transpose",)),
                                    reason=f"4 tensors correlate with llama-3.2-90b-vision-instruct (projector) after a transpose {HOSTILE}"),
                  )),
        Component(name="audio", tensors=3, parameters=1_200_000, dtypes=("F32",), prefixes=("audio_tower.",),
                  config_section="audio_config", model_type="whisper", fingerprinted=True, lineage=(
                      WeightLineage(catalog_id="whisper-large-v3", catalog_component="audio",
                                    relation=WeightRelation.INCONCLUSIVE,
                                    statistics=_stats(audio_layers, effect=0.04, z=1.1, p=0.13),
                                    reason="only 3 comparable tensors"),
                  )),
        Component(name="other", tensors=2, parameters=4_096, dtypes=("F32",), prefixes=("mystery.",),
                  config_section=None, model_type=None, fingerprinted=False, lineage=()),
    )


def _tensors() -> tuple[TensorRecord, ...]:
    names = [("visual.blocks.0.attn.qkv.weight", "vision", (3840, 1280)),
             ("model.layers.0.self_attn.q_proj.weight", "text", (5120, 5120)),
             ("visual.merger.mlp.0.weight", "projector", (5120, 5120)),
             (f"mystery.{SCRIPT_PAYLOAD}", "other", (64,))]
    return tuple(TensorRecord(name=n, dtype="BF16", shape=s, file="model-00001-of-00004.safetensors", component=c,
                              parameters=math.prod(s)) for n, c, s in names)


def _rule(rule_id: str, category: RuleCategory, severity: Severity, status: RuleStatus, message: str, *,
          fix: str = "", evidence: dict | None = None, waiver: Waiver | None = None) -> RuleResult:
    return RuleResult(id=rule_id, category=category, severity=severity, status=status,
                      title=rule_id.split(".", 1)[1].replace("-", " ").capitalize(), message=message,
                      how_to_fix=fix, references=("MSIT sovereign AI foundation model criteria (2026-01)",),
                      evidence=evidence or {}, waiver=waiver)


def _rules() -> tuple[RuleResult, ...]:
    T, P, E = RuleCategory.TECHNICAL, RuleCategory.POLICY, RuleCategory.ETHICAL
    return (
        _rule("technical.no-identical-weights", T, Severity.ERROR, RuleStatus.FAIL,
              "Component vision is identical to qwen2.5-vl-7b-instruct (vision): median r = 0.995 over 288 tensors.",
              fix="Train the vision encoder yourself, or declare it as reused and apply the policy's reuse rules.",
              evidence={"components[vision].lineage[0].relation": "identical",
                        "components[vision].lineage[0].statistics.effect_size": 0.9951}),
        _rule("technical.no-derived-weights", T, Severity.ERROR, RuleStatus.FAIL,
              "Component projector is derived from llama-3.2-90b-vision-instruct (projector).",
              fix="Retrain the projector from a random initialisation.",
              evidence={"components[projector].lineage[0].relation": "derived"}),
        _rule("technical.undisclosed-reuse", T, Severity.WARNING, RuleStatus.FAIL,
              f"The card does not declare the reused vision encoder. Card says: {HOSTILE}",
              fix="Add base_model to the card front matter.", evidence={"provenance.undisclosed": ["weights:vision"],
                                                                       "card.file": "README.md"}),
        _rule("technical.tokenizer-own", T, Severity.ERROR, RuleStatus.PASS,
              "The tokenizer overlaps qwen2.5 (Jaccard 0.41) within what independent vocabularies share."),
        _rule("technical.weights-read", T, Severity.WARNING, RuleStatus.PASS, "All weight shards were read."),
        _rule("policy.no-licensor-control", P, Severity.WARNING, RuleStatus.FAIL,
              "llama-3.2-90b-vision-instruct's licence requires a separate licence above 700,000,000 monthly users.",
              fix="Replace the projector or obtain a licence.",
              evidence={"control[0].term": "licence_required_above_mau", "control[0].value": "700000000"}),
        _rule("policy.no-remote-restriction", P, Severity.ERROR, RuleStatus.PASS, "No licence allows remote restriction."),
        _rule("policy.governing-law", P, Severity.INFO, RuleStatus.NOT_APPLICABLE, "No foreign governing law to check."),
        _rule("ethical.attribution-displayed", E, Severity.ERROR, RuleStatus.FAIL,
              "“Built with Llama” is required by llama-3.2 §1.b.i and is not displayed in README.md.",
              fix="Display “Built with Llama” on the model card.", evidence={"obligations[0].satisfied": False,
                                                                              "card.file": "README.md"}),
        _rule("ethical.licence-copy", E, Severity.ERROR, RuleStatus.WAIVED,
              "No copy of the Apache-2.0 licence of qwen2.5-vl-7b-instruct is shipped.",
              fix="Add the upstream LICENSE as LICENSE-qwen2.5-vl.",
              evidence={"obligations[2].satisfied": False},
              waiver=Waiver(rule_id="ethical.licence-copy", scope="component:vision",
                            reason=f"Licence copy ships in the release archive, not in the repository {HOSTILE}",
                            author="kim.reviewer@example.org", expires="2026-06-30")),
        _rule("ethical.notice-file", E, Severity.WARNING, RuleStatus.FAIL, "No NOTICE file carries upstream notices.",
              fix="Add a NOTICE file."),
        _rule("ethical.licence-consistent", E, Severity.WARNING, RuleStatus.ERROR,
              "The rule read licenses.detections[5], which does not exist.", fix="Fix the rule."),
    )


def vlm_report() -> ScanReport:
    """A January-2026-style vision-language model with reused vision weights."""
    return ScanReport(
        schema_version="1.0", tool=ToolInfo(name="fromscratch", version="0.1.0"),
        run=RunInfo(started_at=STARTED_AT, duration_seconds=42.5),
        target=Target(path="models/seed-vl-think-32b", source="local", revision=None, files=_files()),
        problems=(
            Problem(file="legacy/optimizer.bin", code="pickle.skipped",
                    message="legacy/optimizer.bin: pickle file listed, never loaded", severity=Severity.INFO),
            Problem(file="model-00004-of-00004.safetensors", code="safetensors.truncated",
                    message=f"model-00004-of-00004.safetensors: 2 tensors past the end of the file {IMG_PAYLOAD}",
                    severity=Severity.WARNING),
        ),
        config=ConfigFacts(file="config.json", model_type="seed_vl", architectures=("SeedVLForConditionalGeneration",),
                           name_or_path="Qwen/Qwen2.5-VL-7B-Instruct", auto_map={"AutoModel": "modeling_seed_vl.SeedVL"},
                           sections=(ConfigSection(component="text", path="text_config", model_type="seed_text",
                                                   hyperparameters={"hidden_size": 5120, "num_hidden_layers": 64}),
                                     ConfigSection(component="vision", path="vision_config", model_type="qwen2_5_vl",
                                                   hyperparameters={"depth": 32, "hidden_size": 1280}))),
        card=CardFacts(file="README.md", license="other", license_name="seed-vl-license",
                       license_link="https://example.org/seed-vl/LICENSE", base_model=(), base_model_relation=None,
                       datasets=("example/korean-web-2025",), language=("ko", "en"), tags=("vision", "한국어"),
                       text=KOREAN_CARD, text_truncated=False),
        components=_components(),
        tensors=_tensors(),
        tokenizer=TokenizerFacts(
            status="present", files=("tokenizer.json",), type="BPE", vocab_size=151_665, added_tokens=22,
            special_tokens=("<|endoftext|>", "<|im_start|>", SCRIPT_PAYLOAD),
            lineage=(
                TokenizerLineage(catalog_id="qwen2.5", relation=TokenizerRelation.OVERLAPPING,
                                 statistics={"jaccard": 0.412, "id_aligned_fraction": 0.031, "merge_jaccard": 0.18,
                                             "shared_tokens": 88_412.0},
                                 reason="88,412 shared tokens (Jaccard 0.412), 3.1% at the same ids"),
                TokenizerLineage(catalog_id="llama3", relation=TokenizerRelation.INDEPENDENT,
                                 statistics={"jaccard": 0.22, "id_aligned_fraction": 0.0001, "shared_tokens": 51_000.0},
                                 reason="within what independently built vocabularies share"),
            )),
        architecture=ArchitectureFacts(lineage=(
            ArchitectureLineage(component="vision", catalog_id="qwen2.5-vl-7b-instruct", catalog_component="vision",
                                relation=ArchitectureRelation.IDENTICAL, agreeing=("depth", "hidden_size", "num_heads"),
                                differing={}),
            ArchitectureLineage(component="text", catalog_id="qwen2.5-32b", catalog_component="text",
                                relation=ArchitectureRelation.SAME_FAMILY, agreeing=("hidden_size",),
                                differing={"vocab_size": "151665 vs 152064"}),
        )),
        licenses=LicenseFacts(
            detections=(
                LicenseDetection(source="LICENSE", license_id=None, expression="LicenseRef-seed-vl-license", confidence=0.0,
                                 method="none", modified=False, alternatives=("apache-2.0 (0.41)",),
                                 note=f"custom licence text {IMG_PAYLOAD}"),
                LicenseDetection(source="card:license", license_id=None, expression=None, confidence=1.0,
                                 method="card-field", modified=False, alternatives=(), note="license: other"),
                LicenseDetection(source="modeling_seed_vl.py:SPDX", license_id="apache-2.0", expression="Apache-2.0",
                                 confidence=1.0, method="spdx-tag", modified=False, alternatives=()),
            ),
            declared_expression="LicenseRef-seed-vl-license",
            findings=("The card says 'other' and LICENSE is not a known licence.",)),
        obligations=(
            Obligation(upstream="llama-3.2-90b-vision-instruct", license_id="llama-3.2", kind="display_attribution",
                       requirement="Built with Llama", clause="§1.b.i", satisfied=False, evidence="searched README.md"),
            Obligation(upstream="llama-3.2-90b-vision-instruct", license_id="llama-3.2", kind="derived_name_prefix",
                       requirement="include “Llama” at the beginning of any such AI model name", clause="§1.b.i",
                       satisfied=False, evidence="model name 'seed-vl-think-32b'"),
            Obligation(upstream="qwen2.5-vl-7b-instruct", license_id="apache-2.0", kind="copy_of_agreement",
                       requirement="give any other recipients a copy of this License", clause="§4(a)", satisfied=False,
                       evidence="no Apache-2.0 text in the repository"),
            Obligation(upstream="qwen2.5-vl-7b-instruct", license_id="apache-2.0", kind="notice_text",
                       requirement="Copyright 2025 The Qwen team, Alibaba Group", clause="§4(d)", satisfied=True,
                       evidence="README.md line 40"),
            Obligation(upstream="llama-3.2-90b-vision-instruct", license_id="llama-3.2", kind="aup_flow_down",
                       requirement="use must comply with the Acceptable Use Policy", clause="§1.b.iv", satisfied=None,
                       evidence="not checkable automatically"),
        ),
        control=(
            ControlTerm(upstream="llama-3.2-90b-vision-instruct", license_id="llama-3.2", term="licence_required_above_mau",
                        value="700000000", clause="§2"),
            ControlTerm(upstream="llama-3.2-90b-vision-instruct", license_id="llama-3.2", term="governing_law",
                        value="US-CA", clause="§7"),
        ),
        provenance=ProvenanceFacts(
            declared_base_models=(), declared_relation=None, config_hints=("Qwen/Qwen2.5-VL-7B-Instruct",),
            upstreams=(
                Upstream(catalog_id="qwen2.5-vl-7b-instruct", name="Qwen/Qwen2.5-VL-7B-Instruct",
                         what=("weights:vision", "architecture:vision"), declared=False, detected=True,
                         license_id="apache-2.0", license_expression="Apache-2.0",
                         organisation="Alibaba Cloud (Qwen team)", country="CN"),
                Upstream(catalog_id="llama-3.2-90b-vision-instruct", name="meta-llama/Llama-3.2-90B-Vision-Instruct",
                         what=("weights:projector",), declared=False, detected=True, license_id="llama-3.2",
                         license_expression="LicenseRef-fromscratch-llama-3.2", organisation="Meta", country="US"),
                Upstream(catalog_id=None, name=f"Seed tokenizer team {SCRIPT_PAYLOAD}", what=("tokenizer",),
                         declared=True, detected=False, license_id=None, license_expression=None,
                         organisation=None, country=None),
            ),
            undisclosed=("weights:vision from qwen2.5-vl-7b-instruct", "weights:projector from llama-3.2-90b-vision-instruct"),
            unverified=(f"Seed tokenizer team {SCRIPT_PAYLOAD}",)),
        code=CodeFacts(
            files=(CodeFile(path="modeling_seed_vl.py", parsed=True, imports=("torch", "transformers"),
                            spdx_tags=("Apache-2.0",), similar_to={"transformers/qwen2_5_vl": 0.83}),),
            trust_remote_code=True, dependencies=("torch", "transformers"), pickle_imports=()),
        catalog=CatalogInfo(version="bundled 2026.11.0", checksum=_sha("catalog"), entries=56, entries_with_weights=2,
                            skipped=()),
        policy=PolicyInfo(id="kr-sovereign-ai-2026", version="1.0", title="Korean sovereign AI foundation model (2026)",
                          checksum=_sha("policy")),
        rules=_rules(),
        verdict=Verdict(status=VerdictStatus.NOT_FROM_SCRATCH, summary=(
            "Not from scratch: the vision encoder is identical to Qwen2.5-VL-7B-Instruct's (median r = 0.995 over 288 "
            "tensors) and the projector is derived from Llama-3.2-90B-Vision-Instruct's; neither reuse is declared, and "
            "the Llama licence's attribution and naming duties are not met. The language model is independent.")),
    )


def large_report(*, tensors: int = 6000, rules: int = 400) -> ScanReport:
    """The VLM report scaled up: thousands of tensors and hundreds of rules, most of them passing."""
    base = vlm_report()
    tensor_records = tuple(
        TensorRecord(name=f"model.layers.{i // 10}.mlp.proj_{i % 10}.weight", dtype="BF16", shape=(5120, 640),
                     file=f"model-{1 + i % 4:05d}-of-00004.safetensors", component="text", parameters=5120 * 640)
        for i in range(tensors))
    categories = tuple(RuleCategory)
    extra = tuple(
        _rule(f"{categories[i % 3].value}.generated-{i:04d}", categories[i % 3], Severity.WARNING,
              RuleStatus.FAIL if i % 25 == 0 else RuleStatus.PASS, f"Generated rule {i}.", fix="Nothing to do.",
              evidence={"i": i})
        for i in range(rules))
    files = base.target.files + tuple(
        RepoFile(path=f"extra/shard-{i:04d}.safetensors", size=1000 + i, sha256=_sha(str(i)), kind=FileKind.SAFETENSORS,
                 status=FileStatus.READ) for i in range(300))
    return replace(base, tensors=tensor_records, rules=base.rules + extra,
                   target=replace(base.target, files=tuple(sorted(files, key=lambda f: f.path))))


def sparse_report() -> ScanReport:
    """Nothing optional was found: no config, card, weights, tokenizer, licences, catalog or policy."""
    return ScanReport(
        schema_version="1.0", tool=ToolInfo(name="fromscratch", version="0.1.0"),
        run=RunInfo(started_at=STARTED_AT, duration_seconds=0.0),
        target=Target(path="/data/empty-ish", source="local", revision=None,
                      files=(RepoFile(path="notes.txt", size=3, sha256=_sha("x"), kind=FileKind.OTHER,
                                      status=FileStatus.LISTED),)),
        problems=(), config=None, card=None, components=(), tensors=(),
        tokenizer=TokenizerFacts(status="absent", files=(), type=None, vocab_size=None, added_tokens=None,
                                 special_tokens=(), lineage=()),
        architecture=ArchitectureFacts(lineage=()),
        licenses=LicenseFacts(detections=(), declared_expression=None, findings=()),
        obligations=(), control=(),
        provenance=ProvenanceFacts(declared_base_models=(), declared_relation=None, config_hints=(), upstreams=(),
                                   undisclosed=(), unverified=()),
        code=CodeFacts(files=(), trust_remote_code=False, dependencies=(), pickle_imports=()),
        catalog=CatalogInfo(version="", checksum="", entries=0, entries_with_weights=0, skipped=()),
        policy=PolicyInfo(id="none", version="0", title="", checksum=""),
        rules=(),
        verdict=Verdict(status=VerdictStatus.NEEDS_REVIEW, summary="No policy was evaluated."),
    )
