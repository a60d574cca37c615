"""Identifying licence texts: real texts, harmless reformatting, and changed terms that must not pass as pristine."""

from __future__ import annotations

import re
import textwrap
import time

import pytest

from scanner.licenses import Method, all_licenses, get_license, identify_text
from scanner.licenses.catalog import reference_text

REFERENCES = [(info.id, path) for info in all_licenses() for path in (info.text, *info.variants)]
MODEL_LICENCES = [
    "llama-2", "llama-3", "llama-3.1", "llama-3.2", "llama-3.3", "llama-4", "gemma", "tongyi-qianwen",
    "tongyi-qianwen-research", "qwen", "qwen-research", "deepseek-1.0", "glm-4", "exaone-1.1-nc",
    "exaone-1.2-nc", "nvidia-open-model", "falcon-2-11b", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
]


def text_of(license_id: str) -> str:
    return reference_text(get_license(license_id).text)


def rewrap(text: str) -> str:
    """Join each paragraph into one line, then wrap at 60 columns (what editors and converters do)."""
    paragraphs = re.split(r"\n\s*\n", text)
    wrap = textwrap.TextWrapper(width=60, break_long_words=False, break_on_hyphens=False)
    return "\n\n".join(wrap.fill(" ".join(p.split())) for p in paragraphs if p.strip())


def markdownify(text: str) -> str:
    """Headings for numbered section lines, curly quotes, bullets, extra blank lines."""
    lines = []
    for line in text.splitlines():
        if re.match(r"^\s*\d+\.\s+\S", line) and len(line) < 80:
            line = "## " + line.strip()
        lines.append(line.replace('"', "“").replace("'", "’"))
    return "\n\n\n".join(lines)


def assert_pristine(result, license_id: str) -> None:
    assert result.license_id == license_id, result
    assert not result.modified, result.changes
    assert result.expression == get_license(license_id).expression
    assert result.confidence >= 0.95


@pytest.mark.parametrize(("license_id", "path"), REFERENCES, ids=[p for _, p in REFERENCES])
def test_every_reference_text_is_identified_exactly(license_id: str, path: str) -> None:
    result = identify_text(reference_text(path), source=path)
    assert result.method is Method.EXACT
    assert_pristine(result, license_id)


@pytest.mark.parametrize("license_id", MODEL_LICENCES)
def test_lightly_reformatted_copies_are_still_the_licence(license_id: str) -> None:
    original = text_of(license_id)
    variants = {
        "rewrapped": rewrap(original),
        "markdown": markdownify(original),
        "new copyright line": "Copyright (c) 2025 Example Labs. All rights reserved.\n\n" + original,
        "crlf and trailing spaces": original.replace("\n", "  \r\n"),
        "https": original.replace("http://", "https://"),
    }
    for name, variant in variants.items():
        result = identify_text(variant, source=name)
        assert_pristine(result, license_id)


@pytest.mark.parametrize("license_id", MODEL_LICENCES)
def test_appended_terms_are_not_the_pristine_licence(license_id: str) -> None:
    extra = "Additional Terms. You may not use the Model or its outputs for any commercial purpose whatsoever."
    result = identify_text(text_of(license_id) + "\n\n" + extra + "\n", source="LICENSE")
    assert result.license_id == license_id
    assert result.modified
    assert result.expression is None
    assert result.confidence <= 0.5
    assert result.label == f"{license_id} with modifications"
    assert any("any commercial purpose whatsoever" in change.excerpt for change in result.changes)


def test_a_changed_number_is_a_modification() -> None:
    text = text_of("qwen").replace("100 million monthly active users", "10 million monthly active users")
    result = identify_text(text, source="LICENSE")
    assert result.modified
    assert [(c.kind, c.excerpt, c.reference_excerpt) for c in result.changes] == [("changed", "10", "100")]


def test_a_removed_clause_is_a_modification() -> None:
    clause = "If you use the Materials or any outputs or results therefrom to create, train, fine-tune, or improve an AI model"
    text = text_of("qwen").replace(clause, "")
    result = identify_text(text, source="LICENSE")
    assert result.modified and result.license_id == "qwen"
    assert result.changes[0].kind == "removed"
    assert result.changes[0].reference_excerpt.startswith("If you use the Materials")


