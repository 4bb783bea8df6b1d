"""A cluster snapshot built from the real manifests of the corpus plus RBAC objects and bad workloads.

Objects without a namespace get one per corpus project, as `kubectl apply -n NS` would give them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from seawall.misconfig.loader import load_paths

CORPUS_DIRS = {
    "examples": "k8s-manifests-realworld/kubernetes-examples",
    "boutique": "k8s-manifests-realworld/microservices-demo/kubernetes-manifests",
}
DIGEST = "sha256:" + "ab" * 32


def corpus_objects(shared: Path) -> tuple[list[dict[str, Any]], dict[str, Path]]:
    """Namespaced Kubernetes objects of the corpus projects, and the directory of each project.

    Each object's source file (relative to its project) is recorded in ``ORIGIN`` by ``id()``.
    """
    out: list[dict[str, Any]] = []
    dirs: dict[str, Path] = {}
    for ns, rel in CORPUS_DIRS.items():
        root = shared / "corpus" / rel
        dirs[ns] = root
        for obj in load_paths([root], root).objects:
            if obj.target != "kubernetes":
                continue
            data = copy.deepcopy(dict(obj.data))
            meta = data.setdefault("metadata", {})
            if isinstance(meta, dict) and "namespace" not in meta and data.get("kind") not in _CLUSTER_KINDS:
                meta["namespace"] = ns
            ORIGIN[id(data)] = (ns, obj.file)
            out.append(data)
    return out, dirs


ORIGIN: dict[int, tuple[str, str]] = {}
_CLUSTER_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "Node",
}


def _ns(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def bad_objects() -> list[dict[str, Any]]:
    """RBAC objects, a privileged Deployment with its ReplicaSet and Pod, exposure, secrets, policies."""
    pod_spec: dict[str, Any] = {
        "serviceAccountName": "builder",
        "containers": [
            {
                "name": "app",
                "image": "registry.evil.example/tools/app:1.0",
                "securityContext": {"privileged": True},
                "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}],
                "volumeMounts": [{"name": "creds", "mountPath": "/creds"}],
            }
        ],
        "volumes": [{"name": "creds", "secret": {"secretName": "cloud-creds"}}],
    }
    labels = {"app": "miner"}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "miner", "namespace": "bad", "uid": "d-1"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
    rs = copy.deepcopy(deploy)
    rs["kind"] = "ReplicaSet"
    rs["metadata"] = {
        "name": "miner-5d9c",
        "namespace": "bad",
        "uid": "rs-1",
        "ownerReferences": [{"kind": "Deployment", "name": "miner", "controller": True, "uid": "d-1"}],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "miner-5d9c-x1",
            "namespace": "bad",
            "labels": labels,
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": "miner-5d9c", "controller": True, "uid": "rs-1"}
            ],
        },
        "spec": copy.deepcopy(pod_spec),
        "status": {
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "registry.evil.example/tools/app:1.0",
                    "imageID": f"registry.evil.example/tools/app@{DIGEST}",
                }
            ]
        },
    }
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "miner-lb", "namespace": "bad"},
        "spec": {"type": "LoadBalancer", "selector": labels, "ports": [{"port": 80}]},
    }
    admin_binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "builder-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "builder", "namespace": "bad"}],
    }
    cluster_admin = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "cluster-admin"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }
    reader = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "secret-reader", "namespace": "examples"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
    }
    reader_binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "ci-reads-secrets", "namespace": "examples"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader"},
        "subjects": [{"kind": "User", "name": "ci-bot"}],
    }
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "locked"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "bad"}}
    return [
        _ns("examples"),
        _ns("boutique"),
        _ns("bad"),
        _ns("locked", {"pod-security.kubernetes.io/enforce": "restricted"}),
        deploy,
        rs,
        pod,
        lb,
        sa,
        admin_binding,
        cluster_admin,
        reader,
        reader_binding,
        deny,
    ]


def snapshot(shared: Path) -> dict[str, Any]:
    """The whole snapshot as `kubectl get ... -A -o json` prints it."""
    objects, _ = corpus_objects(shared)
    return {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": objects + bad_objects(),
    }
