"""Collect cluster objects: live through the official ``kubernetes`` client (paginated list calls),
or from a snapshot written by ``kubectl get <kinds> -A -o json``.

Objects are kept as plain dicts in the API's JSON shape; ``managedFields`` and the
``last-applied-configuration`` annotation are dropped on arrival because they often double an
object's size and no check reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from seawall.errors import SeawallError, UsageError

log = logging.getLogger("seawall.k8s")

MAX_SNAPSHOT_BYTES = 1 << 30  # one file; a 20,000-object snapshot is about 60 MiB
STREAM_ABOVE_BYTES = 16 << 20  # larger snapshots are parsed item by item (see _stream_items)
MAX_DEPTH = 256  # Kubernetes objects nest about 20 levels deep
PAGE_SIZE = 500
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True, slots=True)
class Resource:
    """One listable resource: where the API serves it and the kind its items have."""

    group_version: str  # "v1", "apps/v1"
    plural: str
    kind: str
    namespaced: bool = True

    def path(self, namespace: str = "") -> str:
        """The list endpoint, cluster-wide or in one namespace."""
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if namespace and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


# Secrets are not read: the analyses need only which pods reference them, never their data.
RESOURCES: tuple[Resource, ...] = (
    Resource("v1", "namespaces", "Namespace", namespaced=False),
    Resource("v1", "pods", "Pod"),
    Resource("v1", "services", "Service"),
    Resource("v1", "serviceaccounts", "ServiceAccount"),
    Resource("v1", "replicationcontrollers", "ReplicationController"),
    Resource("apps/v1", "deployments", "Deployment"),
    Resource("apps/v1", "statefulsets", "StatefulSet"),
    Resource("apps/v1", "daemonsets", "DaemonSet"),
    Resource("apps/v1", "replicasets", "ReplicaSet"),
    Resource("batch/v1", "jobs", "Job"),
    Resource("batch/v1", "cronjobs", "CronJob"),
    Resource("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy"),
    Resource("networking.k8s.io/v1", "ingresses", "Ingress"),
    Resource("rbac.authorization.k8s.io/v1", "roles", "Role"),
    Resource("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding"),
    Resource("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", namespaced=False),
    Resource("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
)

KUBECTL_KINDS = ",".join(
    f"{r.plural}.{r.group_version.split('/')[0]}" if "/" in r.group_version else r.plural for r in RESOURCES
)
SNAPSHOT_COMMAND = f"kubectl get {KUBECTL_KINDS} -A -o json > cluster.json"


class CollectError(SeawallError):
    """The cluster or the snapshot could not be read."""


@dataclass(frozen=True, slots=True)
class Collection:
    """The objects of one cluster and where they came from."""

    source: str  # the snapshot path or the API server URL
    objects: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...] = ()


def slim(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop fields that only cost memory: managedFields and the last-applied annotation."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    return obj


def _items(data: Any, where: str) -> Iterator[dict[str, Any]]:
    """Objects of a ``List`` (or one bare object) that have a kind and an apiVersion."""
    if not isinstance(data, Mapping):
        raise CollectError(f"{where}: not a Kubernetes object or List (top level is {type(data).__name__})")
    items = data.get("items")
    if isinstance(items, list):
        list_kind = str(data.get("kind", ""))
        item_kind = list_kind.removesuffix("List") if list_kind not in ("", "List") else ""
        skipped = 0
        for item in items:
            if not isinstance(item, dict):
                skipped += 1
                continue
            if item_kind and "kind" not in item:
                item["kind"] = item_kind
            if "apiVersion" not in item and isinstance(data.get("apiVersion"), str) and item_kind:
                item["apiVersion"] = data["apiVersion"]
            if isinstance(item.get("kind"), str) and isinstance(item.get("apiVersion"), str):
                yield slim(item)
            else:
                skipped += 1
        if skipped:
            log.warning("%s: skipped %d item(s) without kind/apiVersion", where, skipped)
        return
    if isinstance(data.get("kind"), str) and isinstance(data.get("apiVersion"), str):
        yield slim(dict(data))
        return
    raise CollectError(f"{where}: not a Kubernetes object or List (no kind/apiVersion, no items)")


def load_snapshot(path: Path) -> Collection:
    """Objects from a ``kubectl get ... -o json`` file, or every ``*.json`` file of a directory."""
    if not path.exists():
        raise UsageError(f"snapshot {path} does not exist")
    files = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise UsageError(f"snapshot directory {path} holds no *.json file")
    objects: list[dict[str, Any]] = []
    warnings: list[str] = []
    for file in files:
        try:
            objects.extend(_read_file(file))
        except CollectError as exc:
            if not path.is_dir():
                raise
            warnings.append(str(exc))  # one bad file of a directory: skip it, say so
    unique = dedupe(objects)
    if len(unique) < len(objects):
        warnings.append(f"{path}: {len(objects) - len(unique)} duplicate object(s) ignored")
    return Collection(str(path), tuple(unique), tuple(warnings))


def dedupe(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first object of each (apiVersion group, kind, namespace, name): a cluster holds one of each."""
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for obj in objects:
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        key = (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if key not in seen:
            seen.add(key)
            out.append(obj)
    return out


def _read_file(file: Path) -> list[dict[str, Any]]:
    try:
        size = file.stat().st_size
        if size > MAX_SNAPSHOT_BYTES:
            raise CollectError(f"{file}: {size} bytes is over the {MAX_SNAPSHOT_BYTES}-byte snapshot limit")
        if size > STREAM_ABOVE_BYTES:
            streamed = _stream_items(file)
            if streamed is not None:
                return streamed
        raw = file.read_bytes()
    except OSError as exc:
        raise CollectError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CollectError(f"{file}: invalid JSON: {exc}") from exc
    del raw
    return list(_items(data, str(file)))


_KEEP = b'"[]{}'
_BRACKETS = bytes.maketrans(b"[]{}", b"()()")
_DROP = bytes(i for i in range(256) if i not in _KEEP)


def _check_nesting(file: Path, limit: int = MAX_DEPTH) -> None:
    """CollectError if JSON nests deeper than ``limit``: the streaming parser has no depth limit, and
    a file of nothing but ``[`` would make it build millions of nested lists.

    Linear and in C: escapes are removed, every byte but quotes and brackets dropped, string contents
    (odd segments between quotes) dropped, then innermost ``()`` pairs are removed once per level.
    """
    data = file.read_bytes().replace(b"\\\\", b"").replace(b'\\"', b"")
    # Empty strings go first: removing two adjacent quotes changes no byte's inside/outside status.
    marks = data.translate(_BRACKETS, _DROP).replace(b'""', b"")
    del data
    brackets = b"".join(marks.split(b'"')[0::2])
    del marks
    for _ in range(limit):
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    if brackets:
        raise CollectError(f"{file}: invalid JSON: unbalanced brackets or nesting deeper than {limit} levels")


def _stream_items(file: Path) -> list[dict[str, Any]] | None:
    """The items of a large List, parsed one at a time and slimmed at once; None if it holds no items.

    Parsing a whole 100 MB snapshot at once costs about 8 bytes of memory per byte of JSON, most of it
    managedFields that are dropped anyway; one item at a time keeps the peak at the slimmed objects.
    """
    import ijson

    _check_nesting(file)
    out: list[dict[str, Any]] = []
    skipped = 0
    try:
        with file.open("rb") as fh:
            for item in ijson.items(fh, "items.item", use_float=True):
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("kind"), str)
                    and isinstance(item.get("apiVersion"), str)
                ):
                    out.append(slim(item))
                else:
                    skipped += 1
    except ijson.JSONError as exc:
        raise CollectError(f"{file}: invalid JSON: {exc}") from exc
    if skipped:
        log.warning("%s: skipped %d item(s) without kind/apiVersion", file, skipped)
    return out or None