def test_prepended_restriction_is_a_modification_but_a_title_is_not() -> None:
    restricted = identify_text("NON-COMMERCIAL USE ONLY\n\n" + text_of("qwen"), source="LICENSE")
    assert restricted.modified
    titled = identify_text("Qwen2.5-VL License\n\n" + text_of("qwen"), source="LICENSE")
    assert_pristine(titled, "qwen")
    assert titled.method is Method.SIMILARITY


@pytest.mark.parametrize(
    ("license_id", "sibling"),
    [("qwen", "qwen-research"), ("qwen-research", "qwen"), ("tongyi-qianwen", "tongyi-qianwen-research"),
     ("llama-3.2", "llama-3.3"), ("llama-3.3", "llama-3.2"), ("exaone-1.1-nc", "exaone-1.2-nc"),
     ("llama-3.1", "llama-4")],
)
def test_near_identical_licences_are_told_apart(license_id: str, sibling: str) -> None:
    result = identify_text("LICENSE\n\n" + rewrap(text_of(license_id)), source="LICENSE")
    assert_pristine(result, license_id)
    assert result.method is Method.SIMILARITY
    assert sibling in [alt.license_id for alt in result.alternatives]


def test_meta_llama3_file_with_its_use_policy_appended_is_pristine() -> None:
    full = text_of("llama-3") + "\n\n\n" + reference_text("texts/llama-3.use-policy-inline.txt")
    result = identify_text(full, source="LICENSE")
    assert_pristine(result, "llama-3")
    assert any("use-policy" in note for note in result.notes)


def test_two_complete_licences_in_one_file_give_a_conjunction() -> None:
    combined = "MIT License\n\n" + text_of("mit") + "\n\n" + text_of("deepseek-1.0")
    result = identify_text(combined, source="LICENSE")
    assert result.license_id == "deepseek-1.0"
    assert result.also_contains == ("mit",)
    assert result.expression == "LicenseRef-scancode-deepseek-la-1.0 AND MIT"
    assert not result.modified


def test_optional_preamble_and_appendix_may_be_left_out() -> None:
    apache = text_of("apache-2.0")
    assert_pristine(identify_text(apache[: apache.index("APPENDIX")], source="LICENSE"), "apache-2.0")
    cc = text_of("cc-by-nc-4.0")
    body = cc[cc.index("Creative Commons Attribution-NonCommercial 4.0 International Public") :]
    assert_pristine(identify_text(body, source="LICENSE"), "cc-by-nc-4.0")


def test_unrelated_and_empty_texts_are_not_identified() -> None:
    prose = "This repository contains weights trained by our team on our own data. " * 20
    result = identify_text(prose, source="README")
    assert result.license_id is None and result.method is Method.NONE and result.confidence == 0.0
    empty = identify_text("  \n\n", source="LICENSE")
    assert empty.license_id is None and empty.notes == ("no words to compare",)


