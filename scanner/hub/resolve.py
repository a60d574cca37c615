"""Turn ``hf://owner/name[@revision]`` into a local snapshot folder the walker can scan.

The revision is pinned first (a branch or tag becomes the commit it points to), so every file of
one scan comes from one commit and the report can name it. Files are fetched with
``huggingface_hub`` into the standard Hub cache (``HF_HOME``), so a model already downloaded by
other tools is not downloaded again, a transfer cut off mid-file resumes with a range request, and
``HF_TOKEN`` works for gated and private repositories. Only the files the scan reads are fetched
(``patterns``), one by one (``download``): a file the Hub fails to serve is a problem naming it,
not the end of the scan.

In the metadata-only mode (``weights=False``) no weight file is downloaded: the safetensors
headers are read with HTTP range requests (``HfApi.parse_safetensors_file_metadata``), enough to
list every tensor with its dtype and shape. With ``HF_HUB_OFFLINE`` set, or when the Hub cannot be
reached or fails, the cached snapshot is used as it is and a problem says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, get_cached_repo_tree, snapshot_download
from huggingface_hub.errors import (
    CachedRepoTreeNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    SafetensorsParsingError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.hf_api import RepoFile as HubFile

from scanner.errors import ScanInputError, problem
from scanner.hub.download import NOTHING, download_files, quiet_hub_client
from scanner.hub.patterns import PICKLE_CHECK_BYTES, DownloadPlan, RemoteEntry, plan_download
from scanner.hub.settings import HubSettings, hub_settings
from scanner.hub.target import HubTarget, parse_hub_target
from scanner.parse.safetensors_header import SafetensorsFile, remote_header
from scanner.progress import NoProgress, Progress
from scanner.report.model import FileKind, FileStatus, Problem, RepoFile, Severity
from scanner.walk.kinds import classify

REQUEST_TIMEOUT = 20.0
_NETWORK_ERRORS = (httpx2.TransportError, OfflineModeIsEnabled)


class HubError(ScanInputError):
    """The Hub target cannot be scanned: not found, no access, unreachable with nothing cached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteFile:
    """One file of the pinned revision as the Hub lists it (LFS files carry their SHA-256)."""

    path: str
    size: int
    sha256: str | None
    downloaded: bool
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedTarget:
    """A Hub target resolved to a cache snapshot at one commit.

    ``folder`` is the snapshot folder (``…/models--owner--name/snapshots/<commit>``), which
    ``walk`` reads like any local repository. ``remote_files`` lists every file of the commit,
    downloaded or not; ``remote_headers`` are the safetensors headers read over HTTP in the
    metadata-only mode, for ``parse_repo(listing, remote_headers=…)``.
    """

    target: HubTarget
    revision: str
    folder: Path
    remote_files: tuple[RemoteFile, ...]
    remote_headers: tuple[SafetensorsFile, ...]
    problems: tuple[Problem, ...]
    offline: bool

    @property
    def pinned(self) -> str:
        """The target at its commit: ``hf://owner/name@<sha>``."""
        return f"hf://{self.target.repo_id}@{self.revision}"


def resolve_target(target: str, *, weights: bool, progress: Progress | None = None,
                   cache_dir: Path | None = None, strict: bool = False) -> ResolvedTarget:
    """Pin, fetch and locate a Hub target; raises ``HubError`` (a ``ScanInputError``) when it cannot.

    A file that fails to download is a ``hub.download-failed`` problem and the rest is still
    fetched, which suits a scan; ``strict`` makes it a ``HubError`` instead, for callers such as
    ``catalog add`` that must not build anything from an incomplete copy.
    """
    hub = parse_hub_target(target)
    settings = hub_settings(cache_dir)
    with quiet_hub_client():
        if settings.offline:
            return _from_cache(hub, settings, weights, "HF_HUB_OFFLINE is set")
        return _resolve_online(hub, settings, weights, progress or NoProgress(), strict)


