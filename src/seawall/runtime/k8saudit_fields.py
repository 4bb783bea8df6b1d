"""Kubernetes audit fields (``ka.*``, ``jevt.*``) as Falco's k8saudit and json plugins define them.

Each field is a function of the decoded audit ``Event`` (``event["_ka"]``). Values are computed on
first use and memoised in the event dict, because several rules read the same derived list (the
container images of a pod, say). Malformed audit objects give "no value", never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from seawall.runtime.events import RAW_AUDIT_KEY, Event
from seawall.runtime.fields import ARG_OPTIONAL, ARG_REQUIRED, BOOL, INT, STR, FieldDef, Getter

_MISS = object()
Raw = dict[str, Any]


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _memo(key: str, fn: Callable[[Raw], Any]) -> Getter:
    def get(e: Event) -> Any:
        v = e.get(key, _MISS)
        if v is _MISS:
            raw = e.get(RAW_AUDIT_KEY)
            try:
                v = fn(raw) if isinstance(raw, dict) else None
            except (TypeError, AttributeError, KeyError, ValueError, IndexError):
                v = None
            e[key] = v
        return v

    return get


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return orjson.dumps(v).decode()
    return str(v)


def _list(values: Iterable[Any]) -> list[Any] | None:
    out = [v for v in values if v is not None]
    return out or None


def _containers(raw: Raw, kind: str = "containers") -> list[dict[str, Any]]:
    obj = raw.get("requestObject")
    spec = _dig(obj, "spec")
    items = spec.get(kind) if isinstance(spec, dict) else None
    if items is None and kind == "ephemeralContainers":
        items = _dig(obj, "ephemeralContainers")  # the EphemeralContainers subresource object
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _repository(image: str) -> str:
    """``nginx:1.14`` -> ``nginx``; a registry port (``host:5000/app``) is not a tag."""
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


def _sc(container: dict[str, Any], key: str) -> Any:
    return _dig(container, "securityContext", key)


def _per_container(kind: str, fn: Callable[[dict[str, Any]], Any]) -> Callable[[Raw], Any]:
    return lambda raw: _list(fn(c) for c in _containers(raw, kind))


def _pod_sc(raw: Raw, key: str) -> Any:
    return _dig(raw, "requestObject", "spec", "securityContext", key)


def _eff(key: str) -> Callable[[Raw], Any]:
    def fn(raw: Raw) -> Any:
        pod = _pod_sc(raw, key)
        vals = []
        for c in _containers(raw):
            v = _sc(c, key)
            vals.append(v if v is not None else pod if pod is not None else 0)
        return _list(vals)

    return fn


def _rules(raw: Raw) -> list[dict[str, Any]]:
    rules = _dig(raw, "requestObject", "rules")
    return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []


def _rule_items(key: str) -> Callable[[Raw], Any]:
    def fn(raw: Raw) -> Any:
        out: list[str] = []
        for r in _rules(raw):
            v = r.get(key)
            if isinstance(v, list):
                out.extend(str(x) for x in v)
        return out or None

    return fn


def _volumes(raw: Raw) -> list[dict[str, Any]]:
    vols = _dig(raw, "requestObject", "spec", "volumes")
    return [v for v in vols if isinstance(v, dict)] if isinstance(vols, list) else []


def json_pointer(obj: Any, pointer: str) -> Any:
    """RFC 6901: resolve ``/a/b~1c/0`` in ``obj``; ``_MISS``-free: returns None when absent."""
    if pointer == "":
        return obj
    if not pointer.startswith("/"):
        return None
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(obj, dict):
            if token not in obj:
                return None
            obj = obj[token]
        elif isinstance(obj, list) and token.isdigit() and int(token) < len(obj):
            obj = obj[int(token)]
        else:
            return None
    return obj


def _simple(name: str, fn: Callable[[Raw], Any], type_: str = STR, is_list: bool = False) -> FieldDef:
    getter = _memo(name, fn)
    return FieldDef(name, type=type_, is_list=is_list, compute=lambda _arg: getter)


def _with_arg(
    name: str, fn: Callable[[Raw, str], Any], type_: str = STR, arg: str = ARG_REQUIRED
) -> FieldDef:
    def make(a: str | None) -> Getter:
        return _memo(f"{name}[{a}]", lambda raw: fn(raw, a or ""))

    return FieldDef(name, type=type_, arg=arg, compute=make)


def _uri_param(raw: Raw, key: str) -> Any:
    values = parse_qs(urlsplit(str(raw.get("requestURI", ""))).query).get(key)
    return values[0] if values else None


def _image_at(raw: Raw, arg: str) -> Any:
    images = [c.get("image") for c in _containers(raw)]
    if arg == "":
        return _list(images)
    i = int(arg)
    return images[i] if 0 <= i < len(images) else None


def _rawtime(raw: Raw) -> int | None:
    from datetime import datetime

    ts = raw.get("stageTimestamp") or raw.get("requestReceivedTimestamp")
    if not isinstance(ts, str):
        return None
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _containers_fields(prefix: str, kind: str) -> list[FieldDef]:
    return [
        _simple(f"{prefix}.image", _per_container(kind, lambda c: c.get("image")), is_list=True),
        _simple(
            f"{prefix}.image.repository",
            _per_container(kind, lambda c: _repository(str(c.get("image", "")))),
            is_list=True,
        ),
        _simple(
            f"{prefix}.privileged",
            _per_container(kind, lambda c: bool(_sc(c, "privileged"))),
            BOOL,
            is_list=True,
        ),
    ]


K8S_AUDIT_FIELDS: list[FieldDef] = [
    _simple("ka.auditid", lambda r: r.get("auditID")),
    _simple("ka.stage", lambda r: r.get("stage")),
    _simple("ka.auth.decision", lambda r: _dig(r, "annotations", "authorization.k8s.io/decision")),
    _simple("ka.auth.reason", lambda r: _dig(r, "annotations", "authorization.k8s.io/reason")),
    _simple("ka.user.name", lambda r: _dig(r, "user", "username")),
    _simple("ka.user.groups", lambda r: _list(_dig(r, "user", "groups") or []), is_list=True),
    _simple("ka.impuser.name", lambda r: _dig(r, "impersonatedUser", "username")),
    _simple("ka.verb", lambda r: r.get("verb")),
    _simple("ka.uri", lambda r: r.get("requestURI")),
    _with_arg("ka.uri.param", _uri_param),
    _simple("ka.target.name", lambda r: _dig(r, "objectRef", "name")),
    _simple("ka.target.namespace", lambda r: _dig(r, "objectRef", "namespace")),
    _simple("ka.target.resource", lambda r: _dig(r, "objectRef", "resource")),
    _simple("ka.target.subresource", lambda r: _dig(r, "objectRef", "subresource")),
    _simple(
        "ka.req.binding.subjects",
        lambda r: _list(_str(s.get("name")) for s in _dig(r, "requestObject", "subjects") or []),
        is_list=True,
    ),
    _with_arg(
        "ka.req.binding.subject.has_name",
        lambda r, a: any(s.get("name") == a for s in _dig(r, "requestObject", "subjects") or []),
        BOOL,
    ),
    _simple("ka.req.binding.role", lambda r: _dig(r, "requestObject", "roleRef", "name")),
    _simple(
        "ka.req.configmap.name",
        lambda r: _dig(r, "objectRef", "name") if _dig(r, "objectRef", "resource") == "configmaps" else None,
    ),
    _simple("ka.req.configmap.obj", lambda r: _str(_dig(r, "requestObject", "data"))),
    FieldDef(
        "ka.req.pod.containers.image",
        is_list=True,
        arg=ARG_OPTIONAL,
        compute=lambda a: _memo(f"ka.req.pod.containers.image[{a}]", lambda r: _image_at(r, a or "")),
    ),
    *_containers_fields("ka.req.pod.containers", "containers")[1:],
    *_containers_fields("ka.req.pod.initContainers", "initContainers"),
    *_containers_fields("ka.req.pod.ephemeralContainers", "ephemeralContainers"),
    _simple("ka.req.container.image", lambda r: next((c.get("image") for c in _containers(r)), None)),
    _simple(
        "ka.req.container.image.repository",
        lambda r: next((_repository(str(c.get("image", ""))) for c in _containers(r)), None),
    ),
    _simple(
        "ka.req.container.privileged",
        lambda r: any(bool(_sc(c, "privileged")) for c in _containers(r)) if _containers(r) else None,
        BOOL,
    ),
    _simple("ka.req.pod.host_ipc", lambda r: bool(_dig(r, "requestObject", "spec", "hostIPC")), BOOL),
    _simple("ka.req.pod.host_network", lambda r: bool(_dig(r, "requestObject", "spec", "hostNetwork")), BOOL),
    _simple(
        "ka.req.container.host_network", lambda r: bool(_dig(r, "requestObject", "spec", "hostNetwork")), BOOL
    ),
    _simple("ka.req.pod.host_pid", lambda r: bool(_dig(r, "requestObject", "spec", "hostPID")), BOOL),
    _simple(
        "ka.req.pod.containers.host_port",
        lambda r: _list(
            p.get("hostPort") for c in _containers(r) for p in (c.get("ports") or []) if isinstance(p, dict)
        ),
        INT,
        is_list=True,
    ),
    _simple(
        "ka.req.pod.containers.allow_privilege_escalation",
        _per_container("containers", lambda c: bool(_sc(c, "allowPrivilegeEscalation"))),
        BOOL,
        is_list=True,
    ),
    _simple(
        "ka.req.pod.containers.read_only_fs",
        _per_container("containers", lambda c: bool(_sc(c, "readOnlyRootFilesystem"))),
        BOOL,
        is_list=True,
    ),
    _simple("ka.req.pod.run_as_user", lambda r: _pod_sc(r, "runAsUser"), INT),
    _simple("ka.req.pod.run_as_group", lambda r: _pod_sc(r, "runAsGroup"), INT),
    _simple("ka.req.pod.fs_group", lambda r: _pod_sc(r, "fsGroup"), INT),
    _simple(
        "ka.req.pod.supplemental_groups", lambda r: _list(_pod_sc(r, "supplementalGroups") or []), INT, True
    ),
    _simple(
        "ka.req.pod.containers.run_as_user",
        _per_container("containers", lambda c: _sc(c, "runAsUser")),
        INT,
        is_list=True,
    ),
    _simple(
        "ka.req.pod.containers.run_as_group",
        _per_container("containers", lambda c: _sc(c, "runAsGroup")),
        INT,
        is_list=True,
    ),
    _simple("ka.req.pod.containers.eff_run_as_user", _eff("runAsUser"), INT, is_list=True),
    _simple("ka.req.pod.containers.eff_run_as_group", _eff("runAsGroup"), INT, is_list=True),
    _simple(
        "ka.req.pod.containers.proc_mount",
        _per_container("containers", lambda c: _sc(c, "procMount") or "Default"),
        is_list=True,
    ),
    _simple(
        "ka.req.pod.containers.add_capabilities",
        lambda r: _list(
            str(cap)
            for c in _containers(r)
            for cap in (_dig(c, "securityContext", "capabilities", "add") or [])
        ),
        is_list=True,
    ),
    _simple("ka.req.role.rules", lambda r: _list(_str(x) for x in _rules(r)), is_list=True),
    _simple("ka.req.role.rules.apiGroups", _rule_items("apiGroups"), is_list=True),
    _simple("ka.req.role.rules.nonResourceURLs", _rule_items("nonResourceURLs"), is_list=True),
    _simple("ka.req.role.rules.verbs", _rule_items("verbs"), is_list=True),
    _simple("ka.req.role.rules.resources", _rule_items("resources"), is_list=True),
    _simple("ka.req.service.type", lambda r: _dig(r, "requestObject", "spec", "type")),
    _simple(
        "ka.req.service.ports",
        lambda r: _list(_str(p) for p in _dig(r, "requestObject", "spec", "ports") or []),
        is_list=True,
    ),
    _simple(
        "ka.req.pod.volumes.hostpath",
        lambda r: _list(_dig(v, "hostPath", "path") for v in _volumes(r)),
        is_list=True,
    ),
    _with_arg(
        "ka.req.volume.hostpath",
        lambda r, a: any(_dig(v, "hostPath", "path") == a for v in _volumes(r)),
        BOOL,
    ),
    _simple(
        "ka.req.pod.volumes.flexvolume_driver",
        lambda r: _list(_dig(v, "flexVolume", "driver") for v in _volumes(r)),
        is_list=True,
    ),
    _simple(
        "ka.req.pod.volumes.volume_type",
        lambda r: _list(next((k for k in v if k != "name"), None) for v in _volumes(r)),
        is_list=True,
    ),
    _simple("ka.resp.name", lambda r: _dig(r, "responseObject", "metadata", "name")),
    _simple("ka.response.code", lambda r: _str(_dig(r, "responseStatus", "code"))),
    _simple("ka.response.reason", lambda r: _dig(r, "responseStatus", "reason")),
    _simple("ka.useragent", lambda r: r.get("userAgent")),
    _simple("ka.sourceips", lambda r: _list(r.get("sourceIPs") or []), is_list=True),
    _simple("ka.cluster.name", lambda r: None),
    _with_arg("jevt.value", lambda r, a: _str(json_pointer(r, a))),
    _with_arg("json.value", lambda r, a: _str(json_pointer(r, a))),
    _simple("jevt.obj", _str),
    _simple("json.obj", _str),
    _simple("jevt.rawtime", _rawtime, INT),
    _simple("jevt.time", lambda r: r.get("stageTimestamp")),
    _simple("jevt.time.iso8601", lambda r: r.get("stageTimestamp")),
]
