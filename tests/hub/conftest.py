"""A local fake Hub (loopback, stops by itself) serving small repositories; the real client talks to it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_hub import FakeHub, FakeRepo
from hub_repo import COMMIT, OLD_COMMIT, tiny_repo_files


@pytest.fixture(scope="session")
def repo_files(tmp_path_factory) -> dict[str, bytes]:
    return tiny_repo_files(tmp_path_factory.mktemp("hub-repo"))


@pytest.fixture
def hub_env(monkeypatch, tmp_path):
    """HF_HOME in a temporary folder; HF_ENDPOINT set by ``serve``; no token, online."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "hf-home" / "hub"


@pytest.fixture
def serve(monkeypatch, hub_env, repo_files):
    """Start a fake Hub with ``acme/tiny`` (and whatever else is passed) and point HF_ENDPOINT at it."""
    started: list[FakeHub] = []

    def start(repos: dict[str, FakeRepo] | None = None, faults: dict[str, str] | None = None, **kwargs) -> FakeHub:
        repos = repos if repos is not None else {
            "acme/tiny": FakeRepo(files=repo_files, sha=COMMIT, branches={"main": COMMIT, "v1": OLD_COMMIT})}
        hub = FakeHub(repos, faults, **kwargs).__enter__()
        started.append(hub)
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        return hub

    yield start
    for hub in started:
        hub.__exit__(None, None, None)