def test_a_partial_text_is_not_claimed_but_the_closest_licence_is_named() -> None:
    qwen = text_of("qwen")
    result = identify_text(qwen[: len(qwen) // 3], source="LICENSE")
    assert result.license_id is None
    assert result.alternatives[0].license_id == "qwen"


def test_identification_takes_milliseconds() -> None:
    identify_text(text_of("mit"), source="warm-up")
    text = rewrap(text_of("gemma")) + "\nYou may not use Gemma on Tuesdays.\n"
    start = time.perf_counter()
    for _ in range(10):
        identify_text(text, source="LICENSE")
    assert (time.perf_counter() - start) / 10 < 0.1


def test_a_short_line_appended_after_the_text_is_a_modification() -> None:
    result = identify_text(text_of("llama-3.1") + "\nOnly for research.\n", source="LICENSE")
    assert result.modified
    assert result.changes[0].excerpt == "Only for research"


def test_a_filled_in_apache_appendix_is_still_apache() -> None:
    apache = text_of("apache-2.0").replace(
        "Copyright [yyyy] [name of copyright owner]", "Copyright 2024 The Example Team, Example Org. All rights reserved."
    )
    result = identify_text("                                 Apache License\n" + apache, source="LICENSE")
    assert_pristine(result, "apache-2.0")


EXTRA_TERMS = "Commercial use of the model weights is prohibited without a separate written licence from Example Corp."


def assert_modified_with(result, license_id: str, words: str) -> None:
    assert result.license_id == license_id, result
    assert result.modified and result.expression is None, result
    assert any(words in change.excerpt for change in result.changes), result.changes


@pytest.mark.parametrize(
    "appended",
    [
        "Copyright (c) 2024 Example Corp. " + EXTRA_TERMS,
        "Copyright (c) 2024 Example Corp.\n" + EXTRA_TERMS,
        "Copyright 2024 Example Corp. All rights reserved. Evaluation use by Example Corp staff.",
    ],
    ids=["same line", "wrapped onto the next line", "after all rights reserved"],
)
def test_terms_hidden_in_a_copyright_statement_are_a_modification(appended: str) -> None:
    result = identify_text(text_of("apache-2.0") + "\n\n" + appended + "\n", source="LICENSE")
    assert_modified_with(result, "apache-2.0", "Example Corp")


def test_a_plain_copyright_statement_is_still_harmless() -> None:
    text = text_of("apache-2.0") + "\n\nCopyright (c) 2024 Example Corp.\nAll rights reserved.\n"
    assert_pristine(identify_text(text, source="LICENSE"), "apache-2.0")


@pytest.mark.parametrize(
    ("license_id", "heading"),
    [("apache-2.0", "FOR ACADEMIC RESEARCH PURPOSES"), ("qwen", "Evaluation use by Example Corp employees")],
)
def test_a_leading_heading_that_does_not_name_the_licence_is_a_modification(license_id: str, heading: str) -> None:
    result = identify_text(heading + "\n\n" + text_of(license_id), source="LICENSE")
    assert_modified_with(result, license_id, heading)


@pytest.mark.parametrize("heading", ["Llama-3.1-8B-Instruct", "LICENSE AGREEMENT", "Terms and conditions"])
def test_a_leading_heading_that_names_the_licence_is_harmless(heading: str) -> None:
    result = identify_text(heading + "\n\n" + text_of("llama-3.1"), source="LICENSE")
    assert_pristine(result, "llama-3.1")


def test_terms_written_into_an_optional_passage_are_a_modification() -> None:
    apache = text_of("apache-2.0")
    replaced = apache[: apache.index("APPENDIX")] + "APPENDIX: Additional Terms\n\n" + EXTRA_TERMS + "\n"
    assert_modified_with(identify_text(replaced, source="LICENSE"), "apache-2.0", "Commercial use of the model")
    inserted = apache.replace("To apply the Apache License to your work", EXTRA_TERMS + " To apply the Apache License to your work")
    assert_modified_with(identify_text(inserted, source="LICENSE"), "apache-2.0", "Commercial use of the model")
    gpl = text_of("gpl-3.0")
    how_to = gpl[: gpl.index("How to Apply These Terms")] + "How to Apply These Terms to Your New Programs\n\n" + EXTRA_TERMS
    assert_modified_with(identify_text(how_to, source="COPYING"), "gpl-3.0", "model weights")


def test_terms_written_into_an_appended_use_policy_are_a_modification() -> None:
    licence, policy = text_of("llama-3.1"), reference_text("texts/llama-3.1.use-policy.txt")
    item = "Fail to appropriately disclose"
    restriction = "Use Llama 3.1 for any purpose without a written licence from Example Corp."
    inside = identify_text(licence + "\n\n" + policy.replace(item, restriction + "\n* " + item), source="LICENSE")
    assert_modified_with(inside, "llama-3.1", "without a written licence from Example Corp")
    after = identify_text(licence + "\n\n" + policy + "\n\n" + restriction + "\n", source="LICENSE")
    assert_modified_with(after, "llama-3.1", "without a written licence from Example Corp")
    shortened = identify_text(licence + "\n\n" + policy.replace("* " + item, "* "), source="LICENSE")
    assert_pristine(shortened, "llama-3.1")
    assert any("use-policy" in note for note in shortened.notes)
