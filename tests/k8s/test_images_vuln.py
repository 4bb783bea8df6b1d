"""Vulnerability scanning of a cluster's images: real registry, real images, the embedded demo advisories."""

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

from imagetools import SyntheticImage, files, layer_tar, write_oci_layout
from realimages import have
from seawall.cli.main import main

SITE = "usr/local/lib/python3.11/site-packages"


def _python_image(root: Path, packages: dict[str, str]) -> Path:
    """An OCI layout whose one layer holds the dist-info METADATA of ``packages`` (name -> version)."""
    entries = {
        f"{SITE}/{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        for name, version in packages.items()
    }
    write_oci_layout(root, SyntheticImage(layers=[layer_tar(files(entries))]))
    return root


def _digest(reg: Registry, repo: str) -> str:
    out = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{reg.host}/{repo}"],
        check=True,
        capture_output=True,
    )
    return str(json.loads(out.stdout)["Digest"])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, str, str]]:
    for tool in ("docker-registry", "skopeo"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    d = tmp_path_factory.mktemp("reg")
    reg = start_registry(d / "cfg", d / "storage")
    try:
        # urllib3 1.24.1 and Jinja2 2.10 have advisories in the embedded demo snapshot; idna 3.7 has none.
        push(f"oci:{_python_image(d / 'old', {'urllib3': '1.24.1'})}:latest", reg, "team/old:1")
        push(f"oci:{_python_image(d / 'tpl', {'Jinja2': '2.10', 'idna': '3.7'})}:latest", reg, "team/tpl:1")
        yield reg, _digest(reg, "team/old:1"), _digest(reg, "team/tpl:1")
    finally:
        stop(reg.proc)


def _deploy(name: str, *images: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": f"c{i}", "image": img} for i, img in enumerate(images)]},
            }
        },
    }


def _scan(tmp_path: Path, items: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    snap = tmp_path / "s.json"
    snap.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    code = main(
        ["--cache-dir", str(tmp_path / "cache"), "k8s", "--snapshot", str(snap), "--scanners", "misconfig,vuln",
         "--insecure", "--skip-db-update", "--parallel", "2", "-f", "json"]
    )  # fmt: skip
    assert code == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def _demo_counts(tmp_path: Path, ref: str, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    """What `seawall image` finds in one image with the same demo data: the per-image truth."""
    code = main(
        ["--cache-dir", str(tmp_path / "cache"), "image", "--image-src", "remote", "--insecure",
         "--scanners", "vuln", "--skip-db-update", "-f", "json", ref]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    counts: dict[str, int] = {}
    for result in doc.get("Results") or []:
        for v in result.get("Vulnerabilities") or []:
            counts[v["Severity"]] = counts.get(v["Severity"], 0) + 1
    return counts


def test_vulnerabilities_per_image_and_per_workload(
    registry: tuple[Registry, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg, old_digest, tpl_digest = registry
    old_tag, tpl_tag = f"{reg.host}/team/old:1", f"{reg.host}/team/tpl:1"
    old, tpl = f"{reg.host}/team/old@{old_digest}", f"{reg.host}/team/tpl@{tpl_digest}"
    doc = _scan(
        tmp_path,
        [
            _deploy("web", old),  # web and worker share one image: one scan
            _deploy("worker", old),
            _deploy("api", tpl, old),  # two images: its summary is their sum
        ],
        capsys,
    )
    distinct = {d["Image"]: d for d in doc["Images"]["Distinct"]}
    assert set(distinct) == {old, tpl}  # scanned once each, whatever the number of workloads
    assert len(doc["Images"]["Distinct"]) == 2
    for d in distinct.values():
        assert d["Error"] == ""
    old_counts, tpl_counts = distinct[old]["Counts"]["vuln"], distinct[tpl]["Counts"]["vuln"]
    # the same findings `seawall image` reports for each image with the same data
    assert old_counts == _demo_counts(tmp_path, old_tag, capsys)
    assert tpl_counts == _demo_counts(tmp_path, tpl_tag, capsys)
    # urllib3 < 1.24.2 and Jinja2 < 2.10.1 are affected by advisories in the demo snapshot
    assert sum(old_counts.values()) >= 2 and sum(tpl_counts.values()) >= 2
    workloads = doc["Images"]["Workloads"]
    assert workloads["Deployment/shop/web"] == {"Images": [old], "Counts": {"vuln": old_counts}, "Errors": []}
    assert workloads["Deployment/shop/worker"]["Counts"] == {"vuln": old_counts}
    api = workloads["Deployment/shop/api"]
    assert sorted(api["Images"]) == sorted([old, tpl])
    summed = {sev: old_counts.get(sev, 0) + tpl_counts.get(sev, 0) for sev in {*old_counts, *tpl_counts}}
    assert api["Counts"] == {"vuln": summed}


def test_shared_image_pulled_once(
    registry: tuple[Registry, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg, old_digest, _ = registry
    log_before = reg.log.read_text()
    tag = f"{reg.host}/team/old:1"
    doc = _scan(tmp_path, [_deploy("a", tag), _deploy("b", tag), _deploy("c", tag)], capsys)
    assert [d["Image"] for d in doc["Images"]["Distinct"]] == [f"{reg.host}/team/old:1"]
    # three workloads, one image scan: its manifest fetched by tag once (HEAD + GET at most)
    log = reg.log.read_text()[len(log_before) :]
    pulls = log.count("/v2/team/old/manifests/1")
    assert 1 <= pulls <= 2, pulls
    assert log.count(f"/v2/team/old/manifests/{old_digest}") <= 2
    counts = doc["Images"]["Distinct"][0]["Counts"]["vuln"]
    for name in ("a", "b", "c"):
        assert doc["Images"]["Workloads"][f"Deployment/shop/{name}"]["Counts"] == {"vuln": counts}
