"""Card-versus-file consistency findings, and the report form of an identification."""

from __future__ import annotations

from scanner.licenses import consistency, identify_card_license, identify_text
from scanner.licenses.catalog import get_license, reference_text
from scanner.licenses.report import as_detection
from scanner.report.model import Severity


def file_identification(license_id: str, source: str = "LICENSE", extra: str = ""):
    return identify_text(reference_text(get_license(license_id).text) + extra, source=source)


def test_card_apache_over_a_qwen_research_licence_is_a_mismatch() -> None:
    card = identify_card_license("apache-2.0")
    findings = consistency(card, [file_identification("qwen-research")])
    assert [(f.code, f.severity) for f in findings] == [("license.card-file-mismatch", Severity.ERROR)]
    finding = findings[0]
    assert finding.message == "the model card declares apache-2.0, but LICENSE is qwen-research"
    assert finding.sources == ("card:license", "LICENSE")
    assert finding.license_ids == ("apache-2.0", "qwen-research")


def test_agreeing_card_and_file_give_no_finding() -> None:
    assert consistency(identify_card_license("other", "qwen"), [file_identification("qwen")]) == []
    assert consistency(identify_card_license("llama3.1"), [file_identification("llama-3.1")]) == []


def test_an_ambiguous_card_name_is_settled_by_the_file() -> None:
    card = identify_card_license("other", "exaone")
    assert consistency(card, [file_identification("exaone-1.2-nc")]) == []
    mismatch = consistency(card, [file_identification("mit")])
    assert [f.code for f in mismatch] == ["license.card-file-mismatch"]
    assert "exaone-1.1-nc or exaone-1.2-nc" in mismatch[0].message


def test_a_modified_licence_file_is_a_finding_even_when_the_card_agrees() -> None:
    modified = file_identification("qwen", extra="\nYou may not use the Materials to train any other model.\n")
    findings = consistency(identify_card_license("other", "qwen"), [modified])
    assert [f.code for f in findings] == ["license.file-modified"]
    assert "train any other model" in findings[0].message


def test_an_unidentified_file_and_a_silent_card() -> None:
    unknown = identify_text("All rights reserved. Ask us before using these weights.", source="LICENSE")
    findings = consistency(identify_card_license(None), [unknown])
    assert [f.code for f in findings] == ["license.file-unidentified"]
    silent = consistency(identify_card_license(None), [file_identification("mit")])
    assert [(f.code, f.severity) for f in silent] == [("license.card-missing", Severity.WARNING)]


def test_a_card_without_any_licence_text() -> None:
    findings = consistency(identify_card_license("llama3.2"), [])
    assert [f.code for f in findings] == ["license.text-missing"]


def test_code_and_model_licences_side_by_side_are_noted_not_flagged() -> None:
    card = identify_card_license("other", "deepseek")
    files = [file_identification("mit", "LICENSE-CODE"), file_identification("deepseek-1.0", "LICENSE-MODEL")]
    findings = consistency(card, files)
    assert [(f.code, f.severity) for f in findings] == [("license.files-differ", Severity.INFO)]
    assert findings[0].license_ids == ("deepseek-1.0", "mit")


def test_report_detection_form() -> None:
    detection = as_detection(file_identification("qwen", extra="\nNo commercial use.\n"))
    assert detection.license_id == "qwen" and detection.expression is None and detection.modified
    assert detection.method == "similarity"
    assert detection.alternatives[0].startswith("tongyi-qianwen (")
    assert "added: 'No commercial use'" in detection.note


def test_without_a_card_only_the_files_are_judged() -> None:
    modified = file_identification("mit", extra="\nNot for military use.\n")
    assert [f.code for f in consistency(None, [modified, file_identification("apache-2.0")])] == ["license.file-modified"]
