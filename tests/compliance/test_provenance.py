"""Declared versus detected provenance: claims, hints, malformed cards, and why a claim stays unverified."""

from __future__ import annotations

import json

import pytest

from scanner.report.model import TokenizerRelation
from scanner.synthetic import transforms as T
from scanner.synthetic.repo import write_repo

from compliance_lab import LLAMA_HUB_ID, NOTHING_OBSERVED, card, observed_tokenizer, stage_only, write_files


def test_claims_are_resolved_and_each_unverified_one_says_why(tmp_path, lab):
    repo = write_files(tmp_path, {"README.md": card(
        "base_model:\n- Qwen/Qwen2.5-7B\n- someone/never-heard-of\n- not an id\n- " + LLAMA_HUB_ID + "\n- 42")})
    result = stage_only(repo, lab.catalog_dir)
    unverified = "\n".join(result.provenance.unverified)
    assert "Qwen/Qwen2.5-7B (card:base_model): in the catalog (qwen2.5-7b) without weight fingerprints" in unverified
    assert "someone/never-heard-of (card:base_model): not in the catalog" in unverified
    assert "not an id (card:base_model): not a Hub model id" in unverified
    assert (f"{LLAMA_HUB_ID} (card:base_model): in the catalog (llama-like) with weight fingerprints, "
            "but this repository's weights were not read") in unverified
    assert "card.field-type" not in {p.code for p in result.problems}  # the card parser reports it, once
    qwen = next(u for u in result.provenance.upstreams if u.catalog_id == "qwen2.5-7b")
    assert qwen.declared and not qwen.detected and qwen.license_id == "apache-2.0" and qwen.country == "CN"


def test_malformed_base_model_is_not_a_crash(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("base_model: {nested: [1, 2]}\nbase_model_relation: [x, y]")})
    result = stage_only(repo)
    assert result.provenance.declared_base_models == ()
    assert result.provenance.unverified == ()


def test_config_hints_adapter_claims_and_remote_code_in_other_repositories(tmp_path):
    config = {"model_type": "llama", "_name_or_path": "/mnt/ckpt/Qwen2.5-7B-Instruct",
              "vision_config": {"_name_or_path": "Qwen/Qwen2.5-VL-7B-Instruct"},
              "auto_map": {"AutoModelForCausalLM": "deepseek-ai/DeepSeek-V3--modeling_deepseek.DeepseekV3ForCausalLM",
                           "AutoConfig": "configuration_x.XConfig"}}
    repo = write_files(tmp_path, {"README.md": "# X\n", "config.json": json.dumps(config),
                                  "adapter_config.json": json.dumps({"base_model_name_or_path": "Qwen/Qwen3-8B"})})
    result = stage_only(repo)
    hints = result.provenance.config_hints
    assert "config.json:_name_or_path=/mnt/ckpt/Qwen2.5-7B-Instruct" in hints
    assert "config.json:vision_config._name_or_path=Qwen/Qwen2.5-VL-7B-Instruct" in hints
    assert "config.json:auto_map.AutoModelForCausalLM=deepseek-ai/DeepSeek-V3" in hints
    by_id = {u.catalog_id: u for u in result.provenance.upstreams if u.catalog_id}
    assert {"qwen2.5-7b-instruct", "qwen2.5-vl-7b-instruct", "deepseek-v3", "qwen3-8b"} <= set(by_id)
    assert by_id["qwen2.5-7b-instruct"].declared
    assert result.code.trust_remote_code
    assert any(p.code == "code.entry-point-missing" and "configuration_x.py" in p.message for p in result.problems)
    assert any(line.startswith("Qwen/Qwen3-8B (adapter_config.json:base_model_name_or_path): in the catalog (qwen3-8b)")
               for line in result.provenance.unverified)


