"""Image scanning of a cluster: distinct images pulled from a real registry and scanned once each."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "artifact"))

from regservers import Registry, push, start_registry, stop

from realimages import BuiltImage, have
from seawall.cli.main import main


@pytest.fixture(scope="module")
def registry(
    tmp_path_factory: pytest.TempPathFactory, minbase_image: BuiltImage
) -> Iterator[tuple[Registry, str]]:
    if not have("docker-registry"):
        pytest.fail("docker-registry is not installed: run `make test`, which installs it")
    d = tmp_path_factory.mktemp("reg")
    reg = start_registry(d / "cfg", d / "storage")
    try:
        push(f"oci:{minbase_image.oci_ref}", reg, "team/app:1")
        out = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{reg.host}/team/app:1"],
            check=True,
            capture_output=True,
        )
        yield reg, json.loads(out.stdout)["Digest"]
    finally:
        stop(reg.proc)


def _deploy(name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            }
        },
    }


def test_each_distinct_image_scanned_once(
    registry: tuple[Registry, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg, digest = registry
    by_tag = f"{reg.host}/team/app:1"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-1",
            "namespace": "shop",
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
        "spec": {"containers": [{"name": "c", "image": by_tag}]},
        "status": {
            "containerStatuses": [{"name": "c", "image": by_tag, "imageID": f"{reg.host}/team/app@{digest}"}]
        },
    }
    items = [
        _deploy("web", by_tag),  # by tag; its pod reports the digest
        _deploy("worker", f"{reg.host}/team/app@{digest}"),  # by digest: the same image
        _deploy("ghost", f"{reg.host}/team/missing:1"),  # not in the registry
        pod,
    ]
    snap = tmp_path / "s.json"
    snap.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    code = main(
        [
            "--cache-dir",
            str(tmp_path / "cache"),
            "k8s",
            "--snapshot",
            str(snap),
            "--scanners",
            "misconfig,secret",
            "--insecure",
            "--parallel",
            "2",
            "-f",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    distinct = {d["Image"]: d for d in doc["Images"]["Distinct"]}
    app = f"{reg.host}/team/app@{digest}"
    assert set(distinct) == {app, f"{reg.host}/team/missing:1"}
    assert distinct[app]["Error"] == ""
    assert distinct[f"{reg.host}/team/missing:1"]["Error"]
    workloads = doc["Images"]["Workloads"]
    assert workloads["Deployment/shop/web"]["Images"] == [app]
    assert workloads["Deployment/shop/worker"]["Images"] == [app]
    assert workloads["Deployment/shop/ghost"]["Errors"]
    # one pull of the image's manifest by digest for two workloads
    log = reg.log.read_text()
    pulls = log.count(f"/v2/team/app/manifests/{digest}")
    assert 1 <= pulls <= 2, pulls  # HEAD + GET at most, for two workloads
