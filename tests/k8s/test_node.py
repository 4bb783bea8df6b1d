"""CIS Kubernetes 1.12 node checks on prepared node filesystems, against kube-bench's definitions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from seawall.cli.main import main
from seawall.k8s.node import NodeCheckError, compare, run_benchmark

STRONG_CIPHERS = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]
GOOD_KUBELET = {
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "kind": "KubeletConfiguration",
    "authentication": {
        "anonymous": {"enabled": False},
        "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
    },
    "authorization": {"mode": "Webhook"},
    "readOnlyPort": 0,
    "streamingConnectionIdleTimeout": "4h0m0s",
    "makeIPTablesUtilChains": True,
    "eventRecordQPS": 5,
    "tlsCertFile": "/var/lib/kubelet/pki/kubelet.crt",
    "tlsPrivateKeyFile": "/var/lib/kubelet/pki/kubelet.key",
    "rotateCertificates": True,
    "featureGates": {"RotateKubeletServerCertificate": True},
    "tlsCipherSuites": STRONG_CIPHERS,
    "podPidsLimit": 4096,
    "seccompDefault": True,
}
BAD_KUBELET = {
    "authentication": {"anonymous": {"enabled": True}, "x509": {}},
    "authorization": {"mode": "AlwaysAllow"},
    "readOnlyPort": 10255,
    "streamingConnectionIdleTimeout": 0,
    "makeIPTablesUtilChains": False,
    "eventRecordQPS": -1,
    "rotateCertificates": False,
    "featureGates": {"RotateKubeletServerCertificate": False},
    "tlsCipherSuites": ["TLS_RSA_WITH_RC4_128_SHA"],
}
# Node controls whose definitions need files or processes these fixtures do not hold (kube-proxy).
PROXY = {"4.1.3", "4.1.4", "4.3.1"}


def _file(root: Path, path: str, text: str, mode: int, owner: tuple[int, int] = (0, 0)) -> None:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    os.chmod(p, mode)
    os.chown(p, *owner)


def make_node(root: Path, good: bool) -> Path:
    """A worker node's files and a kubelet process under ``root``."""
    mode, owner = (0o600, (0, 0)) if good else (0o666, (1000, 1000))
    _file(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nkube:x:1000:1000::/:/bin/false\n", 0o644)
    _file(root, "etc/group", "root:x:0:\nkube:x:1000:\n", 0o644)
    _file(root, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "[Service]\n", mode, owner)
    _file(root, "/etc/kubernetes/kubelet.conf", "apiVersion: v1\nkind: Config\n", mode, owner)
    _file(
        root, "/var/lib/kubelet/config.yaml", json.dumps(GOOD_KUBELET if good else BAD_KUBELET), mode, owner
    )
    _file(root, "/etc/kubernetes/pki/ca.crt", "CA\n", 0o644 if good else 0o666, owner)
    argv = [
        "/usr/bin/kubelet",
        "--config=/var/lib/kubelet/config.yaml",
        "--kubeconfig=/etc/kubernetes/kubelet.conf",
    ]
    if not good:
        argv += ["--hostname-override=evil", "--pod-max-pids", "-1"]
    proc = root / "proc" / "4242"
    proc.mkdir(parents=True)
    (proc / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (proc / "environ").write_bytes(b"PATH=/usr/bin\0")
    return root


def _results(cfg: Path, root: Path) -> dict[str, Any]:
    report = run_benchmark(cfg, "cis-1.12", root, ("node",))
    return {c.id: c for c in report.controls}


@pytest.fixture(scope="module")
def cfg(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "kube-bench-cfg" / "cfg"


def test_good_node_passes_every_worker_control(cfg: Path, tmp_path: Path) -> None:
    results = _results(cfg, make_node(tmp_path, good=True))
    assert len(results) == 25  # every control of section 4 in cis-1.12/node.yaml
    not_passed = {cid: (c.status, c.evidence, c.reason) for cid, c in results.items() if c.status != "PASS"}
    assert set(not_passed) <= PROXY, not_passed


def test_bad_node_fails_each_control(cfg: Path, tmp_path: Path) -> None:
    results = _results(cfg, make_node(tmp_path, good=False))
    expected_fail = {
        "4.1.1",
        "4.1.2",
        "4.1.5",
        "4.1.6",
        "4.1.9",
        "4.1.10",
        "4.2.1",
        "4.2.2",
        "4.2.3",
        "4.2.6",
        "4.2.10",
    }
    # Controls kube-bench marks "(Manual)" (scored: false) report WARN when they fail.
    expected_warn = {
        "4.1.7",
        "4.1.8",
        "4.2.4",
        "4.2.5",
        "4.2.7",
        "4.2.8",
        "4.2.9",
        "4.2.11",
        "4.2.12",
        "4.2.14",
    }
    statuses = {cid: c.status for cid, c in results.items()}
    assert {cid for cid, s in statuses.items() if s == "FAIL"} == expected_fail
    assert expected_warn <= {cid for cid, s in statuses.items() if s == "WARN"}
    assert statuses["4.2.13"] == "PASS"  # --pod-max-pids is set (to -1: the control only asks that it be set)
    anon = results["4.2.1"]
    assert any("'true'" in e for e in anon.evidence) and "anonymous" in anon.remediation
    assert "permissions = '666' (bitmask '600')" in results["4.1.1"].evidence
    assert results["4.1.2"].evidence[0] == "audit: kube:kube"


def test_command_line_flag_beats_config_file(cfg: Path, tmp_path: Path) -> None:
    root = make_node(tmp_path, good=True)
    cmdline = root / "proc" / "4242" / "cmdline"
    cmdline.write_bytes(cmdline.read_bytes() + b"--anonymous-auth=true\0--read-only-port=10255\0")
    results = _results(cfg, root)
    assert results["4.2.1"].status == "FAIL"
    assert results["4.2.4"].status == "WARN"


def test_kubelet_config_found_from_its_config_flag(cfg: Path, tmp_path: Path) -> None:
    """The file named by the running kubelet's --config is read, not the catalogue's first guess."""
    root = make_node(tmp_path, good=True)
    moved = root / "etc" / "kubelet-new" / "config.yaml"
    moved.parent.mkdir(parents=True)
    moved.write_text(json.dumps(BAD_KUBELET))
    os.chmod(moved, 0o600)
    cmdline = root / "proc" / "4242" / "cmdline"
    cmdline.write_bytes(
        cmdline.read_bytes().replace(b"/var/lib/kubelet/config.yaml", b"/etc/kubelet-new/config.yaml")
    )
    assert _results(cfg, root)["4.2.1"].status == "FAIL"


def test_master_controls_do_not_apply_on_a_worker(cfg: Path, tmp_path: Path) -> None:
    report = run_benchmark(cfg, "cis-1.12", make_node(tmp_path, good=True), ("master", "etcd"))
    assert report.controls and all(c.status == "INFO" for c in report.controls)
    assert "apiserver is not running" in report.controls[0].reason


def test_etcd_flags_and_environment(cfg: Path, tmp_path: Path) -> None:
    root = make_node(tmp_path, good=True)
    proc = root / "proc" / "77"
    proc.mkdir()
    argv = [
        b"etcd",
        b"--cert-file=/etc/etcd/server.crt",
        b"--key-file=/etc/etcd/server.key",
        b"--auto-tls=false",
    ]
    (proc / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
    (proc / "environ").write_bytes(b"ETCD_CLIENT_CERT_AUTH=true\0")
    results = {c.id: c for c in run_benchmark(cfg, "cis-1.12", root, ("etcd",)).controls}
    assert results["2.1"].status == "PASS"
    assert results["2.2"].status == "PASS" and "env ETCD_CLIENT_CERT_AUTH" in results["2.2"].evidence[0]
    assert results["2.3"].status == "PASS"  # --auto-tls=false
    assert results["2.4"].status == "FAIL"  # no peer certificates


def test_managed_variants(cfg: Path, tmp_path: Path) -> None:
    root = make_node(tmp_path, good=True)
    for bench in ("eks-1.7.0", "gke-1.9.0", "aks-1.8"):
        report = run_benchmark(cfg, bench, root)  # default targets; their master.yaml holds no checks
        assert report.controls and any(c.status == "PASS" for c in report.controls), bench
        assert not any(c.status == "FAIL" and c.scored and c.id.endswith(".2.1") for c in report.controls), (
            bench
        )


def test_compare_operations() -> None:
    assert compare("bitmask", "600", "644") and not compare("bitmask", "664", "644")
    assert compare("valid_elements", "A,B", "A,B,C") and not compare("valid_elements", "A,D", "A,B,C")
    assert compare("gte", "5", 0) and not compare("gte", "x", 0)
    assert compare("nothave", "Node,Webhook", "AlwaysAllow") and compare("eq", "false", False)


def test_unknown_benchmark_and_cli(cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(NodeCheckError, match=r"known: ack-1\.0"):
        run_benchmark(cfg, "cis-9.9", tmp_path)
    root = make_node(tmp_path / "n", good=False)
    code = main(
        ["k8s", "node", "--root", str(root), "--config-dir", str(cfg), "--targets", "node", "-f", "json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["Benchmark"] == "cis-1.12" and doc["Summary"]["FAIL"] == 11
    code = main(
        [
            "k8s",
            "node",
            "--root",
            str(root),
            "--config-dir",
            str(cfg),
            "--targets",
            "node",
            "--exit-code",
            "4",
        ]
    )
    out = capsys.readouterr().out
    assert code == 4 and "[FAIL] 4.2.1" in out and "== Summary ==" in out


def test_node_sarif_and_junit(cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    root = make_node(tmp_path, good=False)
    base = ["k8s", "node", "--root", str(root), "--config-dir", str(cfg), "--targets", "node"]
    assert main([*base, "-f", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "CIS-4.2.1" and r["level"] == "error" for r in results)
    assert not any(r["ruleId"] == "CIS-4.2.13" for r in results)  # passed
    assert main([*base, "-f", "junit"]) == 0
    suites = ET.fromstring(capsys.readouterr().out)
    names = [c.get("name") for c in suites.iter("testcase")]
    assert "[HIGH] CIS-4.2.1" in names and "[LOW] CIS-4.2.4" in names


def test_links_out_of_a_mounted_root_are_not_followed(cfg: Path, tmp_path: Path) -> None:
    """A mounted node's absolute link must not make the scanner read the scanning host's file."""
    root = make_node(tmp_path / "node", good=False)
    host_file = tmp_path / "host-kubelet.yaml"
    host_file.write_text(json.dumps(GOOD_KUBELET))
    config = root / "var/lib/kubelet/config.yaml"
    config.unlink()
    config.symlink_to(host_file)  # absolute, outside the root
    results = _results(cfg, root)
    assert results["4.2.1"].status == "FAIL"  # the host's good config was not read


def test_bundled_catalogue_is_the_default_and_matches_kube_bench(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --config-dir the bundled copy of kube-bench's definitions is used, and it decides every
    control exactly as the upstream catalogue in the corpus does."""
    for good in (True, False):
        root = make_node(tmp_path / str(good), good=good)
        base = ["k8s", "node", "--root", str(root), "--targets", "node", "-f", "json"]
        assert main(base) == 0
        bundled = json.loads(capsys.readouterr().out)
        assert main([*base, "--config-dir", str(cfg)]) == 0
        upstream = json.loads(capsys.readouterr().out)
        decided = [(c["ID"], c["Status"], c["Evidence"]) for c in bundled["Controls"]]
        assert decided == [(c["ID"], c["Status"], c["Evidence"]) for c in upstream["Controls"]]
        assert len(decided) > 20 and {c[1] for c in decided} & {"PASS", "FAIL"}
