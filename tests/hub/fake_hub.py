"""A small stand-in for the Hugging Face Hub, for tests: loopback only, bounded, stops by itself.

It serves model repositories with the Hub's URL layout and the headers ``huggingface_hub``
relies on, so the real client code runs unchanged against it (point ``HF_ENDPOINT`` here):

* ``GET /api/models/{repo}/revision/{rev}`` — repository info with the commit ``sha``;
* ``GET /api/models/{repo}/tree/{rev}`` — the file listing (``oid``, ``size``, ``lfs`` for weights);
* ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` — file bytes with ``X-Repo-Commit``, ``ETag`` and,
  for LFS files, ``X-Linked-Etag``/``X-Linked-Size``; ``Range`` requests answer 206.

Errors use the Hub's ``X-Error-Code`` header. ``faults`` inject failures per path: ``"500"``,
``"404"``, ``"slow"`` (answer after ``slow_seconds``), ``"truncate-once"`` (the first GET of the
file stops half-way, later ones are whole), ``"short"`` (a body shorter than ``X-Linked-Size``).
Every request is logged for assertions.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".onnx", ".pt", ".pth", ".ckpt")
LIFETIME_SECONDS = 300


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up mid-response (the time-out tests do) is expected, not an error to print."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    sha: str
    branches: dict[str, str] = field(default_factory=lambda: {"main": ""})
    token: str | None = None  # when set, requests need "Authorization: Bearer <token>"

    def __post_init__(self) -> None:
        self.branches = {name: commit or self.sha for name, commit in self.branches.items()}


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    range: str | None
    authorization: str | None


class FakeHub:
    """Start with ``with FakeHub(repos) as hub:``; ``hub.endpoint`` is the URL for ``HF_ENDPOINT``."""

    def __init__(self, repos: dict[str, FakeRepo], faults: dict[str, str] | None = None, slow_seconds: float = 3.0) -> None:
        self.repos = repos
        self.faults = dict(faults or {})
        self.slow_seconds = slow_seconds
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._served_once: set[str] = set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                hub._handle(self, head=True)

            def do_GET(self) -> None:
                hub._handle(self, head=False)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._watchdog = threading.Timer(LIFETIME_SECONDS, self._server.shutdown)
        self._watchdog.daemon = True

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._watchdog.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def gets(self, suffix: str) -> list[Logged]:
        return [e for e in self.log if e.method == "GET" and e.path.endswith(suffix)]

    # request handling -------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = unquote(urlsplit(req.path).path)
        with self._lock:
            self.log.append(Logged("HEAD" if head else "GET", path, req.headers.get("Range"), req.headers.get("Authorization")))
        if path.startswith("/api/models/"):
            self._api(req, path[len("/api/models/"):])
            return
        if "/resolve/" in path:
            repo_id, _, rest = path.lstrip("/").partition("/resolve/")
            revision, _, file = rest.partition("/")
            self._file(req, repo_id, revision, file, head=head)
            return
        self._error(req, 404, None, "not found")

    def _repo(self, req: BaseHTTPRequestHandler, repo_id: str) -> FakeRepo | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            self._error(req, 404, "RepoNotFound", "Repository not found")
            return None
        if repo.token and req.headers.get("Authorization") != f"Bearer {repo.token}":
            self._error(req, 401, "RepoNotFound", "Invalid username or password.")
            return None
        return repo

    def _commit(self, req: BaseHTTPRequestHandler, repo: FakeRepo, revision: str) -> str | None:
        if revision in repo.branches:
            return repo.branches[revision]
        if revision == repo.sha or revision in repo.branches.values():
            return revision
        self._error(req, 404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return None

    def _api(self, req: BaseHTTPRequestHandler, rest: str) -> None:
        for marker in ("/revision/", "/tree/"):
            if marker in rest:
                repo_id, _, revision = rest.partition(marker)
                revision = revision.split("/")[0] if marker == "/tree/" else revision
                break
        else:
            repo_id, marker, revision = rest.rstrip("/"), "/revision/", "main"
        if self._fault(req, f"api:{marker.strip('/')}"):
            return
        repo = self._repo(req, repo_id)
        if repo is None:
            return
        commit = self._commit(req, repo, revision)
        if commit is None:
            return
        if marker == "/revision/":
            body = {"id": repo_id, "modelId": repo_id, "sha": commit, "private": bool(repo.token),
                    "siblings": [{"rfilename": p} for p in sorted(repo.files)]}
        else:
            body = [self._tree_entry(p, data) for p, data in sorted(repo.files.items())]
        self._json(req, body)

    @staticmethod
    def _tree_entry(path: str, data: bytes) -> dict:
        entry = {"type": "file", "oid": _git_blob_id(data), "size": len(data), "path": path}
        if path.endswith(LFS_SUFFIXES):
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return entry

    def _file(self, req: BaseHTTPRequestHandler, repo_id: str, revision: str, file: str, *, head: bool) -> None:
        repo = self._repo(req, repo_id)
        if repo is None:
            return
        commit = self._commit(req, repo, revision)
        if commit is None:
            return
        if file not in repo.files:
            self._error(req, 404, "EntryNotFound", f"{file} does not exist", commit=commit)
            return
        data = repo.files[file]
        if self._fault(req, file, head=head):
            return
        headers = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if file.endswith(LFS_SUFFIXES):
            digest = hashlib.sha256(data).hexdigest()
            headers.update({"ETag": f'"{digest}"', "X-Linked-Etag": f'"{digest}"', "X-Linked-Size": str(len(data))})
        else:
            headers["ETag"] = f'"{_git_blob_id(data)}"'
        status, body = 200, data
        wanted = req.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start = int(first)
            stop = min(int(last) + 1, len(data)) if last else len(data)
            status, body = 206, data[start:stop]
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        fault = self.faults.get(file)
        if not head and fault == "short":
            body = body[: len(body) // 2]
        req.send_response(status)
        for key, value in headers.items():
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if head:
            return
        if fault == "truncate-once" and status == 200 and file not in self._served_once:
            self._served_once.add(file)
            req.wfile.write(body[: len(body) // 2])
            req.wfile.flush()
            req.close_connection = True
            return
        if fault == "truncate-range" and status == 206:
            req.wfile.write(body[: max(1, len(body) // 4)])
            req.wfile.flush()
            req.close_connection = True
            return
        req.wfile.write(body)

    def _fault(self, req: BaseHTTPRequestHandler, key: str, head: bool = False) -> bool:
        fault = self.faults.get(key)
        if fault == "500":
            self._error(req, 500, None, "Internal Error")
            return True
        if fault == "404":
            self._error(req, 404, "EntryNotFound", "gone")
            return True
        if fault == "slow":
            time.sleep(self.slow_seconds)
        return False

    @staticmethod
    def _json(req: BaseHTTPRequestHandler, body: object) -> None:
        data = json.dumps(body).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    @staticmethod
    def _error(req: BaseHTTPRequestHandler, status: int, code: str | None, message: str, commit: str | None = None) -> None:
        data = json.dumps({"error": message}).encode()
        req.send_response(status)
        if code:
            req.send_header("X-Error-Code", code)
        req.send_header("X-Error-Message", message)
        if commit:
            req.send_header("X-Repo-Commit", commit)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(data)


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
