"""Catalog copies to tamper with, and the fake Hub of ``tests/hub`` for ``catalog add hf://``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from scanner.catalog.store import bundled_catalog_dir, write_manifest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub"))

from fake_hub import FakeHub, FakeRepo  # noqa: E402
from hub_repo import COMMIT, tiny_repo_files  # noqa: E402


@pytest.fixture
def catalog_copy(tmp_path) -> Path:
    """The bundled catalog, its checksums re-recorded: each test starts from a sound catalog and breaks it."""
    folder = tmp_path / "catalog"
    shutil.copytree(bundled_catalog_dir(), folder)
    write_manifest(folder)
    return folder


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """``acme/tiny`` served by a loopback Hub, with HF_HOME in a temporary folder."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "repo-files").mkdir()
    files = tiny_repo_files(tmp_path / "repo-files")
    with FakeHub({"acme/tiny": FakeRepo(files=files, sha=COMMIT)}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        yield hub
