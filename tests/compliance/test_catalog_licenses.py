"""Licence facts of the bundled catalog entries: valid, sourced, and consistent with the card fields."""

from __future__ import annotations

from scanner.catalog.store import load_catalogs
from scanner.compliance.upstreams import entry_license
from scanner.licenses import get_license, identify_card_license
from scanner.licenses.expressions import catalog_ids


def test_every_entry_licence_is_a_catalog_licence_with_a_source():
    entries = load_catalogs(()).entries
    with_license = [e for e in entries.values() if e.license]
    assert len(with_license) >= 30
    for entry in with_license:
        known, unknown = catalog_ids(entry.license)
        assert known and not unknown, entry.id
        assert any(s["fact"] == "license" for s in entry.sources) or entry.synthetic, entry.id
        if entry.license_card:
            card = identify_card_license(entry.license_card.get("license"), entry.license_card.get("license_name"),
                                         entry.license_card.get("license_link"))
            assert card.license_id in known, entry.id


def test_licences_that_decide_verdicts():
    entries = load_catalogs(()).entries
    expected = {
        "qwen2.5-3b": "qwen-research", "qwen2.5-7b": "apache-2.0", "qwen3-8b": "apache-2.0", "deepseek-r1": "mit",
        "deepseek-v3": "deepseek-1.0", "llama-3.1-8b": "llama-3.1", "llama-3.2-90b-vision-instruct": "llama-3.2",
        "llama-4-scout-17b-16e-instruct": "llama-4", "codellama-7b": "llama-2", "exaone-4.0-32b": "exaone-1.2-nc",
        "gemma-2-9b": "gemma", "gpt-oss-20b": "apache-2.0",
    }
    for entry_id, license_id in expected.items():
        assert entry_license(entries[entry_id])[1] == (license_id,), entry_id
    assert get_license("qwen-research").obligations.non_commercial.value is True
