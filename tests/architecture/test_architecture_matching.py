"""Matching on the catalog's real, published configs: the relations the facts support."""

from __future__ import annotations

import json
from functools import cache

from scanner.architecture import ArchitectureSignature, Role, compare, signature_of, split_config
from scanner.architecture.matching import architecture_facts
from scanner.catalog.store import bundled_catalog_dir, load_catalogs, read_entry
from scanner.cli import main
from scanner.report.model import ArchitectureLineage, ArchitectureRelation


@cache
def config(entry_id: str) -> dict:
    return read_entry(bundled_catalog_dir() / "entries" / f"{entry_id}.yaml", bundled_catalog_dir(), "bundled").config


def sign(entry_id: str, component: str) -> ArchitectureSignature:
    return signature_of(component, split_config(config(entry_id))[component])


def differing(candidate: ArchitectureSignature, reference: ArchitectureSignature) -> dict[str, tuple]:
    return {d.name: (d.candidate, d.reference, d.role) for d in compare(candidate, reference).differing}


def test_hyperclova_x_seed_vision_encoder_is_qwen25_vl_family_with_one_wider_mlp() -> None:
    """NAVER's published vision config declares qwen2_5_vl; every shape matches Qwen's but the MLP width."""
    hcx = sign("hyperclovax-seed-think-32b-vision", "vision")
    for qwen in ("qwen2.5-vl-7b-instruct", "qwen2.5-vl-3b-instruct"):
        result = compare(hcx, sign(qwen, "vision"))
        assert result.candidate_family == result.reference_family == "qwen2_5_vl_vision"
        assert result.relation is ArchitectureRelation.SAME_FAMILY
        identity_differences = {d.name for d in result.differing if d.role in (Role.SHAPE, Role.COMPUTATION)}
        assert identity_differences == {"intermediate_size"}
        assert differing(hcx, sign(qwen, "vision"))["intermediate_size"][:2] == (3456, 3420)
        agreeing = {a.name for a in result.agreeing}
        assert {"num_layers", "hidden_size", "num_attention_heads", "patch_size", "window_size",
                "fullatt_block_indexes", "spatial_merge_size", "temporal_patch_size"} <= agreeing


def test_qwens_vision_config_under_a_new_language_model_is_identical() -> None:
    """The merger's output width follows the new text model; it is interface, not identity."""
    qwen_vision = dict(config("qwen2.5-vl-7b-instruct")["vision_config"], out_hidden_size=5120)
    newcomer = {
        "architectures": ["NewVisionLanguageModel"],
        "model_type": "newcomer_vlm",
        "text_config": {"model_type": "newcomer", "hidden_size": 5120, "num_hidden_layers": 72, "vocab_size": 128256},
        "vision_config": {**qwen_vision, "model_type": "qwen2_5_vl"},
    }
    candidate = signature_of("vision", split_config(newcomer)["vision"])
    result = compare(candidate, sign("qwen2.5-vl-7b-instruct", "vision"))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert [(d.name, d.role) for d in result.differing] == [("out_hidden_size", Role.INTERFACE)]


def test_qwen25_vl_3b_and_7b_share_one_vision_tower_design() -> None:
    result = compare(sign("qwen2.5-vl-3b-instruct", "vision"), sign("qwen2.5-vl-7b-instruct", "vision"))
    assert result.relation is ArchitectureRelation.IDENTICAL


def test_qwen25_7b_and_qwen2_7b_text_models_are_identical_but_for_context_length() -> None:
    result = compare(sign("qwen2.5-7b", "text"), sign("qwen2-7b-instruct", "text"))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert {d.name: (d.candidate, d.reference) for d in result.differing} == {
        "max_position_embeddings": (131072, 32768)
    }


def test_llama_31_8b_and_mistral_7b_are_different_families_despite_shared_widths() -> None:
    llama, mistral = sign("llama-3.1-8b", "text"), sign("mistral-7b-instruct-v0.3", "text")
    result = compare(llama, mistral)
    assert result.relation is ArchitectureRelation.DIFFERENT
    assert (result.candidate_family, result.reference_family) == ("llama", "mistral")
    assert {"hidden_size", "num_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size"} <= {
        a.name for a in result.agreeing
    }
    assert differing(llama, mistral)["vocab_size"][:2] == (128256, 32768)


