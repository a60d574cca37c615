"""Hugging Face Hub targets (``hf://owner/name[@revision]``), fetched into the standard Hub cache.

``resolve_target`` pins the revision, downloads what the scan reads (or, with ``weights=False``,
reads safetensors headers over HTTP instead of downloading weights) and returns the snapshot folder
for ``walk``; ``not_downloaded_files`` lists the repository files left on the Hub for the report.
"""

from scanner.hub.resolve import (
           HubError,
           RemoteFile,
           ResolvedTarget,
           not_downloaded_files,
           resolve_target,
)
from scanner.hub.target import HubTarget, is_hub_target, parse_hub_target

__all__ = ["HubError", "HubTarget", "RemoteFile", "ResolvedTarget", "is_hub_target", "not_downloaded_files",
           "parse_hub_target", "resolve_target"]
