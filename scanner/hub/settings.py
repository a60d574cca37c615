"""Hub settings from the environment, read when a scan starts rather than when a library is imported.

``huggingface_hub`` reads ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and ``HF_HOME`` once, at import time;
a scanner used as a library (or a test) may set them later. So they are read here on every call and
passed to the client explicitly. ``HF_TOKEN`` needs no such care: the client reads it per request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True, slots=True, kw_only=True)
class HubSettings:
    endpoint: str
    offline: bool
    cache_dir: Path


def hub_settings(cache_dir: Path | None = None) -> HubSettings:
    """Endpoint (``HF_ENDPOINT``), offline mode (``HF_HUB_OFFLINE``) and cache folder
    (``HF_HUB_CACHE``, else ``HF_HOME``/hub, else ~/.cache/huggingface/hub) as of now."""
    env = os.environ
    endpoint = (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    offline = (env.get("HF_HUB_OFFLINE") or env.get("TRANSFORMERS_OFFLINE") or "").strip().lower() in _TRUE
    if cache_dir is None:
        if env.get("HF_HUB_CACHE"):
            cache_dir = Path(env["HF_HUB_CACHE"])
        else:
            home = Path(env["HF_HOME"]) if env.get("HF_HOME") else Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
            cache_dir = home / "hub"
    return HubSettings(endpoint=endpoint, offline=offline, cache_dir=Path(os.path.expanduser(str(cache_dir))))
