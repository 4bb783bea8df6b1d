"""K8S028 on thousands of objects: the ServiceAccount index gives the same findings as a scan of every
ServiceAccount per pod (the reference below), and it is built once per scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seawall.cli.main import main
from seawall.misconfig.model import ScanContext

NAMESPACES = 60
ACCOUNTS = 20
PODS = 40
SETTINGS: list[bool | None] = [False, True, None]


def _sa(name: str, namespace: str | None, automount: bool | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    if automount is not None:
        obj["automountServiceAccountToken"] = automount
    return obj


def _pod(name: str, namespace: str | None, account: str | None, automount: bool | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "registry.example/app:1"}]}
    if account is not None:
        spec["serviceAccountName"] = account
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def generate() -> list[dict[str, Any]]:
    """ServiceAccounts set to false/true/unset, duplicates, namespace-less ones, and pods referring to them."""
    objects: list[dict[str, Any]] = [
        _sa("shared", None, False),  # no namespace: matches a pod in any namespace
        _sa("loose", None, True),
    ]
    for n in range(NAMESPACES):
        ns = f"team-{n:03d}"
        objects += [_sa(f"sa-{i}", ns, SETTINGS[(i + n) % 3]) for i in range(ACCOUNTS)]
        objects.append(_sa("sa-3", ns, not SETTINGS[(3 + n) % 3]))  # a later duplicate: the first one wins
        objects.append(_sa("default", ns, n % 2 == 0 or None))
        for p in range(PODS):
            # sa-20..sa-24 do not exist; None means the default account
            account = ["shared", "loose", None][p % 3] if p % 7 == 0 else f"sa-{p % (ACCOUNTS + 5)}"
            objects.append(_pod(f"pod-{p}", ns, account, SETTINGS[p % 5] if p % 5 < 3 else None))
    objects.append(_pod("orphan", None, "sa-1", None))  # no namespace: only namespace-less accounts match
    return objects


def expected(objects: list[dict[str, Any]]) -> set[str]:
    """The pods K8S028 flags, by scanning every ServiceAccount for each pod (the old, quadratic way)."""
    accounts = [o for o in objects if o["kind"] == "ServiceAccount"]
    flagged = set()
    for pod in (o for o in objects if o["kind"] == "Pod"):
        ns = pod["metadata"].get("namespace", "")
        value = pod["spec"].get("automountServiceAccountToken")
        if value is None:
            name = pod["spec"].get("serviceAccountName") or "default"
            for sa in accounts:
                if sa["metadata"]["name"] == name and sa["metadata"].get("namespace", "") in ("", ns):
                    value = sa.get("automountServiceAccountToken")
                    break
        if value is not False:
            flagged.add(f"Pod/{ns}/{pod['metadata']['name']}" if ns else f"Pod/{pod['metadata']['name']}")
    return flagged


def test_k8s028_findings_on_thousands_of_objects_match_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = generate()
    assert len(objects) > 3500
    (tmp_path / "cluster.yaml").write_text("\n---\n".join(json.dumps(o) for o in objects) + "\n")
    code = main(
        [
            "--cache-dir",
            str(tmp_path / "cache"),
            "config",
            "-f",
            "json",
            "--skip-checks",
            "K8S039",
            str(tmp_path),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    doc = json.loads(out)
    found = {
        m["CauseMetadata"]["Resource"]
        for r in doc["Results"]
        for m in r.get("Misconfigurations") or []
        if m["ID"] == "K8S028"
    }
    want = expected(objects)
    # both outcomes occur in quantity, so the comparison can catch a wrong index
    assert 500 < len(want) < NAMESPACES * PODS
    assert found == want


def test_derived_index_is_built_once_per_context() -> None:
    ctx = ScanContext(objects=())
    calls: list[int] = []

    def build(c: ScanContext) -> dict[str, int]:
        calls.append(1)
        return {"n": len(c.objects)}

    first = ctx.derived("test.index", build)
    assert ctx.derived("test.index", build) is first
    assert len(calls) == 1
    assert ScanContext(objects=()).derived("test.index", build) is not first  # per scan, not global
    assert len(calls) == 2
