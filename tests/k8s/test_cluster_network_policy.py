"""K8S039 in the cluster scan: one finding per namespace whose workloads no NetworkPolicy selects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seawall.k8s.audit import audit
from seawall.k8s.collect import load_snapshot


def _deployment(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            }
        },
    }


def test_one_k8s039_per_namespace(tmp_path: Path) -> None:
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "covered"},
        "spec": {"podSelector": {}},
    }
    items = [
        *(_deployment(f"w{i}", "open") for i in range(3)),
        _deployment("api", "covered"),
        _deployment("db", "other"),
        policy,
    ]
    (tmp_path / "s.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    found = [f for f in audit(load_snapshot(tmp_path / "s.json")).findings if f.check.id == "K8S039"]
    by_ns = {f.resource.split("/")[1]: f for f in found}
    assert len(found) == 2 and set(by_ns) == {"open", "other"}
    assert by_ns["open"].message == (
        'namespace "open" has no NetworkPolicy; exposed 3 workloads: Deployment/w0, Deployment/w1, Deployment/w2'
    )
    assert by_ns["open"].resource == "Deployment/open/w0"  # placed on the namespace's first exposed workload
    assert "Deployment/db" in by_ns["other"].message
