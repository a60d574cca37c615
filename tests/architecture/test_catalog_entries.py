"""Every catalog entry is well-formed, uniquely named, and splits into signatures."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scanner.catalog.store import entry_key_order

from scanner.architecture import iter_catalog_signatures, load_entry, signature_of, split_config
from scanner.architecture.catalog import DEFAULT_ENTRIES_DIR, iter_entry_paths
from scanner.errors import DataFileError

SCHEMA_PATH = DEFAULT_ENTRIES_DIR.parent / "entry.schema.json"
ENTRY_PATHS = list(iter_entry_paths())
TOP_LEVEL_ORDER = entry_key_order()


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


def test_the_loader_yields_every_entry_in_a_stable_order() -> None:
    first = [(s.entry_id, s.component) for s in iter_catalog_signatures()]
    assert first == [(s.entry_id, s.component) for s in iter_catalog_signatures()]
    assert {entry_id for entry_id, _ in first} == {path.stem for path in ENTRY_PATHS}


def test_the_schema_rejects_a_guessed_null() -> None:
    entry = yaml.safe_load(ENTRY_PATHS[0].read_text())
    entry["release_date"] = None
    assert list(_validator().iter_errors(entry))


def test_the_loader_refuses_an_unknown_format_version(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("format_version: 2\nid: x\nconfig: {model_type: llama}\n")
    with pytest.raises(DataFileError, match="format_version"):
        load_entry(path)


def test_the_loader_refuses_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("format_version: 1\nid: x\nid: y\nconfig: {model_type: llama}\n")
    with pytest.raises(DataFileError, match="duplicate key"):
        load_entry(path)


def test_the_loader_reads_a_directory_given_to_it(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(
        "format_version: 1\nid: tiny\nconfig: {model_type: llama, hidden_size: 8, num_hidden_layers: 2}\n"
    )
    [only] = list(iter_catalog_signatures(tmp_path))
    assert (only.entry_id, only.component, only.signature.get("num_layers")) == ("tiny", "text", 2)
