"""A local HTTPS server that answers the Kubernetes API's discovery and list endpoints with a fixed
set of objects, paginated with ``limit``/``continue`` as the real apiserver does.

The official Python client and the real ``kubectl`` binary both talk to it.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from seawall.k8s.collect import RESOURCES, Resource

TOKEN = "test-token-123"


class FakeAPI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, objects: Iterable[dict[str, Any]], cert: Path, key: Path, forbidden: tuple[str, ...] = ()
    ):
        super().__init__(("127.0.0.1", 0), _Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.by_kind: dict[str, list[dict[str, Any]]] = {}
        for obj in objects:
            self.by_kind.setdefault(obj["kind"], []).append(obj)
        self.forbidden = forbidden
        self.requests: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _groups() -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in RESOURCES:
        out.setdefault(r.group_version, []).append(r)
    return out


class _Handler(BaseHTTPRequestHandler):
    server: FakeAPI

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.server.requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._json(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 401})
            return
        path = url.path.rstrip("/")
        groups = _groups()
        if path == "/api":
            self._json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
            return
        if path == "/apis":
            items = []
            for gv in groups:
                if gv == "v1":
                    continue
                name, version = gv.split("/")
                v = {"groupVersion": gv, "version": version}
                items.append({"name": name, "versions": [v], "preferredVersion": v})
            self._json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": items})
            return
        if path == "/version":
            self._json(200, {"major": "1", "minor": "34", "gitVersion": "v1.34.0"})
            return
        for gv, resources in groups.items():
            base = "/api/v1" if gv == "v1" else f"/apis/{gv}"
            if path == base:
                listing = [
                    {
                        "name": r.plural,
                        "singularName": r.kind.lower(),
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get", "list", "watch"],
                    }
                    for r in resources
                ]
                self._json(200, {"kind": "APIResourceList", "groupVersion": gv, "resources": listing})
                return
            for r in resources:
                namespace = ""
                if path == f"{base}/{r.plural}":
                    pass
                elif (
                    r.namespaced and path.startswith(f"{base}/namespaces/") and path.endswith(f"/{r.plural}")
                ):
                    namespace = path[len(f"{base}/namespaces/") : -len(f"/{r.plural}")]
                else:
                    continue
                self._list(r, namespace, parse_qs(url.query))
                return
        self._json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})

    def _list(self, r: Resource, namespace: str, query: dict[str, list[str]]) -> None:
        if r.kind in self.server.forbidden:
            self._json(403, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 403})
            return
        objs = [
            {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
            for o in self.server.by_kind.get(r.kind, [])
            if not namespace or o.get("metadata", {}).get("namespace") == namespace
        ]
        limit = int(query.get("limit", ["0"])[0] or 0)
        start = int(query.get("continue", ["0"])[0] or 0)
        page = objs[start : start + limit] if limit else objs[start:]
        more = bool(limit) and start + limit < len(objs)
        meta = {"resourceVersion": "100"}
        if more:
            meta["continue"] = str(start + limit)
        self._json(
            200, {"kind": f"{r.kind}List", "apiVersion": r.group_version, "metadata": meta, "items": page}
        )


def kubeconfig(path: Path, server: str, ca: Path, token: str = TOKEN) -> Path:
    """A kubeconfig with one context, ``test``, for ``server``."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": "test", "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "current-context": "test",
    }
    path.write_text(json.dumps(doc))
    return path