def load_live(
    kubeconfig: Path | None = None,
    context: str | None = None,
    namespace: str = "",
    resources: Iterable[Resource] = RESOURCES,
    page_size: int = PAGE_SIZE,
) -> Collection:
    """List every resource through the API server of the kubeconfig's context, ``page_size`` items a call."""
    try:
        from kubernetes import config as kconfig
        from kubernetes.config.config_exception import ConfigException
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise CollectError("the kubernetes package is not installed") from exc
    try:
        api = kconfig.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig) if kubeconfig else None, context=context or None
        )
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot load kubeconfig: {exc}") from exc
    objects: list[dict[str, Any]] = []
    warnings: list[str] = []
    host = str(api.configuration.host)
    try:
        for res in resources:
            try:
                objects.extend(_list_all(api, res, namespace, page_size))
            except _Skip as exc:
                # 403 (no RBAC for this kind) or 404 (API group not served): audit the rest.
                warnings.append(str(exc))
    except OSError as exc:
        raise CollectError(f"cannot reach the API server {host}: {exc}") from exc
    except Exception as exc:
        # urllib3 wraps connection failures in its own hierarchy (MaxRetryError is no OSError).
        if type(exc).__module__.startswith("urllib3"):
            raise CollectError(f"cannot reach the API server {host}: {exc}") from exc
        raise
    finally:
        api.close()
    return Collection(host, tuple(objects), tuple(warnings))


class _Skip(Exception):
    """A kind the API server will not list for us (403, 404): audit the rest."""


def _list_all(api: Any, res: Resource, namespace: str, page_size: int) -> Iterator[dict[str, Any]]:
    token = ""
    pages = 0
    path = res.path(namespace)
    while True:
        query: list[tuple[str, Any]] = [("limit", page_size)]
        if token:
            query.append(("continue", token))
        method, url, headers, _, _ = api.param_serialize(
            "GET",
            path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = api.call_api(method, url, header_params=headers, _request_timeout=60)
        # Raw JSON (not the client's model objects): ten times faster and already in the API's shape.
        body = response.read()
        if response.status == 401:
            raise CollectError(
                f"{api.configuration.host}: unauthorized (401): check the kubeconfig's credentials"
            )
        if response.status in (403, 404):
            raise _Skip(f"{res.kind}: not listed: {response.status} {response.reason}")
        if response.status != 200:
            raise CollectError(f"{path}: the API server answered {response.status} {response.reason}")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise CollectError(f"{path}: invalid JSON from the API server: {exc}") from exc
        del body
        if not isinstance(data, dict):
            raise CollectError(f"{path}: the API server answered no List")
        for item in data.get("items") or ():
            if isinstance(item, dict):
                item.setdefault("kind", res.kind)
                item.setdefault("apiVersion", res.group_version)
                yield slim(item)
        token = str((data.get("metadata") or {}).get("continue") or "")
        pages += 1
        if not token:
            return
        if pages > 100_000:
            raise CollectError(f"{path}: the API server never ended the list")
