"""The shared lab: a user catalog holding a Llama-3.1-licensed synthetic model."""

from __future__ import annotations

import pytest

from compliance_lab import Lab, build_lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    return build_lab(tmp_path_factory.mktemp("compliance-lab"))
