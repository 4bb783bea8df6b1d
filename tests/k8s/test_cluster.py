"""Cluster audit of a snapshot built from the corpus's real manifests plus RBAC objects and bad workloads."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from clusterdata import DIGEST, ORIGIN, corpus_objects, snapshot

from seawall.cli.main import main
from seawall.k8s.audit import ClusterScan, audit
from seawall.k8s.collect import CollectError, dedupe, load_snapshot
from seawall.k8s.images import distinct_images
from seawall.misconfig.scan import scan_paths

# Checks whose verdict depends on other objects (policies, accounts, bindings in the same scan):
# a cluster has more of those than one file, so their findings legitimately differ.
CROSS_OBJECT = {"K8S028", "K8S030", "K8S039", "K8S041"}


@pytest.fixture(scope="module")
def snap_file(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("snap") / "cluster.json"
    path.write_bytes(orjson.dumps(snapshot(shared_dir)))
    return path


@pytest.fixture(scope="module")
def scan(snap_file: Path) -> ClusterScan:
    return audit(load_snapshot(snap_file))


def _key(check: str, resource: str) -> tuple[str, str, str]:
    kind, _, rest = resource.partition("/")
    return check, kind, rest.rpartition("/")[2]


def test_cluster_report_finds_what_the_per_file_scan_finds(scan: ClusterScan, shared_dir: Path) -> None:
    objects, dirs = corpus_objects(shared_dir)
    # (project, file, kind, name) of the objects the cluster keeps: the first of each duplicate name
    kept = {(*ORIGIN[id(o)], o["kind"], o["metadata"].get("name", "")) for o in dedupe(objects)}
    cluster = {_key(f.check.id, f.resource) for f in scan.findings}
    missing = []
    compared = 0
    for ns, root in dirs.items():
        per_file = scan_paths([root])
        for f in per_file.findings:
            if f.check.id in CROSS_OBJECT or not f.resource or f.check.target == "rbac":
                continue
            kind, _, name = f.resource.partition("/")
            name = name.rpartition("/")[2]
            if (ns, f.file, kind, name) not in kept:
                continue  # a duplicate of another file's object: the cluster holds only the first
            compared += 1
            if (f.check.id, kind, name) not in cluster:
                missing.append(f"{f.check.id} {f.resource}")
    assert compared > 500
    assert not missing, missing[:20]


def test_rbac_per_file_findings_also_found(scan: ClusterScan, shared_dir: Path) -> None:
    rbac_ids = {f.check.id for f in scan.findings if f.check.target == "rbac"}
    assert {"RBAC001", "RBAC002", "RBAC011"} <= rbac_ids
    binding = [f for f in scan.findings if f.check.id == "RBAC011"]
    assert any("builder" in f.message and f.resource == "ClusterRoleBinding/builder-admin" for f in binding)


def test_bad_workload_found_once_not_per_replica(scan: ClusterScan) -> None:
    privileged = [f for f in scan.findings if f.check.id == "K8S005" and "miner" in f.resource]
    assert [f.resource for f in privileged] == ["Deployment/bad/miner"]
    assert not any(f.resource.startswith(("ReplicaSet/bad/", "Pod/bad/")) for f in scan.findings)
    assert privileged[0].json_path == "spec.template.spec.containers[0].securityContext.privileged"


def test_network_policy_coverage_per_namespace(scan: ClusterScan) -> None:
    cov = {c.namespace: c for c in scan.analysis.coverage}
    assert cov["locked"].default_deny_ingress and cov["locked"].default_deny_egress
    assert not cov["bad"].default_deny_ingress
    assert cov["bad"].uncovered == ("Deployment/bad/miner",)
    kcl001 = {f.resource for f in scan.findings if f.check.id == "KCL001"}
    assert "Namespace/bad" in kcl001 and "Namespace/locked" not in kcl001
    kcl002 = [f for f in scan.findings if f.check.id == "KCL002" and f.resource == "Namespace/bad"]
    assert kcl002 and "Deployment/bad/miner" in kcl002[0].message


def test_exposed_services_resolve_to_workloads(scan: ClusterScan) -> None:
    exposed = {e.via: e for e in scan.analysis.exposures}
    assert exposed["Service/bad/miner-lb"].workloads == ("Deployment/bad/miner",)
    assert exposed["Service/bad/miner-lb"].how == "LoadBalancer"
    assert exposed["Service/boutique/frontend-external"].workloads == ("Deployment/boutique/frontend",)
    assert any(f.check.id == "KCL003" and f.resource == "Service/bad/miner-lb" for f in scan.findings)
    # ClusterIP services are not exposures
    assert "Service/boutique/cartservice" not in exposed


def test_secret_usage(scan: ClusterScan) -> None:
    uses = {(s.workload, s.secret, s.how) for s in scan.analysis.secrets}
    assert ("Deployment/bad/miner", "bad/db", "env") in uses
    assert ("Deployment/bad/miner", "bad/cloud-creds", "volume") in uses


def test_who_can_do_what(scan: ClusterScan) -> None:
    perms = {(str(p.subject), p.role, p.scope): p for p in scan.analysis.permissions}
    admin = perms[("ServiceAccount bad/builder", "ClusterRole/cluster-admin", "cluster")]
    assert admin.rules == ("* on *",) and admin.binding == "ClusterRoleBinding/builder-admin"
    reader = perms[("User ci-bot", "Role/examples/secret-reader", "examples")]
    assert reader.rules == ("get,list on secrets",)


def test_pod_security_admission_labels(scan: ClusterScan) -> None:
    kcl004 = {f.resource for f in scan.findings if f.check.id == "KCL004"}
    assert "Namespace/bad" in kcl004 and "Namespace/locked" not in kcl004


def test_distinct_images_by_digest(scan: ClusterScan) -> None:
    images = {i.ref: i for i in distinct_images(scan.objects)}
    miner = images[f"registry.evil.example/tools/app@{DIGEST}"]
    assert miner.workloads == ("Deployment/bad/miner",)
    assert miner.images == ("registry.evil.example/tools/app:1.0",)
    # Docker Hub names normalised: "redis" and "docker.io/library/redis" are one image
    assert all(not ref.startswith("redis") for ref in images)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_sarif_junit(snap_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file), "-f", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["ArtifactType"] == "kubernetes"
    targets = {r["Target"]: r for r in doc["Results"]}
    assert any(m["ID"] == "K8S005" for m in targets["Deployment/bad/miner"]["Misconfigurations"])
    who = doc["Cluster"]["WhoCanDoWhat"]
    assert any(p["Subject"]["Name"] == "builder" and p["Rules"] == ["* on *"] for p in who)
    code, out, _ = _run(
        ["k8s", "--snapshot", str(snap_file), "-f", "sarif", "--severity", "CRITICAL,HIGH"], capsys
    )
    sarif = json.loads(out)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "K8S005" in rules and "K8S031" not in rules  # LOW findings filtered out
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file), "-f", "junit"], capsys)
    assert ET.fromstring(out).tag == "testsuites"
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file), "--exit-code", "5", "-f", "json"], capsys)
    assert code == 5


def test_cli_compliance_score(snap_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["k8s", "--snapshot", str(snap_file), "--compliance", "k8s-cis", "-f", "json"], capsys
    )
    doc = json.loads(out)
    controls = {c["ID"]: c for c in doc["Controls"]}
    assert controls["5.2.2"]["Status"] == "FAIL"
    assert (
        controls["5.2.2"]["FailedResources"] == len({f["Target"] for f in controls["5.2.2"]["Findings"]}) > 0
    )
    assert doc["Score"] == round(
        100 * doc["Summary"]["PASS"] / (doc["Summary"]["PASS"] + doc["Summary"]["FAIL"])
    )
    assert controls["5.3.2"]["Status"] == "FAIL" and "KCL001" in controls["5.3.2"]["Checks"]
    assert controls["5.2.1"]["Status"] == "FAIL"  # namespaces without Pod Security admission
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file), "--compliance", "k8s-pss-restricted"], capsys)
    assert code == 0 and "PASS:" in out and "Score: " in out


def test_table_shows_resources_and_rbac(snap_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file)], capsys)
    assert code == 0
    assert "Deployment/bad/miner" in out and "Who can do what" in out
    assert "ServiceAccount bad/builder  [cluster]  ClusterRole/cluster-admin" in out
    row = next(line for line in out.splitlines() if line.startswith("Deployment/bad/miner "))
    assert row.split()[1:3] == ["0", "1"]  # no CRITICAL, one HIGH (privileged)
    code, out, _ = _run(["k8s", "--snapshot", str(snap_file), "--report", "all"], capsys)
    assert "must not set securityContext.privileged=true" in out


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "not a Kubernetes object or List"),
        (b'{"items": "x"}', "no kind/apiVersion"),
        (b"[" * 100_000, "invalid JSON"),  # nesting deeper than any parser stack
        (b"", "invalid JSON"),
    ],
)
def test_malformed_snapshot_one_line_error(
    tmp_path: Path, content: bytes, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    with pytest.raises(CollectError, match=needle):
        load_snapshot(bad)
    code, _, err = _run(["k8s", "--snapshot", str(bad)], capsys)
    assert code == 2 and err.startswith("seawall: error:") and err.count("\n") == 1


def test_snapshot_directory_skips_bad_file(tmp_path: Path, snap_file: Path) -> None:
    (tmp_path / "a.json").write_bytes(snap_file.read_bytes())
    (tmp_path / "b.json").write_bytes(b"\x00\x01garbage")
    col = load_snapshot(tmp_path)
    assert len(col.objects) > 200
    assert any("b.json" in w for w in col.warnings)


def test_snapshot_items_of_wrong_shape_are_skipped(tmp_path: Path) -> None:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            "junk",
            {"metadata": {"name": "x"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}, "spec": "bad"},
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d", "namespace": "a", "managedFields": [{"manager": "kubectl"}]},
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
            },
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    col = load_snapshot(tmp_path / "s.json")
    assert [o["kind"] for o in col.objects] == ["Pod", "Deployment"]
    assert "managedFields" not in col.objects[1]["metadata"]
    result = audit(col)
    assert any(f.check.id == "K8S025" and f.resource == "Deployment/a/d" for f in result.findings)


def test_streamed_parse_of_large_snapshots_matches(
    snap_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots above the streaming threshold are parsed item by item; the objects are the same."""
    from seawall.k8s import collect

    whole = load_snapshot(snap_file)
    monkeypatch.setattr(collect, "STREAM_ABOVE_BYTES", 0)
    streamed = load_snapshot(snap_file)
    assert streamed.objects == whole.objects
    truncated = tmp_path / "t.json"
    truncated.write_bytes(snap_file.read_bytes()[:-5000])
    with pytest.raises(CollectError, match="invalid JSON"):
        load_snapshot(truncated)


