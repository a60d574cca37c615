"""hf:// targets against a local fake Hub: pinning, metadata-only and full modes, cache, offline, tokens, errors."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest
from fake_hub import FakeRepo
from hub_repo import COMMIT, OLD_COMMIT, safetensors_bytes

from scanner.errors import ScanInputError
from scanner.hub import HubError, not_downloaded_files, parse_hub_target, resolve_target
from scanner.hub.patterns import RemoteEntry, plan_download
from scanner.parse.repo import parse_repo
from scanner.parse.safetensors_header import read_header
from scanner.report.model import FileStatus
from scanner.walk.walker import walk

SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
METADATA = {"LICENSE", "README.md", "config.json", "model.safetensors.index.json", "tokenizer_config.json"}


def _on_disk(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


class Bytes:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def begin(self, label, total_bytes):
        self.total = total_bytes

    def advance(self, n):
        self.done += n

    def end(self):
        pass


def test_targets_parse_and_reject_malformed_names():
    assert str(parse_hub_target("hf://acme/tiny@v1")) == "hf://acme/tiny@v1"
    assert parse_hub_target("hf://gpt2").repo_id == "gpt2"
    assert parse_hub_target("hf://acme/tiny@refs/pr/3").revision == "refs/pr/3"
    for bad in ("hf://", "hf://a/b/c", "hf://acme/../x", "hf://acme/tiny@", "hf://acme/tiny@a b", "/local/path"):
        with pytest.raises(ScanInputError):
            parse_hub_target(bad)


def test_metadata_only_reads_headers_over_http_without_downloading_weights(serve, tmp_path, repo_files):
    hub = serve()
    resolved = resolve_target("hf://acme/tiny", weights=False)
    assert resolved.revision == COMMIT and resolved.pinned == f"hf://acme/tiny@{COMMIT}"
    assert resolved.folder.name == COMMIT and _on_disk(resolved.folder) == METADATA
    assert [(p.file, p.code) for p in resolved.problems] == [("pytorch_model.bin", "hub.pickle-unchecked")]
    for shard in SHARDS:
        assert all(e.range == "bytes=0-100000" for e in hub.gets(shard))  # header range reads only
        local = tmp_path / shard
        local.write_bytes(repo_files[shard])
        expected, _ = read_header(local, shard)
        assert next(h for h in resolved.remote_headers if h.file == shard) == expected
    listing = walk(resolved.folder)
    parsed = parse_repo(listing, remote_headers=resolved.remote_headers)
    assert not parsed.problems and len(parsed.tensors) == sum(len(h.tensors) for h in resolved.remote_headers)
    others = {f.path: f for f in not_downloaded_files(resolved, {f.path for f in listing.files})}
    assert set(others) == {*SHARDS, "pytorch_model.bin", "images/diagram.png"}
    assert others[SHARDS[0]].status == FileStatus.READ
    assert others[SHARDS[0]].sha256 == hashlib.sha256(repo_files[SHARDS[0]]).hexdigest()
    assert others["pytorch_model.bin"].note == "not downloaded (metadata-only scan); its pickle was not checked for code"


def test_full_mode_downloads_one_copy_of_the_weights_reuses_the_cache_and_reports_progress(serve, repo_files):
    hub = serve()
    progress = Bytes()
    resolved = resolve_target("hf://acme/tiny@main", weights=True, progress=progress)
    fetched = METADATA | set(SHARDS) | {"pytorch_model.bin"}  # the pickle copy, to check it for code
    assert _on_disk(resolved.folder) == fetched
    assert progress.done == progress.total == sum(len(repo_files[f]) for f in fetched)
    for f in fetched:
        assert (resolved.folder / f).read_bytes() == repo_files[f]
    downloads = len([e for e in hub.log if e.method == "GET" and "/resolve/" in e.path])
    again = resolve_target("hf://acme/tiny", weights=True)
    assert again.folder == resolved.folder
    assert len([e for e in hub.log if e.method == "GET" and "/resolve/" in e.path]) == downloads  # nothing refetched


def test_a_branch_is_pinned_to_its_commit(serve):
    serve()
    resolved = resolve_target("hf://acme/tiny@v1", weights=False)
    assert resolved.revision == OLD_COMMIT and resolved.folder.name == OLD_COMMIT


def test_an_interrupted_download_resumes_with_a_range_request(serve, tmp_path, repo_files):
    big = safetensors_bytes(tmp_path, {"lm_head.weight": np.arange(6 << 20, dtype=np.float32).reshape(-1, 1024)})
    hub = serve({"acme/big": FakeRepo(files={"config.json": repo_files["config.json"], "model.safetensors": big},
                                      sha=COMMIT)}, faults={"model.safetensors": "truncate-once"})
    resolved = resolve_target("hf://acme/big", weights=True)
    assert (resolved.folder / "model.safetensors").read_bytes() == big
    first, second = hub.gets("model.safetensors")
    assert first.range is None and second.range is not None
    assert int(second.range.removeprefix("bytes=").rstrip("-")) > 0  # picked up where the cut-off left it


def test_offline_runs_use_the_prefilled_cache(serve, monkeypatch):
    serve()
    online = resolve_target("hf://acme/tiny", weights=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    offline = resolve_target("hf://acme/tiny", weights=True)
    assert offline.offline and offline.folder == online.folder and offline.revision == COMMIT
    assert [p.code for p in offline.problems] == ["hub.offline"]
    assert {f.path for f in offline.remote_files if not f.downloaded} == {"images/diagram.png"}


def test_offline_without_a_cache_is_a_clear_error(hub_env, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match="HF_HUB_OFFLINE is set, and no snapshot of it is in the cache"):
        resolve_target("hf://acme/tiny", weights=False)


def test_an_unreachable_hub_falls_back_to_the_cache(serve, monkeypatch):
    serve()
    resolve_target("hf://acme/tiny", weights=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    resolved = resolve_target("hf://acme/tiny", weights=False)
    assert resolved.offline and "could not be reached" in resolved.problems[0].message
    assert [p.code for p in resolved.problems] == ["hub.offline"]
    with pytest.raises(HubError, match="could not be reached"):  # nothing cached for another repository
        resolve_target("hf://acme/other", weights=False)


def test_an_incomplete_cache_is_reported_offline(serve, monkeypatch):
    serve()
    resolve_target("hf://acme/tiny", weights=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    resolved = resolve_target("hf://acme/tiny", weights=True)
    assert [p.code for p in resolved.problems] == ["hub.offline", "hub.incomplete-cache"]
    assert SHARDS[0] in resolved.problems[1].message


def test_private_repositories_need_hf_token(serve, monkeypatch, repo_files):
    hub = serve({"acme/private": FakeRepo(files={"config.json": repo_files["config.json"]}, sha=COMMIT, token="s3cret")})
    with pytest.raises(HubError, match="set HF_TOKEN"):
        resolve_target("hf://acme/private", weights=False)
    monkeypatch.setenv("HF_TOKEN", "s3cret")
    resolved = resolve_target("hf://acme/private", weights=False)
    assert _on_disk(resolved.folder) == {"config.json"}
    assert hub.log[-1].authorization == "Bearer s3cret"


@pytest.mark.parametrize("target, message", [
    ("hf://acme/missing", "repository not found"),
    ("hf://acme/tiny@nope", "revision 'nope' does not exist"),
])
def test_missing_repositories_and_revisions_are_clear_errors(serve, target, message):
    serve()
    with pytest.raises(HubError, match=message):
        resolve_target(target, weights=False)


def test_server_errors_and_timeouts_are_clear_errors(serve, monkeypatch):
    serve(faults={"api:revision": "500"})
    with pytest.raises(HubError, match="answered .*500"):
        resolve_target("hf://acme/tiny", weights=False)
    monkeypatch.setattr("scanner.hub.resolve.REQUEST_TIMEOUT", 0.5)
    serve(faults={"api:revision": "slow"}, slow_seconds=2.0)
    with pytest.raises(HubError, match="could not be reached"):
        resolve_target("hf://acme/tiny", weights=False)


def test_a_truncated_header_range_is_a_problem_for_that_file_only(serve):
    serve(faults={SHARDS[0]: "truncate-range"})
    resolved = resolve_target("hf://acme/tiny", weights=False)
    assert [(p.file, p.code) for p in resolved.problems if p.file != "pytorch_model.bin"] == [
        (SHARDS[0], "hub.header-unreadable")]
    assert [h.file for h in resolved.remote_headers] == [SHARDS[1]]


@pytest.fixture
def no_backoff(monkeypatch):
    """The client waits 1+2+4+8+8 s between its retries of a 5xx; the tests need not wait."""
    waits: list[float] = []

    class Clock:  # the time module for the client's modules only, without the waiting
        sleep = staticmethod(waits.append)

        def __getattr__(self, name):
            return getattr(time, name)

    monkeypatch.setattr("huggingface_hub.utils._http.time", Clock())
    monkeypatch.setattr("huggingface_hub.file_download.time", Clock())
    return waits


@pytest.mark.parametrize("fault", ["500", "404", "short"])
def test_a_failed_file_download_is_a_problem_for_that_file_and_the_rest_is_fetched(serve, no_backoff, capfd, fault):
    serve(faults={SHARDS[0]: fault})
    resolved = resolve_target("hf://acme/tiny", weights=True)
    assert [(p.file, p.code) for p in resolved.problems] == [(SHARDS[0], "hub.download-failed")]
    assert resolved.problems[0].message.startswith(f"{SHARDS[0]}: could not be downloaded from http://127.0.0.1:")
    assert _on_disk(resolved.folder) == METADATA | {SHARDS[1], "pytorch_model.bin"}
    failed = next(f for f in resolved.remote_files if f.path == SHARDS[0])
    assert not failed.downloaded and failed.note.startswith("download failed: ")
    listing = walk(resolved.folder)
    assert SHARDS[0] in {f.path for f in not_downloaded_files(resolved, {f.path for f in listing.files})}
    assert capfd.readouterr().err == ""  # no retry chatter or progress bars from the Hub client
    if fault == "500":
        assert no_backoff  # the client did retry before giving up


def test_a_stalled_file_download_times_out_as_a_problem_for_that_file(serve, no_backoff, monkeypatch):
    monkeypatch.setattr("scanner.hub.resolve.REQUEST_TIMEOUT", 0.3)
    monkeypatch.setattr("huggingface_hub.file_download._ETAG_RETRY_TIMEOUT", 0.3)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_DOWNLOAD_TIMEOUT", 0.3)
    serve(faults={SHARDS[1]: "slow"}, slow_seconds=2.0)
    started = time.monotonic()
    resolved = resolve_target("hf://acme/tiny", weights=True)
    assert time.monotonic() - started < 30
    assert [(p.file, p.code) for p in resolved.problems] == [(SHARDS[1], "hub.download-failed")]
    assert "timed out" in resolved.problems[0].message.lower()
    assert _on_disk(resolved.folder) == METADATA | {SHARDS[0], "pytorch_model.bin"}


def test_download_plans_fetch_one_copy_of_the_weights():
    def plan(paths, weights=True):
        return plan_download([RemoteEntry(p, 1000) for p in paths], weights=weights)

    ggufs = ["m-Q4_K_M.gguf", "m-Q8_0.gguf", "m-f16.gguf", "mmproj-m-f16.gguf", "README.md"]
    assert plan(ggufs).weights == ("m-f16.gguf", "mmproj-m-f16.gguf")
    onnx = ["onnx/model.onnx", "onnx/model.onnx_data", "onnx/model_quantized.onnx", "onnx/model_fp16.onnx"]
    assert plan(onnx).weights == ("onnx/model.onnx", "onnx/model.onnx_data")
    pickles = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin", "optimizer.pt",
               "training_args.bin"]
    assert plan(pickles).weights == ("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin")
    assert plan(["model.safetensors", "pytorch_model.bin"]).weights == ("model.safetensors",)
    metadata_only = plan(["model.safetensors", "config.json"], weights=False)
    assert metadata_only.files == ("config.json",)
    assert metadata_only.not_downloaded == {"model.safetensors": "not downloaded (metadata-only scan)"}


def test_strict_resolution_refuses_an_incomplete_download(serve, no_backoff):
    serve(faults={SHARDS[0]: "404"})
    with pytest.raises(HubError, match=f"downloading from .* failed \\({SHARDS[0]}: HTTP 404 Not Found\\)"):
        resolve_target("hf://acme/tiny", weights=True, strict=True)


SYSTEM_PAYLOAD = b"\x80\x02cposix\nsystem\nq\x00X\x07\x00\x00\x00echo hiq\x01\x85q\x02Rq\x03."  # os.system('echo hi')


@pytest.mark.parametrize("weights", [True, False])
def test_pickles_are_checked_even_when_safetensors_are_scanned(serve, repo_files, weights):
    files = {**repo_files, "pytorch_model.bin": SYSTEM_PAYLOAD, "training_args.bin": SYSTEM_PAYLOAD}
    serve({"acme/evil": FakeRepo(files=files, sha=COMMIT)})
    resolved = resolve_target("hf://acme/evil", weights=weights)
    parsed = parse_repo(walk(resolved.folder), remote_headers=resolved.remote_headers)
    flagged = {p.file for p in parsed.problems if p.code == "pickle.dangerous-import"}
    unchecked = [(p.file, p.code, p.severity.value) for p in resolved.problems]
    if weights:
        assert flagged == {"pytorch_model.bin", "training_args.bin"} and unchecked == []
        assert {t.file for t in parsed.tensors} == set(SHARDS)  # the safetensors copy is still the one fingerprinted
    else:  # no weights are downloaded, but a pickle that holds none is
        assert flagged == {"training_args.bin"}
        assert unchecked == [("pytorch_model.bin", "hub.pickle-unchecked", "warning")]
        assert "metadata-only scan" in resolved.problems[0].message


def test_a_pickle_too_large_to_fetch_for_a_check_is_named_as_unchecked(serve, monkeypatch, repo_files):
    monkeypatch.setattr("scanner.hub.patterns.PICKLE_CHECK_BYTES", 16)
    monkeypatch.setattr("scanner.hub.resolve.PICKLE_CHECK_BYTES", 16)
    serve()
    resolved = resolve_target("hf://acme/tiny", weights=True)
    assert [(p.file, p.code) for p in resolved.problems] == [("pytorch_model.bin", "hub.pickle-unchecked")]
    assert f"({len(repo_files['pytorch_model.bin'])} bytes, more than the 16 fetched" in resolved.problems[0].message
    assert "pytorch_model.bin" not in _on_disk(resolved.folder)


@pytest.mark.parametrize("weights, fault", [(False, "truncate-range"), (True, "404")])
def test_a_shard_that_could_not_be_read_is_not_called_missing(serve, weights, fault):
    serve(faults={SHARDS[0]: fault})
    resolved = resolve_target("hf://acme/tiny", weights=weights)
    listing = walk(resolved.folder)
    remote = not_downloaded_files(resolved, {f.path for f in listing.files})
    parsed = parse_repo(listing, remote_headers=resolved.remote_headers, remote_files=remote)
    index = [p for p in parsed.problems if p.file == "model.safetensors.index.json"]
    assert [p.code for p in index] == ["safetensors.shard-unread"]
    assert index[0].message.startswith(f"model.safetensors.index.json: lists shard '{SHARDS[0]}', whose header could "
                                       "not be read (")
    assert ("download failed: HTTP 404" if weights else "header could not be read over HTTP") in index[0].message
    assert {t.file for t in parsed.tensors} == {SHARDS[1]}