def test_base_and_instruct_differ_only_in_settings_that_are_not_architecture() -> None:
    result = compare(sign("qwen2.5-32b", "text"), sign("qwen2.5-32b-instruct", "text"))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert [d.name for d in result.differing] == ["max_window_layers"]


def test_a_shared_architecture_under_another_name_is_different_family() -> None:
    """Kimi K2 reuses DeepSeek-V3's class and MLA design but declares kimi_k2 and other sizes."""
    result = compare(sign("kimi-k2-instruct", "text"), sign("deepseek-v3", "text"))
    assert result.relation is ArchitectureRelation.DIFFERENT
    assert {"kv_lora_rank", "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"} <= {
        a.name for a in result.agreeing
    }
    assert differing(sign("kimi-k2-instruct", "text"), sign("deepseek-v3", "text"))["num_experts"][:2] == (384, 256)


def test_deepseek_r1_has_deepseek_v3s_architecture() -> None:
    result = compare(sign("deepseek-r1", "text"), sign("deepseek-v3", "text"))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert result.hyperparameters_match


def test_qwen3_vl_vision_is_not_qwen25_vl_vision() -> None:
    result = compare(sign("qwen3-vl-32b-instruct", "vision"), sign("qwen2.5-vl-7b-instruct", "vision"))
    assert result.relation is ArchitectureRelation.DIFFERENT


def lineage_of(candidate: dict, component: str = "text") -> dict[str, ArchitectureLineage]:
    facts = architecture_facts(candidate, load_catalogs().entries.values())
    return {row.catalog_id: row for row in facts.lineage if row.component == component}


def test_a_renamed_model_type_keeps_its_architecture_visible() -> None:
    """Qwen2.5-7B's config relabelled: every hyper-parameter agrees, so the relation is reported as 'different'."""
    renamed = dict(config("qwen2.5-7b"), model_type="sovereign_lm", architectures=["SovereignForCausalLM"])
    rows = lineage_of(renamed)
    qwen = rows["qwen2.5-7b"]
    assert qwen.relation is ArchitectureRelation.DIFFERENT and not qwen.differing and qwen.hyperparameters_match
    assert {"hidden_size", "num_layers", "num_attention_heads", "intermediate_size", "vocab_size"} <= set(qwen.agreeing)
    assert next(iter(rows)) == "qwen2.5-7b"  # every setting agrees: it ranks first


def test_kimi_k2_is_reported_against_deepseek_v3_whose_model_class_it_runs() -> None:
    rows = lineage_of(config("kimi-k2-instruct"))
    assert rows["kimi-k2-instruct"].relation is ArchitectureRelation.IDENTICAL
    deepseek = rows["deepseek-v3"]
    assert deepseek.relation is ArchitectureRelation.DIFFERENT
    assert {"kv_lora_rank", "q_lora_rank", "qk_rope_head_dim"} <= set(deepseek.agreeing)
    assert deepseek.differing["num_experts"] == "384 vs 256" and not deepseek.hyperparameters_match


def test_other_families_that_merely_share_widths_are_still_left_out() -> None:
    assert "mistral-7b-instruct-v0.3" not in lineage_of(config("llama-3.1-8b"))


def test_the_scan_reports_a_renamed_architecture(tmp_path) -> None:
    """End to end: a repository holding a real config under another model_type."""
    repo = tmp_path / "sovereign"
    repo.mkdir()
    (repo / "config.json").write_text(json.dumps(dict(config("qwen2.5-7b"), model_type="sovereign_lm")))
    out = tmp_path / "report.json"
    main(["scan", str(repo), "--json", str(out), "-q"])
    report = json.loads(out.read_text())
    qwen = next(row for row in report["architecture"]["lineage"] if row["catalog_id"] == "qwen2.5-7b")
    assert (qwen["component"], qwen["relation"], qwen["differing"], qwen["hyperparameters_match"]) == (
        "text", "different", {}, True)
    rule = next(r for r in report["rules"] if r["id"] == "technical.architecture-matches-catalog")
    assert rule["status"] == "fail" and "different to qwen2.5-7b" in rule["message"]
