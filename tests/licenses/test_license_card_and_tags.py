"""Model-card licence fields and SPDX-License-Identifier tags."""

from __future__ import annotations

import pytest

from scanner.licenses import Method, identify_card_license, identify_spdx_tags


@pytest.mark.parametrize(
    ("license", "name", "link", "expected_id", "expected_expression"),
    [
        ("apache-2.0", None, None, "apache-2.0", "Apache-2.0"),
        ("Apache-2.0", None, None, "apache-2.0", "Apache-2.0"),
        ("llama3.1", None, None, "llama-3.1", "LicenseRef-scancode-llama-3.1-license-2024"),
        ("gemma", None, None, "gemma", "LicenseRef-scancode-gemma-tou-2024-04-01"),
        ("other", "qwen", "LICENSE", "qwen", "LicenseRef-fromscratch-qwen"),
        ("other", "qwen-research", None, "qwen-research", "LicenseRef-fromscratch-qwen-research"),
        ("other", "tongyi-qianwen", None, "tongyi-qianwen", "LicenseRef-scancode-tongyi-qianwen-2023"),
        ("other", "deepseek", None, "deepseek-1.0", "LicenseRef-scancode-deepseek-la-1.0"),
        ("other", "glm-4", None, "glm-4", "LicenseRef-fromscratch-glm-4"),
        ("other", "nvidia-open-model-license", None, "nvidia-open-model", "LicenseRef-scancode-nvidia-open-model-2025-04-28"),
        ("other", None, "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/LICENSE", "qwen-research", "LicenseRef-fromscratch-qwen-research"),
        ("other", None, "https://www.llama.com/llama3_2/license/", "llama-3.2", "LicenseRef-scancode-llama-3.2-license-2024"),
        ("other", None, "http://ai.google.dev/gemma/terms", "gemma", "LicenseRef-scancode-gemma-tou-2024-04-01"),
        ("creativeml-openrail-m", None, None, "creativeml-openrail-m", "LicenseRef-fromscratch-creativeml-openrail-m"),
    ],
)
def test_card_fields_name_catalog_licences(license, name, link, expected_id, expected_expression) -> None:
    result = identify_card_license(license, name, link)
    assert (result.license_id, result.expression, result.method) == (expected_id, expected_expression, Method.CARD_FIELD)
    assert 0.5 < result.confidence < 1.0


def test_a_name_shared_by_two_agreements_is_left_to_the_licence_text() -> None:
    result = identify_card_license("other", "exaone")
    assert result.license_id is None and result.method is Method.CARD_FIELD
    assert [alt.license_id for alt in result.alternatives] == ["exaone-1.1-nc", "exaone-1.2-nc"]


def test_a_valid_spdx_id_outside_the_catalog_keeps_its_expression() -> None:
    result = identify_card_license("cc-by-nc-sa-4.0")
    assert result.license_id is None and result.expression == "CC-BY-NC-SA-4.0"


@pytest.mark.parametrize(
    ("license", "name", "link", "note"),
    [
        (None, None, None, "the card declares no licence"),
        ("other", "my-own-licence", "LICENSE.md", "points at a licence file"),
        ("openrail", None, None, "names a family of licences"),
        ("not a licence", None, None, "neither a catalog licence nor a valid SPDX expression"),
        ("other", None, "https://example.com/terms", "matches no known licence address"),
    ],
)
def test_undeclared_or_unknown_card_licences_are_explained(license, name, link, note) -> None:
    result = identify_card_license(license, name, link)
    assert result.license_id is None and result.expression is None and result.method is Method.NONE
    assert any(note in n for n in result.notes), result.notes


def test_a_conflicting_license_name_is_noted_and_the_license_field_wins() -> None:
    result = identify_card_license("apache-2.0", "qwen")
    assert result.license_id == "apache-2.0"
    assert any("'qwen' names a different licence" in n for n in result.notes)


def test_a_list_of_card_licences_uses_the_first_and_says_so() -> None:
    result = identify_card_license(["mit", "apache-2.0"])
    assert result.license_id == "mit"
    assert any("several licences" in n for n in result.notes)


def test_spdx_tags_in_source_code() -> None:
    source = """# coding=utf-8
# SPDX-License-Identifier: Apache-2.0
/* SPDX-License-Identifier: MIT OR GPL-2.0-or-later */
# SPDX-License-Identifier: LicenseRef-fromscratch-qwen
# SPDX-License-Identifier: BSD-3-Clause-Clear
# SPDX-License-Identifier: Not A Licence(
# SPDX-License-Identifier: GPL-2.0+
"""
    tags = identify_spdx_tags(source, source="modeling_x.py")
    assert [(t.source, t.license_id, t.expression) for t in tags] == [
        ("modeling_x.py:2", "apache-2.0", "Apache-2.0"),
        ("modeling_x.py:3", None, "MIT OR GPL-2.0-or-later"),
        ("modeling_x.py:4", "qwen", "LicenseRef-fromscratch-qwen"),
        ("modeling_x.py:5", None, "BSD-3-Clause-Clear"),
        ("modeling_x.py:6", None, None),
        ("modeling_x.py:7", "gpl-2.0", "GPL-2.0-or-later"),
    ]
    assert all(t.method is Method.SPDX_TAG for t in tags)
    assert "not a valid licence expression" in tags[4].notes[0]
    assert "not in the licence catalog" in tags[3].notes[0]
    assert identify_spdx_tags("import torch\n") == []
