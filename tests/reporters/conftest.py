import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reporter_samples import large_report, sparse_report, vlm_report


@pytest.fixture(scope="session")
def vlm():
    return vlm_report()


@pytest.fixture(scope="session")
def sparse():
    return sparse_report()


@pytest.fixture(scope="session")
def large():
    return large_report()
