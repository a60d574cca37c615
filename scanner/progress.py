"""Progress reporting that library code can call without knowing whether anyone is watching."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives byte counts from long reads (hashing, fingerprinting)."""

    def begin(self, label: str, total_bytes: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def end(self) -> None: ...


class NoProgress:
    """The default: report nothing (tests, JSON-only runs, non-terminals)."""

    def begin(self, label: str, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def end(self) -> None:
        pass
