"""A failing and a passing fixture for every built-in check: {check id: (target, failing, passing)}.

Kubernetes fixtures start from a hardened workload that passes every check and change one thing.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

DIGEST = "@sha256:" + "a" * 64


def _container(**over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": "app",
        "image": "registry.example/app:1.2.3" + DIGEST,
        "imagePullPolicy": "Always",
        "resources": {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"cpu": "1", "memory": "128Mi"},
        },
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    return _merge(c, over)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


NETPOL = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "default-deny", "namespace": "apps"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}


def deployment(
    spec: dict[str, Any] | None = None, container: dict[str, Any] | None = None, **meta: Any
) -> str:
    """A hardened Deployment (plus a NetworkPolicy) with ``spec``/``container`` changes merged in."""
    pod_spec: dict[str, Any] = {
        "serviceAccountName": "app",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [_container(**(container or {}))],
    }
    pod_spec = _merge(pod_spec, spec or {})
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _merge({"name": "app", "namespace": "apps"}, meta),
        "spec": {
            "selector": {"matchLabels": {"app": "app"}},
            "template": {"metadata": {"labels": {"app": "app"}}, "spec": pod_spec},
        },
    }
    return yaml.safe_dump_all([obj, NETPOL], sort_keys=False)


def doc(*objs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(objs), sort_keys=False)


def role(rules: list[dict[str, Any]], kind: str = "ClusterRole", name: str = "r") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if kind == "Role":
        meta["namespace"] = "apps"
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules}


def binding(
    role_name: str, subjects: list[dict[str, Any]], kind: str = "ClusterRoleBinding"
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "b"}
    if kind == "RoleBinding":
        meta["namespace"] = "apps"
    ref_kind = "ClusterRole"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": role_name},
        "subjects": subjects,
    }


def rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _df(body: str) -> str:
    return "FROM debian:12.7\n" + body + "\nHEALTHCHECK CMD true\nUSER app\n"


GOOD_DF = _df('CMD ["app"]')
SA = {"kind": "ServiceAccount", "name": "app", "namespace": "apps"}

DOCKERFILE: dict[str, tuple[str, str]] = {
    "DS001": ("FROM debian:12.7\nHEALTHCHECK CMD true\nUSER root\n", GOOD_DF),
    "DS002": ("FROM debian:12.7\nHEALTHCHECK CMD true\n", GOOD_DF),
    "DS003": ("FROM debian\nHEALTHCHECK CMD true\nUSER app\n", GOOD_DF),
    "DS004": (_df("ADD app.py /app/"), _df("ADD rootfs.tar.gz /")),
    "DS005": (
        _df("ADD https://example.com/x.sh /x.sh"),
        _df("ADD --checksum=sha256:ab https://example.com/x.sh /"),
    ),
    "DS006": (
        _df("RUN curl -fsSL https://get.example.com | sh"),
        _df("RUN curl -fsSLo /x https://example.com/x"),
    ),
    "DS007": (_df("RUN apt-get install --no-install-recommends curl=7"), _df("RUN apt-get install -y foo=1")),
    "DS008": (
        _df("RUN apt-get update && apt-get install -y foo=1 && rm -rf /var/lib/apt/lists/*"),
        _df(
            "RUN apt-get update && apt-get install -y --no-install-recommends foo=1 && rm -rf /var/lib/apt/lists/*"
        ),
    ),
    "DS009": (
        _df("RUN apt-get update && apt-get install -y --no-install-recommends foo=1"),
        _df(
            "RUN apt-get update && apt-get install -y --no-install-recommends foo=1 && rm -rf /var/lib/apt/lists/*"
        ),
    ),
    "DS010": (
        _df("RUN apt-get update\nRUN apt-get install -y foo=1"),
        _df("RUN apt-get update && apt-get install -y x=1"),
    ),
    "DS011": (
        _df("RUN apt-get install -y --no-install-recommends foo"),
        _df("RUN apt-get install -y foo=1.0-1"),
    ),
    "DS012": (_df("RUN apk add tini=0.19.0-r1"), _df("RUN apk add --no-cache tini=0.19.0-r1")),
    "DS013": (_df("RUN apk add --no-cache tini"), _df("RUN apk add --no-cache tini=0.19.0-r1")),
    "DS014": (_df("RUN yum install -y httpd"), _df("RUN yum install -y httpd && yum clean all")),
    "DS015": (_df("RUN dnf install -y httpd"), _df("RUN dnf install -y httpd && dnf clean all")),
    "DS016": (_df("RUN zypper -n install httpd"), _df("RUN zypper -n install httpd && zypper clean")),
    "DS017": (_df("RUN pip install flask==3.0"), _df("RUN pip install --no-cache-dir flask==3.0")),
    "DS018": (_df("RUN sudo make install"), _df("RUN make install")),
    "DS019": (_df("ENV DB_PASSWORD=hunter2"), _df("ENV DB_PASSWORD_FILE=/run/secrets/db")),
    "DS020": (_df("ARG NPM_TOKEN"), _df("ARG VERSION")),
    "DS021": (_df("EXPOSE 22"), _df("EXPOSE 8080")),
    "DS022": ("FROM debian:12.7\nUSER app\n", GOOD_DF),
    "DS023": (_df('CMD ["a"]\nCMD ["b"]'), _df('CMD ["b"]')),
    "DS024": (_df('ENTRYPOINT ["a"]\nENTRYPOINT ["b"]'), _df('ENTRYPOINT ["b"]')),
    "DS025": (_df("WORKDIR app"), _df("WORKDIR /app")),
    "DS026": (_df("RUN chmod 777 /app"), _df("RUN chmod 755 /app")),
    "DS027": (_df("RUN --security=insecure make"), _df("RUN --network=none make")),
    "DS028": (_df("COPY src /app\nRUN chown -R app /app"), _df("COPY --chown=app src /app")),
    "DS029": (_df("MAINTAINER me@example.com"), _df('LABEL org.opencontainers.image.authors="me"')),
    "DS030": (
        "FROM debian:12.7 AS build\nFROM debian:12.7 AS build\nHEALTHCHECK CMD true\nUSER app\n",
        "FROM debian:12.7 AS build\nFROM debian:12.7 AS run\nHEALTHCHECK CMD true\nUSER app\n",
    ),
    "DS031": (_df("RUN apt install -y foo=1"), _df("RUN apt-get install -y foo=1")),
    "DS032": (_df("RUN cd /app"), _df("RUN cd /app && make")),
    "DS033": (
        "FROM debian:12.7 AS a\nCOPY --from=a /x /y\nHEALTHCHECK CMD true\nUSER app\n",
        "FROM debian:12.7 AS a\nFROM debian:12.7\nCOPY --from=a /x /y\nHEALTHCHECK CMD true\nUSER app\n",
    ),
    "DS034": (_df("RUN curl -k -o /x https://example.com/x"), _df("RUN curl -o /x https://example.com/x")),
    "DS035": (_df("RUN apk add --no-cache --allow-untrusted /tmp/x.apk"), _df("RUN apk add --no-cache x=1")),
    "DS036": (_df("ENV NODE_TLS_REJECT_UNAUTHORIZED=0"), _df("ENV NODE_TLS_REJECT_UNAUTHORIZED=1")),
    "DS037": (_df("RUN echo 'root:x' | chpasswd"), _df("RUN passwd -l root")),
    "DS038": (
        "FROM evil.example.com/base:1.0\nHEALTHCHECK CMD true\nUSER app\n",
        "FROM quay.io/base/image:1.0\nHEALTHCHECK CMD true\nUSER app\n",
    ),
    "DS039": (
        _df("RUN apk add --no-cache gcc=13 curl=8"),
        _df("RUN apk add --no-cache tini=0.19.0-r1"),
    ),
    "DS040": (_df("CMD python app.py"), _df('CMD ["python", "app.py"]')),
    "DS041": (
        _df("RUN wget -qO- https://x/y.tgz | tar xz"),
        _df("RUN set -o pipefail && wget -qO- https://x | tar xz"),
    ),
    "DS042": (_df("COPY id_rsa /root/.ssh/id_rsa"), _df("COPY id_rsa.pub /root/.ssh/authorized_keys")),
    "DS043": (_df("COPY a b /app"), _df("COPY a b /app/")),
    "DS044": (
        "FROM --platform=linux/amd64 debian:12.7\nHEALTHCHECK CMD true\nUSER app\n",
        "FROM --platform=$BUILDPLATFORM debian:12.7\nHEALTHCHECK CMD true\nUSER app\n",
    ),
    "DS045": (_df("HEALTHCHECK CMD false"), GOOD_DF),
    "DS046": (_df("EXPOSE 80000"), _df("EXPOSE 8080/udp")),
}

GOOD_K8S = deployment()
_PV = rule([""], ["persistentvolumes"], ["create"])

KUBERNETES: dict[str, tuple[str, str]] = {
    "K8S001": (deployment({"securityContext": {"windowsOptions": {"hostProcess": True}}}), GOOD_K8S),
    "K8S002": (deployment({"hostNetwork": True}), deployment({"hostNetwork": False})),
    "K8S003": (deployment({"hostPID": True}), GOOD_K8S),
    "K8S004": (deployment({"hostIPC": True}), GOOD_K8S),
    "K8S005": (deployment(container={"securityContext": {"privileged": True}}), GOOD_K8S),
    "K8S006": (
        deployment(container={"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}),
        deployment(container={"securityContext": {"capabilities": {"add": ["CHOWN"]}}}),
    ),
    "K8S007": (
        deployment({"volumes": [{"name": "v", "hostPath": {"path": "/srv/data"}}]}),
        deployment({"volumes": [{"name": "v", "emptyDir": {}}]}),
    ),
    "K8S008": (
        deployment(container={"ports": [{"containerPort": 80, "hostPort": 8080}]}),
        deployment(container={"ports": [{"containerPort": 80}]}),
    ),
    "K8S009": (
        deployment({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}),
        deployment({"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}),
    ),
    "K8S010": (
        deployment({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}),
        deployment({"securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c1"}}}),
    ),
    "K8S011": (deployment(container={"securityContext": {"procMount": "Unmasked"}}), GOOD_K8S),
    "K8S012": (
        deployment(container={"securityContext": {"seccompProfile": {"type": "Unconfined"}}}),
        GOOD_K8S,
    ),
    "K8S013": (
        deployment({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}),
        deployment({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]}}),
    ),
    "K8S014": (
        deployment(container={"livenessProbe": {"httpGet": {"host": "10.0.0.1", "path": "/", "port": 80}}}),
        GOOD_K8S,
    ),
    "K8S015": (
        deployment({"volumes": [{"name": "n", "nfs": {"server": "nfs", "path": "/x"}}]}),
        deployment({"volumes": [{"name": "c", "configMap": {"name": "c"}}]}),
    ),
    "K8S016": (deployment(container={"securityContext": {"allowPrivilegeEscalation": None}}), GOOD_K8S),
    "K8S017": (
        deployment({"securityContext": {"runAsNonRoot": None}}, {"securityContext": {"runAsNonRoot": None}}),
        deployment(container={"securityContext": {"runAsNonRoot": None}}),  # inherited from the pod
    ),
    "K8S018": (deployment({"securityContext": {"runAsUser": 0}}), GOOD_K8S),
    "K8S019": (
        deployment(
            {"securityContext": {"seccompProfile": None}}, {"securityContext": {"seccompProfile": None}}
        ),
        deployment(container={"securityContext": {"seccompProfile": None}}),  # inherited from the pod
    ),
    "K8S020": (deployment(container={"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}), GOOD_K8S),
    "K8S021": (deployment(container={"resources": {"limits": {"memory": None}}}), GOOD_K8S),
    "K8S022": (deployment(container={"resources": {"limits": {"cpu": None}}}), GOOD_K8S),
    "K8S023": (deployment(container={"resources": {"requests": {"memory": None}}}), GOOD_K8S),
    "K8S024": (deployment(container={"resources": {"requests": {"cpu": None}}}), GOOD_K8S),
    "K8S025": (
        deployment(container={"image": "nginx:latest"}),
        deployment(container={"image": "nginx:1.27"}),
    ),
    "K8S026": (deployment(container={"image": "nginx:1.27"}), GOOD_K8S),
    "K8S027": (
        deployment(container={"image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}),
        deployment(container={"image": "nginx:1.27", "imagePullPolicy": "Always"}),
    ),
    "K8S028": (deployment({"automountServiceAccountToken": None}), GOOD_K8S),
    "K8S029": (deployment(namespace="default"), GOOD_K8S),
    "K8S030": (deployment({"serviceAccountName": None}), GOOD_K8S),
    "K8S031": (deployment(container={"livenessProbe": None}), GOOD_K8S),
    "K8S032": (deployment(container={"readinessProbe": None}), GOOD_K8S),
    "K8S033": (deployment(container={"securityContext": {"readOnlyRootFilesystem": False}}), GOOD_K8S),
    "K8S034": (
        deployment(
            container={"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}
        ),
        deployment(container={"env": [{"name": "P", "value": "x"}]}),
    ),
    "K8S035": (
        deployment({"volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}]}),
        deployment({"volumes": [{"name": "d", "hostPath": {"path": "/srv/cache"}}]}),
    ),
    "K8S036": (
        deployment(container={"securityContext": {"capabilities": {"drop": ["CHOWN"]}}}),
        deployment(container={"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}),
    ),
    "K8S037": (deployment(container={"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}), GOOD_K8S),
    "K8S038": (
        doc({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "NodePort"}}),
        doc(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s"},
                "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]},
            }
        ),
    ),
    "K8S039": (deployment().split("---")[0], GOOD_K8S),
    "K8S040": (
        deployment(
            container={"securityContext": {"runAsUser": None}}, spec={"securityContext": {"runAsUser": 1000}}
        ),
        GOOD_K8S,
    ),
    "K8S041": (
        doc(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "apps"},
            }
        ),
        doc(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "apps"},
                "automountServiceAccountToken": False,
            }
        ),
    ),
    "K8S042": (
        doc(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": "i",
                    "annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "x"},
                },
            }
        ),
        doc(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
            }
        ),
    ),
    "RBAC015": (
        doc(role([rule([""], ["services/status"], ["patch"])])),
        doc(role([rule([""], ["services/status"], ["get"])])),
    ),
    "RBAC001": (doc(role([rule([""], ["*"], ["get"])])), doc(role([rule([""], ["pods"], ["get"])]))),
    "RBAC002": (
        doc(role([rule([""], ["secrets"], ["list"])])),
        doc(role([{**rule([""], ["secrets"], ["get"]), "resourceNames": ["app-config"]}])),
    ),
    "RBAC003": (
        doc(role([rule([""], ["pods/exec"], ["create"])])),
        doc(role([rule([""], ["pods/log"], ["get"])])),
    ),
    "RBAC004": (
        doc(role([rule(["apps"], ["deployments"], ["create"])])),
        doc(role([rule(["apps"], ["deployments"], ["get"])])),
    ),
    "RBAC005": (
        doc(role([rule([""], ["users"], ["impersonate"])])),
        doc(role([rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["get"])])),
    ),
    "RBAC006": (
        doc(role([rule([""], ["nodes/proxy"], ["get"])])),
        doc(role([rule([""], ["nodes"], ["get"])])),
    ),
    "RBAC007": (
        doc(role([rule([""], ["serviceaccounts/token"], ["create"])])),
        doc(role([rule([""], ["serviceaccounts"], ["get"])])),
    ),
    "RBAC008": (
        doc(role([rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"])])),
        doc(role([rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["create"])])),
    ),
    "RBAC009": (
        doc(role([rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["patch"])])),
        doc(role([rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["get"])])),
    ),
    "RBAC010": (doc(role([_PV])), doc(role([rule([""], ["persistentvolumeclaims"], ["create"])]))),
    "RBAC011": (
        doc(binding("cluster-admin", [{"kind": "User", "name": "alice"}])),
        doc(binding("view", [{"kind": "User", "name": "alice"}])),
    ),
    "RBAC012": (
        doc(binding("view", [{"kind": "Group", "name": "system:authenticated"}])),
        doc(binding("view", [{"kind": "Group", "name": "developers"}])),
    ),
    "RBAC013": (
        doc(binding("view", [{"kind": "Group", "name": "system:masters"}])),
        doc(binding("view", [{"kind": "Group", "name": "ops"}])),
    ),
    "RBAC014": (
        doc(binding("view", [{"kind": "ServiceAccount", "name": "default", "namespace": "apps"}])),
        doc(binding("view", [SA])),
    ),
}


def _compose(**svc: Any) -> str:
    base: dict[str, Any] = {"image": "nginx:1.27", "user": "101:101", "mem_limit": "256m"}
    return yaml.safe_dump({"services": {"web": _merge(base, svc)}}, sort_keys=False)


GOOD_COMPOSE = _compose()
COMPOSE: dict[str, tuple[str, str]] = {
    "COMPOSE001": (_compose(privileged=True), GOOD_COMPOSE),
    "COMPOSE002": (_compose(cap_add=["SYS_ADMIN"]), _compose(cap_add=["NET_BIND_SERVICE"])),
    "COMPOSE003": (_compose(network_mode="host"), _compose(network_mode="bridge")),
    "COMPOSE004": (_compose(pid="host"), GOOD_COMPOSE),
    "COMPOSE005": (_compose(ipc="host"), _compose(ipc="private")),
    "COMPOSE006": (
        _compose(volumes=["/var/run/docker.sock:/var/run/docker.sock"]),
        _compose(volumes=["./data:/data"]),
    ),
    "COMPOSE007": (_compose(user=None), GOOD_COMPOSE),
    "COMPOSE008": (
        _compose(security_opt=["seccomp:unconfined"]),
        _compose(security_opt=["no-new-privileges:true"]),
    ),
    "COMPOSE009": (
        _compose(volumes=[{"type": "bind", "source": "/etc", "target": "/host-etc"}]),
        _compose(volumes=[{"type": "bind", "source": "/srv/app", "target": "/app"}]),
    ),
    "COMPOSE010": (_compose(devices=["/dev/sda:/dev/sda"]), GOOD_COMPOSE),
    "COMPOSE011": (_compose(mem_limit=None), GOOD_COMPOSE),
    "COMPOSE012": (_compose(image="nginx"), GOOD_COMPOSE),
}

GOOD_IMAGE: dict[str, Any] = {
    "config": {
        "User": "10001",
        "Env": ["PATH=/usr/bin", "DB_PASSWORD_FILE=/run/secrets/db"],
        "Labels": {"org.opencontainers.image.version": "1.0"},
        "ExposedPorts": {"8080/tcp": {}},
        "Healthcheck": {"Test": ["CMD", "/healthz"]},
    },
    "history": [{"created_by": "COPY app /app # buildkit"}],
}


def image(
    config: dict[str, Any] | None = None, history: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    out = _merge(GOOD_IMAGE, {"config": config or {}})
    if history is not None:
        out["history"] = history
    return out


IMAGE: dict[
    str, tuple[tuple[dict[str, Any], str, tuple[str, ...]], tuple[dict[str, Any], str, tuple[str, ...]]]
] = {
    "IMG001": ((image({"User": ""}), "quay.io/a/b:1", ()), (GOOD_IMAGE, "quay.io/a/b:1", ())),
    "IMG002": (
        (image({"Env": ["API_TOKEN=abc123"]}), "quay.io/a/b:1", ()),
        (GOOD_IMAGE, "quay.io/a/b:1", ()),
    ),
    "IMG003": (
        (image({"Labels": {"secret": "s3cr3t"}}), "quay.io/a/b:1", ()),
        (GOOD_IMAGE, "quay.io/a/b:1", ()),
    ),
    "IMG004": ((image({"Healthcheck": None}), "quay.io/a/b:1", ()), (GOOD_IMAGE, "quay.io/a/b:1", ())),
    "IMG005": (
        (image({"ExposedPorts": {"22/tcp": {}}}), "quay.io/a/b:1", ()),
        (GOOD_IMAGE, "quay.io/a/b:1", ()),
    ),
    "IMG006": (
        (image(history=[{"created_by": "ADD https://x.example/a.tgz /"}]), "quay.io/a/b:1", ()),
        (GOOD_IMAGE, "quay.io/a/b:1", ()),
    ),
    "IMG007": (
        (image(history=[{"created_by": "/bin/sh -c curl -sL https://x | bash"}]), "quay.io/a/b:1", ()),
        (GOOD_IMAGE, "quay.io/a/b:1", ()),
    ),
    "IMG008": ((GOOD_IMAGE, "evil.example.com/a/b:1", ()), (GOOD_IMAGE, "ghcr.io/a/b:1", ())),
    "IMG009": ((GOOD_IMAGE, "quay.io/a/b:1", ("gdb", "libc6")), (GOOD_IMAGE, "quay.io/a/b:1", ("libc6",))),
}


GOOD_REGISTRY: dict[str, Any] = {
    "version": 0.1,
    "storage": {"filesystem": {"rootdirectory": "/var/lib/registry"}},
    "http": {
        "addr": ":5000",
        "secret": "9f3c5a1e7b2d4c6f8a0e1d3b5c7f9a2e",
        "tls": {"certificate": "/certs/cert.pem", "key": "/certs/key.pem", "minimumtls": "tls1.2"},
        "debug": {"addr": "127.0.0.1:5001"},
    },
    "auth": {"htpasswd": {"realm": "registry", "path": "/auth/htpasswd"}},
    "notifications": {"endpoints": [{"name": "audit", "url": "https://audit.example/events"}]},
}


def registry(**over: Any) -> str:
    return yaml.safe_dump(_merge(GOOD_REGISTRY, over), sort_keys=False)


REGISTRY: dict[str, tuple[str, str]] = {
    "REG001": (registry(http={"tls": None}), registry(http={"tls": None, "addr": "127.0.0.1:5000"})),
    "REG002": (registry(auth=None), registry()),
    "REG003": (registry(http={"tls": None, "addr": "127.0.0.1:5000"}), registry()),
    "REG004": (registry(http={"secret": None}), registry()),
    "REG005": (registry(http={"debug": {"addr": ":5001"}}), registry()),
    "REG006": (registry(http={"tls": {"minimumtls": "tls1.0"}}), registry()),
    "REG007": (
        registry(storage={"s3": {"accesskey": "AKIAEXAMPLE", "secretkey": "wJalrXUtnFEMI"}}),
        registry(),
    ),
    "REG008": (
        registry(notifications={"endpoints": [{"name": "a", "url": "http://audit.example/events"}]}),
        registry(notifications={"endpoints": [{"name": "a", "url": "http://127.0.0.1:9000/events"}]}),
    ),
    "REG009": (
        registry(storage={"delete": {"enabled": True}}),
        registry(
            storage={"delete": {"enabled": True}},
            auth={"htpasswd": None, "token": {"realm": "https://auth.example/token", "service": "r"}},
        ),
    ),
    "REG010": (
        registry(storage={"maintenance": {"readonly": {"enabled": True}}}),
        registry(storage={"maintenance": {"readonly": {"enabled": False}}}),
    ),
}

# File-metadata checks: (path, st_mode) failing and passing, judged by the real dangerous-files analyzer.
IMAGE_FILES: dict[str, tuple[tuple[str, int], tuple[str, int]]] = {
    "IMG010": (("usr/local/bin/helper", 0o104755), ("usr/local/bin/helper", 0o100755)),
    "IMG011": (("usr/lib/libx.so", 0o100666), ("tmp/scratch", 0o100666)),
}

# Package-cache check: (path, size) entries of one layer, failing and passing, totalled by the real
# package-cache analyzer.
IMAGE_CACHES: dict[str, tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]] = {
    "IMG012": (
        (("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", 151_000),),
        (
            ("var/lib/apt/lists/lock", 0),
            ("var/cache/apt/archives/lock", 0),
            ("var/cache/apt/archives/partial/x", 9),
        ),
    ),
}
