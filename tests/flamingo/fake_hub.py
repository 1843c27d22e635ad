"""A Hugging Face Hub stand-in on 127.0.0.1: the few endpoints `huggingface_hub` uses to create a
repository, commit small files and download them, kept in memory.

    with FakeHub() as hub:
        api = HfApi(endpoint=hub.url, token="test")     # or point huggingface_hub.constants.ENDPOINT at it

Nothing here reaches the network: the tests run huggingface_hub's real client (its requests,
NDJSON commits, cache layout and offline logic) against this server, since the Hub itself cannot
be reached from the test machines. It answers every file as a "regular" (inline, base64) upload
and serves downloads as plain HTTP (no LFS, no Xet): the Hub's large-file paths are not exercised.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

_REPO = r"(?P<repo>[^/]+/[^/]+)"
_API = re.compile(rf"^/api/models/{_REPO}(?:/revision/(?P<rev>[^/]+))?$")
_PREUPLOAD = re.compile(rf"^/api/models/{_REPO}/preupload/(?P<rev>[^/]+)$")
_COMMIT = re.compile(rf"^/api/models/{_REPO}/commit/(?P<rev>[^/]+)$")
_TREE = re.compile(rf"^/api/models/{_REPO}/tree/(?P<rev>[^/]+)$")
_RESOLVE = re.compile(rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, dict] = {}  # repo id -> {"sha": str, "files": {path: bytes}}
        self.cards: list = []  # the metadata of every README.md validated before a commit
        self.requests: collections.Counter = collections.Counter()  # (method, kind) -> count
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.hub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    @property
    def hub(self) -> FakeHub:
        return self.server.hub  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json", headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj, status: int = 200) -> None:
        self._send(status, json.dumps(obj).encode())

    def _not_found(self, what: str) -> None:
        self._send(404, json.dumps({"error": what}).encode(), headers={"X-Error-Code": "RepoNotFound"})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        body = self._body()
        hub = self.hub
        if path == "/api/repos/create":
            data = json.loads(body)
            repo = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
            with hub.lock:
                hub.requests["POST", "create"] += 1
                hub.repos.setdefault(repo, {"sha": "0" * 40, "files": {}})
            self._json({"url": f"{hub.url}/{repo}", "name": repo})
        elif path == "/api/validate-yaml":  # the Hub checks a README's metadata before a commit
            content = json.loads(body)["content"]
            try:
                header = yaml.safe_load(content.split("---")[1]) if content.startswith("---") else {}
            except yaml.YAMLError as exc:
                return self._json({"errors": [{"message": str(exc)}]}, 400)
            hub.cards.append(header)
            self._json({})
        elif m := _PREUPLOAD.match(path):
            files = json.loads(body)["files"]
            self._json(
                {
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                    ]
                }
            )
        elif m := _COMMIT.match(path):
            repo = m["repo"]
            with hub.lock:
                hub.requests["POST", "commit"] += 1
                if repo not in hub.repos:
                    return self._not_found(repo)
                state = hub.repos[repo]
                for line in body.splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        state["files"][item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                state["sha"] = hashlib.sha1(state["sha"].encode() + body).hexdigest()
                sha = state["sha"]
            self._json({"commitUrl": f"{hub.url}/{repo}/commit/{sha}", "commitOid": sha})
        else:
            self._send(404, b"{}")

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        hub = self.hub
        if m := _API.match(path):
            with hub.lock:
                hub.requests["GET", "info"] += 1
                state = hub.repos.get(m["repo"])
            if state is None:
                return self._not_found(m["repo"])
            siblings = [{"rfilename": p} for p in sorted(state["files"])]
            self._json({"id": m["repo"], "modelId": m["repo"], "sha": state["sha"], "siblings": siblings})
        elif m := _TREE.match(path):
            with hub.lock:
                state = hub.repos.get(m["repo"])
            if state is None:
                return self._not_found(m["repo"])
            self._json(
                [
                    {"type": "file", "path": p, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                    for p, d in sorted(state["files"].items())
                ]
            )
        elif m := _RESOLVE.match(path):
            with hub.lock:
                hub.requests[self.command, "file"] += 1
                state = hub.repos.get(m["repo"])
            if state is None:
                return self._not_found(m["repo"])
            data = state["files"].get(m["path"])
            if data is None:
                return self._send(
                    404, b"{}", headers={"X-Error-Code": "EntryNotFound", "X-Repo-Commit": state["sha"]}
                )
            headers = {"X-Repo-Commit": state["sha"], "ETag": f'"{hashlib.sha1(data).hexdigest()}"'}
            self._send(200, data, "application/octet-stream", headers)
        else:
            self._send(404, b"{}")

    do_HEAD = do_GET  # noqa: N815
