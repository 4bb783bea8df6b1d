"""NetworkPolicy coverage in the cluster scan: one KCL002 per namespace whose workloads no policy selects,
and no K8S039 (the per-file check it supersedes there)."""

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


def test_one_finding_per_uncovered_namespace(tmp_path: Path) -> None:
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
    findings = audit(load_snapshot(tmp_path / "s.json")).findings
    assert not [f for f in findings if f.check.id == "K8S039"]
    found = [f for f in findings if f.check.id == "KCL002"]
    by_ns = {f.resource.split("/")[1]: f for f in found}
    assert len(found) == 2 and set(by_ns) == {"open", "other"}
    assert all(f"Deployment/open/w{i}" in by_ns["open"].message for i in range(3))
    assert "Deployment/other/db" in by_ns["other"].message
