"""A rich progress bar on stderr for long reads, shown only when stderr is a terminal."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from scanner.progress import NoProgress
from scanner.progress import Progress as ProgressProtocol


class RichProgress:
    """Implements ``scanner.progress.Progress`` with one bar per long read."""

    def __init__(self) -> None:
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                             TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)
        self._task = None

    def begin(self, label: str, total_bytes: int) -> None:
        if self._task is None:
            self._bar.start()
        else:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, nbytes)

    def end(self) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None
            self._bar.stop()


def progress_for_stderr(quiet: bool) -> ProgressProtocol:
    return RichProgress() if sys.stderr.isatty() and not quiet else NoProgress()