def _resolve_online(hub: HubTarget, settings: HubSettings, weights: bool, progress: Progress,
                    strict: bool) -> ResolvedTarget:
    api = HfApi(endpoint=settings.endpoint)
    try:
        revision = _pin(api, hub)
        entries = _listing(api, hub, revision)
    except _NETWORK_ERRORS as exc:
        return _from_cache(hub, settings, weights, f"the Hub at {settings.endpoint} could not be reached ({_short(exc)})")
    except HfHubHTTPError as exc:
        if _status(exc) >= 500 or _status(exc) == 429:
            return _from_cache(hub, settings, weights, f"the Hub at {settings.endpoint} answered {_short(exc)}")
        raise HubError(f"{hub}: {_short(exc)}") from None
    plan = plan_download(entries, weights=weights)
    sizes = {e.path: e.size for e in entries}
    folder, failed = download_files(hub, revision, (plan.metadata, plan.checks, plan.weights), sizes, settings,
                                    progress, REQUEST_TIMEOUT)
    if failed and strict:
        shown = "; ".join(f"{path}: {why}" for path, why in list(failed.items())[:3])
        raise HubError(f"{hub}: downloading from {settings.endpoint} failed ({shown}"
                       + (f" and {len(failed) - 3} more files" if len(failed) > 3 else "") + ")")
    _record_ref(settings, hub, revision)
    problems = [problem(path, "hub.download-failed", f"could not be downloaded from {settings.endpoint}: {why}")
                for path, why in failed.items()]
    problems += [problem(path, "hub.pickle-unchecked",
                         f"is a pickle that was not downloaded ({_unchecked_reason(sizes[path])}), so it "
                         "was not checked for code that runs when it is loaded", Severity.WARNING)
                 for path in plan.unchecked]
    headers: list[SafetensorsFile] = []
    if not weights:
        headers, header_problems = _remote_headers(api, hub, revision, entries)
        problems += header_problems
    return ResolvedTarget(target=hub, revision=revision, folder=folder,
                          remote_files=_remote_files(entries, plan, headers, failed, problems),
                          remote_headers=tuple(headers), problems=tuple(problems), offline=False)


def _unchecked_reason(size: int) -> str:
    if size > PICKLE_CHECK_BYTES:
        return f"{size} bytes, more than the {PICKLE_CHECK_BYTES} fetched just to check a pickle"
    return "it holds weights and this is a metadata-only scan"


def not_downloaded_files(resolved: ResolvedTarget, listed: set[str]) -> tuple[RepoFile, ...]:
    """Report entries for the files of the commit that are not on disk (so not in the walker's listing)."""
    header_files = {h.file for h in resolved.remote_headers}
    return tuple(sorted(
        (RepoFile(path=f.path, size=f.size, sha256=f.sha256, kind=classify(f.path),
                  status=FileStatus.READ if f.path in header_files else FileStatus.SKIPPED, note=f.note or "not downloaded")
         for f in resolved.remote_files if f.path not in listed),
        key=lambda r: r.path))


def _pin(api: HfApi, hub: HubTarget) -> str:
    try:
        info = api.model_info(hub.repo_id, revision=hub.revision, timeout=REQUEST_TIMEOUT)
    except GatedRepoError:
        raise HubError(f"{hub}: the repository is gated; accept its terms on the Hub and set HF_TOKEN") from None
    except RevisionNotFoundError:
        raise HubError(f"{hub}: revision '{hub.revision}' does not exist") from None
    except RepositoryNotFoundError:
        raise HubError(f"{hub}: repository not found (if it is private, set HF_TOKEN to a token that can read it)") from None
    if not info.sha:
        raise HubError(f"{hub}: the Hub did not say which commit '{hub.revision or 'main'}' is")
    return info.sha


def _listing(api: HfApi, hub: HubTarget, revision: str) -> list[RemoteEntry]:
    entries = [RemoteEntry(f.path, int(f.size or 0), f.lfs.sha256 if f.lfs is not None else None)
               for f in api.list_repo_tree(hub.repo_id, recursive=True, revision=revision) if isinstance(f, HubFile)]
    if not entries:
        raise HubError(f"{hub}: the repository has no files at commit {revision}")
    return sorted(entries, key=lambda e: e.path)


