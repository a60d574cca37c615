"""Fetch the planned files of a pinned commit into the Hub cache, one file at a time.

Each file is its own ``hf_hub_download`` call, so one file the Hub cannot serve (a 500, a 404, a
stalled or short transfer) costs only that file: it is returned as a failure with its reason and
the scan goes on with the rest. Metadata is fetched before weights, so a weight transfer that
fails or takes long never holds back the files every check reads. ``huggingface_hub`` still
retries transient errors and resumes cut-off transfers with range requests; its log lines and
progress bars are silenced, because each failure ends up as a problem in the report and the
bytes are forwarded to the scanner's own progress bar.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import tqdm as hf_tqdm

from scanner.hub.settings import HubSettings
from scanner.hub.target import HubTarget
from scanner.progress import Progress

MAX_WORKERS = 4
# What a failed transfer of one file raises: HTTP errors, transport errors and time-outs, a body of the
# wrong size (OSError), a file too large for a plain download (ValueError), an entry the Hub lost.
DOWNLOAD_ERRORS = (OSError, ValueError, httpx2.HTTPError, EntryNotFoundError)
_HUB_LOGGER = "huggingface_hub"
NOTHING = "\0"  # an allow-pattern no file name matches: locate the snapshot without asking for any file


def snapshot_folder(settings: HubSettings, hub: HubTarget, revision: str) -> Path:
    """Where the Hub cache keeps the files of one commit (``…/models--owner--name/snapshots/<commit>``)."""
    return settings.cache_dir / repo_folder_name(repo_id=hub.repo_id, repo_type="model") / "snapshots" / revision


def download_files(hub: HubTarget, revision: str, groups: Sequence[Sequence[str]], sizes: dict[str, int],
                   settings: HubSettings, progress: Progress, timeout: float) -> tuple[Path, dict[str, str]]:
    """Fetch each group of files in turn (metadata, then weights); returns the snapshot folder and,
    for every file that could not be fetched, why."""
    files = [path for group in groups for path in group]
    progress.begin(f"downloading {hub.repo_id}", sum(sizes.get(p, 0) for p in files))
    failures: dict[str, str] = {}
    _cache_listing(hub, revision, settings, timeout)
    try:
        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            for group in groups:
                jobs = [pool.submit(_fetch, hub, revision, path, sizes.get(path, 0), settings, progress, timeout)
                        for path in group]
                for path, job in zip(group, jobs):
                    reason = job.result()
                    if reason:
                        failures[path] = reason
    finally:
        progress.end()
    folder = snapshot_folder(settings, hub, revision)
    folder.mkdir(parents=True, exist_ok=True)  # a commit with nothing fetched still has its snapshot folder
    return folder, dict(sorted(failures.items()))


def _cache_listing(hub: HubTarget, revision: str, settings: HubSettings, timeout: float) -> None:
    """Have the client store the commit's file listing in the cache, as ``snapshot_download`` does, so
    offline runs can tell which files of the commit the cached snapshot lacks."""
    try:
        snapshot_download(hub.repo_id, revision=revision, cache_dir=str(settings.cache_dir), endpoint=settings.endpoint,
                          allow_patterns=[NOTHING], etag_timeout=timeout, tqdm_class=_SilentBar)
    except DOWNLOAD_ERRORS:
        pass  # only a later offline run loses the listing; this scan has it already


def _fetch(hub: HubTarget, revision: str, path: str, size: int, settings: HubSettings, progress: Progress,
           timeout: float) -> str:
    """One file into the cache; '' when it is there, else the reason it is not."""
    forwarded = [0]
    try:
        hf_hub_download(hub.repo_id, path, revision=revision, cache_dir=str(settings.cache_dir),
                        endpoint=settings.endpoint, etag_timeout=timeout,
                        tqdm_class=_forwarding_bar(progress, forwarded))
    except DOWNLOAD_ERRORS as exc:
        return failure_reason(exc)
    if size > forwarded[0]:  # already cached, or resumed from a partial file: count it as done
        progress.advance(size - forwarded[0])
    return ""


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in a few words: the HTTP status when the server answered with an error, else the
    first line of the error that started it (the client wraps a time-out in a generic "cannot find the
    requested files" message)."""
    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    for err in chain:
        response = getattr(err, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return f"HTTP {status} {getattr(response, 'reason_phrase', '') or ''}".strip()
    lines = [line.strip() for line in str(chain[-1]).splitlines() if line.strip()]
    return lines[0] if lines else type(chain[-1]).__name__


@contextmanager
def quiet_hub_client() -> Iterator[None]:
    """Silence ``huggingface_hub``'s own log lines (retry notices, warnings) while the scanner talks to
    the Hub: what they report reaches the user as a problem or a one-line error instead."""
    logger = logging.getLogger(_HUB_LOGGER)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


class _SilentBar(hf_tqdm):
    """``huggingface_hub``'s progress bar, never drawn: the scanner draws its own."""

    def __init__(self, *args, **kwargs):
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)


def _forwarding_bar(progress: Progress, forwarded: list[int]) -> type[hf_tqdm]:
    """A silent bar class that forwards one file's downloaded bytes to ``progress`` and counts them in
    ``forwarded``."""

    class ForwardingBar(_SilentBar):
        def update(self, n=1):
            if n and n > 0:
                forwarded[0] += int(n)
                progress.advance(int(n))
            return super().update(n)

    return ForwardingBar
