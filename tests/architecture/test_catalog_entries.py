"""Every catalog entry is well-formed, uniquely named, and splits into signatures."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import jsonschema
import pytest
import yaml

from scanner.architecture import signature_of, split_config
from scanner.architecture.matching import signatures
from scanner.catalog.store import bundled_catalog_dir, entry_key_order, read_entry
from scanner.bundled import data_path
from scanner.errors import DataFileError

DEFAULT_ENTRIES_DIR = bundled_catalog_dir() / "entries"
SCHEMA_PATH = DEFAULT_ENTRIES_DIR.parent / "entry.schema.json"
ENTRY_PATHS = sorted(DEFAULT_ENTRIES_DIR.glob("*.yaml"))
TOP_LEVEL_ORDER = entry_key_order()
REAL_ENTRY_PATHS = [p for p in ENTRY_PATHS if not yaml.safe_load(p.read_text()).get("synthetic")]
MISSING = DEFAULT_ENTRIES_DIR.parent / "MISSING.md"
# Entry field -> the ``fact`` its source is recorded under.
SOURCED_FIELDS = {"release_date": "release_date", "license": "license", "declared_base_models": "base_model"}
# Families a scanned model is most often built from; each must be in the catalog with these components.
REQUIRED_FAMILIES = {
    "llama-3": {"text"}, "llama-3.1": {"text"}, "qwen2.5-vl": {"text", "vision"}, "deepseek-r1-distill": {"text"},
    "glm-4": {"text"}, "whisper": {"text", "audio"}, "mixtral": {"text"}, "phi-4": {"text"},
    "glm-4.5": {"text"}, "internvl3": {"text", "vision"}, "siglip": {"text", "vision"}, "clip": {"text", "vision"},
}
# Vision towers other models reuse, with the family and published shape (width, depth, heads, MLP, patch), so a
# transcription slip in an entry cannot pass: SoViT-400m/14, OpenAI's ViT-L/14, InternViT-300M-448px.
VISION_TOWERS = {
    "siglip-so400m-patch14-384": ("siglip_vision", 1152, 27, 16, 4304, 14),
    "clip-vit-large-patch14": ("clip_vision", 1024, 24, 16, 4096, 14),
    "internvl3-1b": ("intern_vit_6b", 1024, 24, 16, 4096, 14),
}
# Licences as their publishers state them (see each entry's license source).
PUBLISHED_LICENSES = {
    "mistral-7b-instruct-v0.3": "Apache-2.0", "mixtral-8x7b-v0.1": "Apache-2.0", "mixtral-8x22b-v0.1": "Apache-2.0",
    "phi-3.5-mini-instruct": "MIT", "phi-4": "MIT", "phi-4-mini-instruct": "MIT", "qwen2-0.5b": "Apache-2.0",
    "qwen2-0.5b-instruct": "Apache-2.0", "qwen2-1.5b-instruct": "Apache-2.0", "qwen2-7b-instruct": "Apache-2.0",
    "all-minilm-l6-v2": "Apache-2.0", "llama-3-8b-instruct": "LicenseRef-fromscratch-llama-3",
    "deepseek-r1-distill-qwen-1.5b": "MIT", "glm-4-9b-chat": "LicenseRef-fromscratch-glm-4", "glm-4.5-air": "MIT",
}


def load_entry(path: Path) -> dict:
    """An entry as the catalog loads it (schema and file name checked), as a mapping."""
    return asdict(read_entry(path, path.parent.parent, "bundled"))


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_catalog_has_the_breadth_it_promises() -> None:
    assert len(ENTRY_PATHS) >= 50


@pytest.mark.parametrize("path", ENTRY_PATHS, ids=lambda p: p.stem)
def test_entry_validates_against_the_schema(path: Path) -> None:
    entry = yaml.safe_load(path.read_text())
    errors = sorted(_validator().iter_errors(entry), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


@pytest.mark.parametrize("path", ENTRY_PATHS, ids=lambda p: p.stem)
def test_entry_keys_keep_the_documented_order(path: Path) -> None:
    keys = list(yaml.safe_load(path.read_text()))
    assert keys == [k for k in TOP_LEVEL_ORDER if k in keys]


@pytest.mark.parametrize("path", REAL_ENTRY_PATHS, ids=lambda p: p.stem)
def test_every_stated_fact_names_its_source(path: Path) -> None:
    entry = yaml.safe_load(path.read_text())
    facts = {source["fact"] for source in entry["sources"]}
    unsourced = [field for field, fact in SOURCED_FIELDS.items() if field in entry and fact not in facts]
    assert not unsourced, f"{path.name}: no source for {unsourced}"


@pytest.mark.parametrize("path", REAL_ENTRY_PATHS, ids=lambda p: p.stem)
def test_licences_are_known_to_the_licence_catalog(path: Path) -> None:
    known = set()
    for licence in data_path("licenses", "catalog").glob("*.yaml"):
        record = yaml.safe_load(licence.read_text())
        known |= {record.get("spdx"), record.get("licenseref")}
    expression = yaml.safe_load(path.read_text()).get("license", "")
    ids = set(re.findall(r"[A-Za-z0-9.+-]+", expression)) - {"AND", "OR", "WITH"}
    assert ids <= known, f"{path.name}: {sorted(ids - known)} not in scanner/data/licenses/catalog"


def test_the_catalog_covers_the_families_models_are_built_from() -> None:
    components: dict[str, set[str]] = {}
    for path in ENTRY_PATHS:
        entry = load_entry(path)
        components.setdefault(entry["family"], set()).update(split_config(entry["config"]))
    lacking = {family: sorted(want - components.get(family, set())) for family, want in REQUIRED_FAMILIES.items()}
    assert not {family: parts for family, parts in lacking.items() if parts}


@pytest.mark.parametrize(("entry_id", "licence"), sorted(PUBLISHED_LICENSES.items()))
def test_entries_carry_the_licence_their_publisher_states(entry_id: str, licence: str) -> None:
    assert load_entry(DEFAULT_ENTRIES_DIR / f"{entry_id}.yaml").get("license") == licence


@pytest.mark.parametrize(("entry_id", "shape"), sorted(VISION_TOWERS.items()))
def test_reused_vision_towers_have_their_published_shape(entry_id: str, shape: tuple) -> None:
    vision = split_config(load_entry(DEFAULT_ENTRIES_DIR / f"{entry_id}.yaml")["config"])["vision"]
    signature = signature_of("vision", vision)
    keys = ("hidden_size", "num_layers", "num_attention_heads", "intermediate_size", "patch_size")
    assert (signature.family, *(signature.get(key) for key in keys)) == shape


def test_models_listed_as_missing_have_no_entry() -> None:
    listed = set(re.findall(r"`([A-Za-z0-9][\w.-]*/[\w.-]+)`", MISSING.read_text()))
    assert listed
    assert not listed & {load_entry(path)["hf_repo"] for path in ENTRY_PATHS}


def test_ids_are_unique_and_match_file_names() -> None:
    ids = [load_entry(path)["id"] for path in ENTRY_PATHS]
    assert ids == [path.stem for path in ENTRY_PATHS]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("path", ENTRY_PATHS, ids=lambda p: p.stem)
def test_every_config_splits_into_at_least_one_signed_component(path: Path) -> None:
    parts = split_config(load_entry(path)["config"])
    assert parts
    for component, sub_config in parts.items():
        signature = signature_of(component, sub_config)
        assert signature.family != "unknown"
        assert signature.get("hidden_size") is not None, component


def test_every_entry_yields_its_signatures_in_a_stable_order() -> None:
    first = [(path.stem, list(signatures(load_entry(path)["config"]))) for path in ENTRY_PATHS]
    assert first == [(path.stem, list(signatures(load_entry(path)["config"]))) for path in ENTRY_PATHS]
    assert all(components for _, components in first)


def test_the_schema_rejects_a_guessed_null() -> None:
    entry = yaml.safe_load(ENTRY_PATHS[0].read_text())
    entry["release_date"] = None
    assert list(_validator().iter_errors(entry))


def _entry_text(**changes: object) -> str:
    entry = yaml.safe_load((DEFAULT_ENTRIES_DIR / "qwen2.5-7b.yaml").read_text())
    return yaml.safe_dump({**entry, **changes}, sort_keys=False)


def test_the_loader_refuses_an_unknown_format_version(tmp_path: Path) -> None:
    path = tmp_path / "entries" / "qwen2.5-7b.yaml"
    path.parent.mkdir()
    path.write_text(_entry_text(format_version=2))
    with pytest.raises(DataFileError, match=r"qwen2.5-7b.yaml:1:\d+: 1 was expected"):
        load_entry(path)


def test_the_loader_refuses_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "entries" / "qwen2.5-7b.yaml"
    path.parent.mkdir()
    path.write_text(_entry_text() + "id: qwen2.5-7b\n")
    with pytest.raises(DataFileError, match="duplicate key"):
        load_entry(path)