def _record_ref(settings: HubSettings, hub: HubTarget, revision: str) -> None:
    """Note which commit the branch or tag pointed to, in the cache's ``refs/`` folder, as the Hub client
    does when it resolves names itself: offline runs of ``hf://owner/name`` then find this snapshot."""
    name = hub.revision or "main"
    if name == revision:
        return
    ref = settings.cache_dir / repo_folder_name(repo_id=hub.repo_id, repo_type="model") / "refs" / name
    try:
        if ref.is_file() and ref.read_text(encoding="utf-8").strip() == revision:
            return
        ref.parent.mkdir(parents=True, exist_ok=True)
        partial = ref.with_name(ref.name + ".partial")
        partial.write_text(revision, encoding="utf-8")
        partial.replace(ref)
    except OSError:
        pass  # a read-only cache still serves this scan; only later offline runs lose the name


def _remote_headers(api: HfApi, hub: HubTarget, revision: str,
                    entries: Sequence[RemoteEntry]) -> tuple[list[SafetensorsFile], list[Problem]]:
    headers: list[SafetensorsFile] = []
    problems: list[Problem] = []
    for e in entries:
        if classify(e.path) != FileKind.SAFETENSORS:
            continue
        try:
            parsed = api.parse_safetensors_file_metadata(hub.repo_id, e.path, revision=revision, timeout=REQUEST_TIMEOUT)
        except (SafetensorsParsingError, HfHubHTTPError, ValueError, *_NETWORK_ERRORS) as exc:
            problems.append(problem(e.path, "hub.header-unreadable", f"safetensors header could not be read over HTTP: {_short(exc)}"))
            continue
        header, issues = remote_header(parsed, e.path, e.size)
        headers.append(header)
        problems += issues
    return headers, problems


def _remote_files(entries: Sequence[RemoteEntry], plan: DownloadPlan, headers: Sequence[SafetensorsFile],
                  failed: dict[str, str], problems: Sequence[Problem]) -> tuple[RemoteFile, ...]:
    read_remotely = {h.file for h in headers}
    header_failed = {p.file for p in problems if p.code == "hub.header-unreadable"}
    fetched = set(plan.files) - set(failed)

    def note(path: str) -> str:
        if path in failed:
            return f"download failed: {failed[path]}"
        if path in read_remotely:
            return "not downloaded (metadata-only scan); safetensors header read over HTTP"
        if path in header_failed:
            return "not downloaded (metadata-only scan); safetensors header could not be read over HTTP"
        return plan.not_downloaded.get(path, "")

    return tuple(RemoteFile(path=e.path, size=e.size, sha256=e.sha256, downloaded=e.path in fetched, note=note(e.path))
                 for e in entries)


def _from_cache(hub: HubTarget, settings: HubSettings, weights: bool, reason: str) -> ResolvedTarget:
    """The cached snapshot of the target, scanned as it is; the report says why and what is missing."""
    try:
        cached = get_cached_repo_tree(hub.repo_id, revision=hub.revision, cache_dir=str(settings.cache_dir))
        entries = [RemoteEntry(f.path, int(f.size or 0), f.lfs.sha256 if f.lfs is not None else None) for f in cached]
    except (CachedRepoTreeNotFoundError, OSError, ValueError):
        entries = []
    try:
        folder = Path(snapshot_download(hub.repo_id, revision=hub.revision, cache_dir=str(settings.cache_dir),
                                        local_files_only=True, allow_patterns=[NOTHING]))
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise HubError(f"{hub}: {reason}, and no snapshot of it is in the cache at {settings.cache_dir}") from None
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    plan = plan_download(entries, weights=weights) if entries else None
    problems = [problem("", "hub.offline", f"{reason}; scanned the cached snapshot at commit {folder.name}", Severity.WARNING)]
    missing = sorted(set(plan.files) - present) if plan else []
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        problems.append(problem("", "hub.incomplete-cache", f"the cached snapshot lacks {shown}", Severity.WARNING))
    files = tuple(RemoteFile(path=e.path, size=e.size, sha256=e.sha256, downloaded=e.path in present,
                             note="" if e.path in present else "not in the cached snapshot") for e in entries)
    return ResolvedTarget(target=hub, revision=folder.name, folder=folder, remote_files=files, remote_headers=(),
                          problems=tuple(problems), offline=True)


def _status(exc: HfHubHTTPError) -> int:
    response = getattr(exc, "response", None)
    return int(getattr(response, "status_code", 0) or 0)


def _short(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
