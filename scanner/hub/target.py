"""``hf://owner/name[@revision]``: the target syntax for a model on the Hugging Face Hub."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.errors import ScanInputError

SCHEME = "hf://"
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
_REPO = re.compile(rf"^(?:{_NAME}/)?{_NAME}$")
_REVISION = re.compile(r"^[\w.\-/]{1,200}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class HubTarget:
    """A Hub model repository and the revision asked for (None: the default branch)."""

    repo_id: str
    revision: str | None

    def __str__(self) -> str:
        return f"{SCHEME}{self.repo_id}" + (f"@{self.revision}" if self.revision else "")


def is_hub_target(target: str) -> bool:
    return target.startswith(SCHEME)


def parse_hub_target(target: str) -> HubTarget:
    """Split ``hf://owner/name@revision``; raises ``ScanInputError`` for anything else."""
    if not is_hub_target(target):
        raise ScanInputError(f"{target}: not a Hub target (expected {SCHEME}owner/name[@revision])")
    body = target[len(SCHEME):]
    repo_id, at, revision = body.partition("@")
    repo_id = repo_id.strip("/")
    if not _REPO.match(repo_id) or ".." in repo_id:
        raise ScanInputError(f"{target}: '{repo_id}' is not a Hub repository id (owner/name)")
    if at and (not _REVISION.match(revision) or ".." in revision or revision.startswith("/")):
        raise ScanInputError(f"{target}: '{revision}' is not a branch, tag or commit")
    return HubTarget(repo_id=repo_id, revision=revision or None)
