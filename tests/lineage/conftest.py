import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lineage_lab import Lab  # noqa: E402


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    return Lab(tmp_path_factory.mktemp("lineage-lab"))