def test_tokenizer_reuse_maps_to_the_catalog_family_and_is_disclosed_by_the_same_publisher(tmp_path):
    undeclared = write_files(tmp_path / "a", {"README.md": card("license: apache-2.0")})
    result = stage_only(undeclared, observed=observed_tokenizer("llama3_1", TokenizerRelation.IDENTICAL))
    upstream = next(u for u in result.provenance.upstreams if "tokenizer" in u.what)
    assert upstream.name == "llama-3.1 family (tokenizer llama3_1)" and upstream.catalog_id is None
    assert upstream.license_id == "llama-3.1" and upstream.organisation == "Meta"
    assert any(line.startswith("llama-3.1 family") and "tokenizer" in line for line in result.provenance.undisclosed)
    assert any(o.kind == "display_attribution" and o.satisfied is False for o in result.obligations)

    declared = write_files(tmp_path / "b", {"README.md": card("base_model: meta-llama/Llama-3.2-3B")})
    result = stage_only(declared, observed=observed_tokenizer("llama3_1", TokenizerRelation.EXTENDED))
    assert result.provenance.undisclosed == ()


def test_overlapping_tokenizer_is_not_reuse(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("license: mit")})
    result = stage_only(repo, observed=observed_tokenizer("qwen3", TokenizerRelation.OVERLAPPING))
    assert result.provenance.upstreams == () and result.obligations == ()


def test_nothing_declared_nothing_detected_gives_empty_provenance(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("license: mit"), "LICENSE": "MIT"})
    result = stage_only(repo, observed=NOTHING_OBSERVED)
    assert result.provenance.upstreams == () and result.provenance.undisclosed == () and result.control == ()


def _relation_lines(result):
    return [line for line in result.provenance.unverified if line.startswith("base_model_relation")]


@pytest.mark.parametrize(
    ("relation", "weights", "expected"),
    [
        ("finetune", "copy", "value-identical to their original (text identical llama-like): nothing was fine-tuned"),
        ("finetune", "tuned", None),
        ("quantized", "int8", None),
        ("quantized", "tuned", "differ from their original more than quantisation does (text derived llama-like; text r=0.5"),
        ("quantized", "copy", "a lossless copy, not quantized"),
        ("adapter", "copy", "an adapter ships changes to its base, but the repository holds full model weights"),
        ("merge", "tuned", "a merge combines at least two models, but the weights match only llama-like"),
    ],
)
def test_declared_relation_is_held_against_the_weights(lab, relation, weights, expected):
    tensors = {"copy": lambda w: w, "tuned": lambda w: T.finetune(w, 0.5, seed=3), "int8": T.int8_roundtrip}[weights]
    repo = write_repo(lab.root / f"relation-{relation}-{weights}", tensors(lab.weights), lab.config,
                      card=card(f"license: llama3.1\nbase_model: {LLAMA_HUB_ID}\nbase_model_relation: {relation}"))
    result, _ = lab.scan(repo)
    lines = _relation_lines(result)
    if expected is None:
        assert lines == []
    else:
        assert len(lines) == 1 and lines[0].startswith(f"base_model_relation '{relation}' (card): ")
        assert expected in lines[0]


def test_an_unknown_relation_or_unread_weights_leave_the_relation_unverified(tmp_path):
    unknown = write_files(tmp_path / "a", {"README.md": card("base_model: Qwen/Qwen2.5-7B\nbase_model_relation: distilled")})
    assert _relation_lines(stage_only(unknown)) == [
        "base_model_relation 'distilled' (card): not one of adapter, finetune, merge, quantized, the relations the Hub "
        "knows, so the claim cannot be checked"]
    unread = write_files(tmp_path / "b", {"README.md": card("base_model: Qwen/Qwen2.5-7B\nbase_model_relation: merge")})
    assert _relation_lines(stage_only(unread)) == [
        "base_model_relation 'merge' (card): this repository's weights were not read, so the claim cannot be checked"]


def test_a_relation_declared_without_a_base_model_is_still_checked(tmp_path):
    alone = write_files(tmp_path, {"README.md": card("base_model_relation: distilled")})
    assert _relation_lines(stage_only(alone)) == [
        "base_model_relation 'distilled' (card): not one of adapter, finetune, merge, quantized, the relations the Hub "
        "knows, so the claim cannot be checked"]
