"""Obligations inherited from a Llama-licensed upstream: unmet without the notices, met with them."""

from __future__ import annotations

from scanner.compliance.obligations import requires_notice_file
from scanner.licenses import get_license
from scanner.report.model import TokenizerRelation
from scanner.synthetic import models as M
from scanner.synthetic import transforms as T
from scanner.synthetic.repo import write_repo

from compliance_lab import (
    LLAMA_HUB_ID,
    SPEC,
    card,
    license_text,
    observed_tokenizer,
    own_tokenizer,
    stage_only,
    write_files,
)


NOTICE_31 = get_license("llama-3.1").obligations.notice_text.value


def _rows(result, upstream="llama-like"):
    return {row.kind: row for row in result.obligations if row.upstream == upstream}


def test_copied_llama_weights_without_notice_leave_every_duty_unmet(lab):
    repo = write_repo(lab.root / "super-model", lab.weights, lab.config,
                      card=card("license: apache-2.0", "# SuperModel 8B\n\nOur own foundation model.\n"),
                      license_text=license_text("apache-2.0"), extra_files={"tokenizer.json": lab.tokenizer})
    result, facts = lab.scan(repo)

    assert facts.components[0].lineage[0].relation.value == "identical"
    upstream = next(u for u in result.provenance.upstreams if u.catalog_id == "llama-like")
    assert upstream.detected and not upstream.declared
    assert set(upstream.what) >= {"weights:text", "tokenizer", "architecture:text"}
    assert (upstream.license_id, upstream.organisation, upstream.country) == ("llama-3.1", "Meta", "US")
    assert any(line.startswith("llama-like") and "weights:text" in line for line in result.provenance.undisclosed)

    rows = _rows(result)
    assert rows["notice_text"].satisfied is False
    assert NOTICE_31[:40] in rows["notice_text"].requirement
    assert rows["notice_text"].evidence == "not found in README.md"
    assert rows["display_attribution"].satisfied is False
    assert "Built with Llama" in rows["display_attribution"].requirement
    assert rows["derived_name_prefix"].satisfied is False
    assert "'SuperModel 8B'" in rows["derived_name_prefix"].evidence
    assert rows["copy_of_agreement"].satisfied is False
    assert "LICENSE is apache-2.0" in rows["copy_of_agreement"].evidence
    assert all(row.clause for row in rows.values())

    terms = {(c.term, c.value) for c in result.control if c.upstream == "llama-like"}
    assert ("governing_law", "US-CA") in terms
    assert ("licence_required_above_mau", "700000000") in terms
    assert result.licenses.declared_expression == "Apache-2.0"
    assert lab.scan(repo)[0] == result  # the same input gives the same facts


def test_declared_and_attributed_llama_derivative_meets_its_duties(lab):
    tuned = T.finetune(lab.weights, 0.3, seed=5)
    body = ("# Llama-3.1-Ko-Instruct\n\nBuilt with Llama. A Korean fine-tune.\n")
    repo = write_repo(lab.root / "llama-ko", tuned, lab.config,
                      card=card(f"license: llama3.1\nbase_model: {LLAMA_HUB_ID}\nbase_model_relation: finetune", body),
                      license_text=license_text("llama-3.1"),
                      extra_files={"NOTICE": NOTICE_31.replace("Copyright ©", "Copyright\n©") + "\n",
                                   "tokenizer.json": lab.tokenizer})
    result, facts = lab.scan(repo)

    assert facts.components[0].lineage[0].relation.value in ("derived", "identical")
    upstream = next(u for u in result.provenance.upstreams if u.catalog_id == "llama-like")
    assert upstream.declared and upstream.detected
    assert result.provenance.undisclosed == ()
    assert result.provenance.unverified == ()
    rows = _rows(result)
    for kind in ("copy_of_agreement", "notice_text", "display_attribution", "derived_name_prefix"):
        assert rows[kind].satisfied is True, (kind, rows[kind].evidence)
    assert rows["notice_text"].evidence == "found in NOTICE"
    assert result.licenses.findings == ()


def test_own_weights_with_llama_claim_are_unverified_and_still_owe_attribution(lab):
    repo = write_repo(lab.root / "own-but-claims", M.text_model(SPEC, 77), lab.config,
                      card=card(f"license: llama3.1\nbase_model: {LLAMA_HUB_ID}", "# Llama-Own\n"),
                      license_text=license_text("llama-3.1"), extra_files={"tokenizer.json": own_tokenizer()})
    result, _ = lab.scan(repo)

    assert result.provenance.undisclosed == ()
    assert len(result.provenance.unverified) == 1
    assert "weights compared with llama-like: text independent" in result.provenance.unverified[0]
    upstream = next(u for u in result.provenance.upstreams if u.catalog_id == "llama-like")
    assert upstream.declared and not any(w.startswith("weights:") for w in upstream.what)
    assert _rows(result)["notice_text"].satisfied is False


def test_a_notice_only_in_the_readme_does_not_meet_a_notice_file_duty(tmp_path):
    readme = card("license: llama3.1", f"# Llama-Ko\n\nBuilt with Llama.\n\n{NOTICE_31}\n")
    files = {"README.md": readme, "LICENSE": license_text("llama-3.1")}
    observed = observed_tokenizer("llama3_1", TokenizerRelation.IDENTICAL)
    readme_only = _rows(stage_only(write_files(tmp_path / "a", files), observed=observed), "llama-3.1 family (tokenizer llama3_1)")
    assert readme_only["notice_text"].satisfied is False
    assert readme_only["notice_text"].evidence == (
        'found only in README.md, but §1.b.iii requires a "Notice" text file and the repository has no NOTICE file')
    wrong_notice = write_files(tmp_path / "b", {**files, "NOTICE": "Copyright 2026 Example Labs.\n"})
    row = _rows(stage_only(wrong_notice, observed=observed), "llama-3.1 family (tokenizer llama3_1)")["notice_text"]
    assert row.satisfied is False and row.evidence.endswith("and none of NOTICE holds it")
    in_notice = write_files(tmp_path / "c", {**files, "NOTICE": NOTICE_31 + "\n"})
    assert _rows(stage_only(in_notice, observed=observed), "llama-3.1 family (tokenizer llama3_1)")["notice_text"].satisfied


def test_which_licences_ask_for_a_notice_file_is_read_from_their_text():
    assert all(requires_notice_file(i) for i in ("llama-2", "llama-3.1", "qwen", "gemma", "nvidia-open-model"))
    assert not any(requires_notice_file(i) for i in ("mit", "deepseek-1.0", "gpl-3.0"))