def test_streamed_parse_rejects_deep_nesting_but_not_brackets_in_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seawall.k8s import collect

    monkeypatch.setattr(collect, "STREAM_ABOVE_BYTES", 0)
    tricky = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x", "namespace": "a"},
                "data": {"k": '[[[{{ "quoted" \\ ]]' + "]" * 300, "e": "", "n": [[[[1]]]]},
            }
        ],
    }
    (tmp_path / "ok.json").write_text(json.dumps(tricky))
    assert [o["kind"] for o in load_snapshot(tmp_path / "ok.json").objects] == ["ConfigMap"]
    (tmp_path / "deep.json").write_bytes(b'{"items":' + b"[" * 2_000_000)
    with pytest.raises(CollectError, match="nesting deeper than 256"):
        load_snapshot(tmp_path / "deep.json")
    hidden = b'{"items":[' + b'"]",' * 1000 + b"[" * 5000 + b"]" * 5000 + b"]}"
    (tmp_path / "hidden.json").write_bytes(hidden)
    with pytest.raises(CollectError, match="nesting deeper"):
        load_snapshot(tmp_path / "hidden.json")


def test_cel_policy_findings(snap_file: Path, tmp_path: Path) -> None:
    from seawall.misconfig.policy import load_policies

    policy = tmp_path / "team.yaml"
    policy.write_text(
        "id: CUSTOM-TEAM\nseverity: HIGH\nmatch: {kinds: [Deployment]}\n"
        "expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n"
        "message: the team label is missing\n"
    )
    result = audit(load_snapshot(snap_file), policies=load_policies(policy))
    hits = {f.resource for f in result.findings if f.check.id == "CUSTOM-TEAM"}
    assert "Deployment/bad/miner" in hits
    assert not any(r.startswith(("ReplicaSet/", "Pod/bad/")) for r in hits)
