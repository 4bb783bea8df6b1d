"""Section 5 (and 6) of the host audit against a real ``podman system service``.

The test starts three containers on the Podman fixture of the daemon image source: a hardened one
(non-root user, read-only root, all capabilities dropped, memory/CPU/PID limits, health check), a bad
one (privileged, host network/PID/IPC/UTS, ``/`` and a docker.sock mounted, no limits, a privileged
root exec session) and one that publishes host port 80 on every interface; then it checks every
section 5 control's status and evidence for each.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "artifact"))

from remote_fixtures import PodmanService

from seawall.cli.main import main
from seawall.host.audit import HostAudit, compliance_json, run_audit
from seawall.host.snapshot import collect
from seawall.misconfig.checks.host import ERROR, FAIL, MANUAL, NA, PASS, WARN

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="rootful Podman needs root")

ULIMITS = ("--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768")


@dataclass(frozen=True)
class Containers:
    good: str
    bad: str
    ports: str
    sock: Path
    audit: HostAudit
    port: int  # a free privileged host port, so parallel test workers never collide


def _free_privileged_port() -> int:
    for port in range(80, 1024):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below 1024")


def _podman(svc: PodmanService, *args: str) -> str:
    proc = subprocess.run([*svc.command, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def containers(
    podman_service: PodmanService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Containers]:
    """Start the hardened, bad and ports containers; audit once; remove them afterwards."""
    good, bad, ports = (f"swh-{kind}-{os.getpid()}" for kind in ("good", "bad", "ports"))
    fake_sock = tmp_path_factory.mktemp("hostaudit") / "docker.sock"
    fake_sock.touch()
    image = podman_service.image
    port = _free_privileged_port()
    try:
        _podman(
            podman_service, "run", "-d", "--name", good, *ULIMITS, "--user", "65534:65534", "--read-only",
            "--cap-drop", "ALL", "--memory", "64m", "--cpu-shares", "512", "--pids-limit", "64",
            "--security-opt", "no-new-privileges", "--restart", "on-failure:5", "--network", "none",
            "--health-cmd", "true", image, "sleep", "600",
        )  # fmt: skip
        _podman(
            podman_service, "run", "-d", "--name", bad, *ULIMITS, "--privileged", "--network", "host",
            "--pid", "host", "--ipc", "host", "--uts", "host", "--pids-limit", "-1", "--restart", "always",
            "--security-opt", "seccomp=unconfined", "-v", "/:/host", "-v", f"{fake_sock}:/var/run/docker.sock",
            image, "sleep", "600",
        )  # fmt: skip
        # A process named sshd (a copy of sleep) stands in for an SSH daemon.
        sshd = "cp /bin/sleep /tmp/sshd && exec /tmp/sshd 600"
        _podman(
            podman_service,
            "run",
            "-d",
            "--name",
            ports,
            *ULIMITS,
            "-p",
            f"{port}:8080",
            image,
            "sh",
            "-c",
            sshd,
        )
        _podman(podman_service, "exec", "-d", "--privileged", "-u", "root", bad, "sleep", "600")
        snap = collect("/", f"unix://{podman_service.socket}")
        yield Containers(good, bad, ports, podman_service.socket, run_audit(snap), port)
    finally:
        subprocess.run(
            [*podman_service.command, "rm", "-f", "-t", "0", good, bad, ports],
            capture_output=True,
            check=False,
        )


def results(audit: HostAudit, name: str) -> dict[str, tuple[str, str, str]]:
    """control -> (status, message, evidence) for one container."""
    out = {}
    for o in audit.outcomes:
        if o.outcome.subject == f"container {name}":
            assert o.outcome.control not in out, f"two outcomes for {o.outcome.control}"
            out[o.outcome.control] = (o.outcome.status, o.outcome.message, o.outcome.evidence)
    return out


def _lsm() -> str:
    enabled = Path("/sys/module/apparmor/parameters/enabled")
    return PASS if enabled.exists() and enabled.read_text().strip() == "Y" else NA


# control -> (hardened, bad, evidence field; "GOOD|BAD" when they differ)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "4.1": (PASS, FAIL, "Config.User"),
    "5.4": (PASS, FAIL, "HostConfig.CapAdd|HostConfig.Privileged"),
    "5.5": (PASS, FAIL, "HostConfig.Privileged"),
    "5.6": (PASS, FAIL, "Mounts"),
    "5.7": (PASS, PASS, "/proc/PID/cgroup"),
    "5.8": (PASS, PASS, "HostConfig.PortBindings"),
    "5.9": (PASS, PASS, "NetworkSettings.Ports"),
    "5.10": (PASS, FAIL, "HostConfig.NetworkMode"),
    "5.11": (PASS, FAIL, "HostConfig.Memory"),
    "5.12": (PASS, FAIL, "HostConfig.CpuShares"),
    "5.13": (PASS, FAIL, "HostConfig.ReadonlyRootfs"),
    "5.14": (PASS, PASS, "HostConfig.PortBindings"),
    "5.15": (PASS, FAIL, "HostConfig.RestartPolicy"),
    "5.16": (PASS, FAIL, "HostConfig.PidMode"),
    "5.17": (PASS, FAIL, "HostConfig.IpcMode"),
    "5.18": (PASS, FAIL, "HostConfig.Devices|HostConfig.Privileged"),
    "5.19": (PASS, PASS, "HostConfig.Ulimits"),
    "5.20": (PASS, PASS, "Mounts[].Propagation"),
    "5.21": (PASS, FAIL, "HostConfig.UTSMode"),
    "5.22": (PASS, FAIL, "HostConfig.SecurityOpt"),
    "5.23": (PASS, FAIL, "ExecIDs|ProcessConfig.privileged"),
    "5.24": (PASS, FAIL, "ExecIDs|ProcessConfig.user"),
    "5.25": (PASS, PASS, "HostConfig.CgroupParent"),
    "5.26": (PASS, FAIL, "HostConfig.SecurityOpt"),
    "5.27": (PASS, FAIL, "Config.Healthcheck"),
    "5.29": (PASS, FAIL, "HostConfig.PidsLimit"),
    "5.30": (PASS, PASS, "NetworkSettings.Networks"),
    "5.31": (PASS, PASS, "HostConfig.UsernsMode"),
    "5.32": (PASS, FAIL, "Mounts"),
}


@pytest.mark.parametrize("control", sorted(EXPECTED, key=lambda c: [int(x) for x in c.split(".")]))
def test_section5_control(containers: Containers, control: str) -> None:
    good_status, bad_status, field = EXPECTED[control]
    good = results(containers.audit, containers.good)[control]
    bad = results(containers.audit, containers.bad)[control]
    assert good[0] == good_status, good
    assert bad[0] == bad_status, bad
    good_field, _, bad_field = field.partition("|")
    assert good_field in good[2], good
    assert (bad_field or good_field) in bad[2], bad


def test_lsm_controls_follow_the_host(containers: Containers) -> None:
    """AppArmor/SELinux controls are not applicable where the host has neither."""
    for name in (containers.good, containers.bad):
        res = results(containers.audit, name)
        assert res["5.2"][0] in (_lsm(), FAIL)
        assert res["5.3"][0] in (NA, FAIL, PASS)
        if not Path("/sys/fs/selinux/enforce").exists():
            assert res["5.3"][0] == NA


def test_evidence_names_the_offending_values(containers: Containers) -> None:
    bad = results(containers.audit, containers.bad)
    assert "/:/host (rw)" in bad["5.6"][1]
    assert "docker.sock" in bad["5.32"][1]
    assert bad["5.10"][1] == "NetworkMode=host"
    assert bad["5.15"][1] == "RestartPolicy=always:0"
    assert "seccomp=unconfined" in bad["5.22"][1]
    # Podman 4.3 reports IpcMode "shareable" for --ipc host; the namespace links in /proc tell the truth.
    assert bad["5.17"][1] in ("IpcMode=host", "IpcMode=shareable but the ipc namespace is the host's")
    assert bad["4.1"][1].startswith("User=(image default")
    good = results(containers.audit, containers.good)
    assert good["4.1"][1] == "User=65534:65534"
    assert good["5.11"][1] == f"Memory={64 << 20}"
    assert good["5.29"][1] == "PidsLimit=64"
    assert "dropped: ALL" in good["5.4"][1]
    assert good["5.7"][1] == "processes: sleep"  # found through the container's cgroup on this host


def test_published_privileged_port(containers: Containers) -> None:
    res = results(containers.audit, containers.ports)
    port = containers.port
    assert res["5.8"][0] == FAIL and f"{port}->8080/tcp" in res["5.8"][1]
    assert res["5.14"][0] == FAIL and "bound to all interfaces" in res["5.14"][1]
    assert res["5.9"][0] == MANUAL and f"0.0.0.0:{port}->8080/tcp" in res["5.9"][1]
    assert res["5.30"][0] == WARN and "podman" in res["5.30"][1]
    assert res["5.7"][0] == FAIL and res["5.7"][1] == "processes: sshd"


def test_engine_level_controls(containers: Containers) -> None:
    by_control = {
        o.outcome.control: o.outcome for o in containers.audit.outcomes if o.outcome.subject == "podman"
    }
    assert by_control["5.1"].status == PASS and by_control["5.1"].evidence == "/info Swarm.LocalNodeState"
    assert by_control["2.1"].status == WARN and by_control["2.1"].message == "rootful Podman"
    assert by_control["6.2"].status in (PASS, WARN)


def test_compliance_json_and_cli(containers: Containers, capsys: pytest.CaptureFixture[str]) -> None:
    report = compliance_json(containers.audit)
    status = {c["ID"]: c for c in report["Controls"]}
    assert status["5.5"]["Status"] == FAIL and status["5.5"]["Checks"] == ["HOST064"]
    assert any(f["Target"] == f"container {containers.bad}" for f in status["5.5"]["Findings"])
    assert status["5.28"]["Status"] == MANUAL and status["7.1"]["Status"] == NA
    assert len(report["Controls"]) == 117
    code = main(
        ["host", "--docker-host", f"unix://{containers.sock}", "--skip-version-check", "-f", "json",
         "--compliance", "docker-cis"]
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    cli = {c["ID"]: c["Status"] for c in out["Controls"]}
    assert cli["5.5"] == FAIL and cli["5.32"] == FAIL and cli["5.13"] == FAIL


def test_report_formats(containers: Containers, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["host", "--docker-host", f"unix://{containers.sock}", "--skip-version-check"]
    assert main([*base, "-f", "json", "--exit-code", "3"]) == 3
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    bad = next(r for r in doc["Results"] if r["Target"] == f"container {containers.bad}")
    ids = {m["ID"] for m in bad["Misconfigurations"]}
    assert {"HOST064", "HOST065", "HOST069", "HOST091"} <= ids
    assert all(m["Status"] in (FAIL, WARN, ERROR) for m in bad["Misconfigurations"])
    assert not any(r["Target"] == f"container {containers.good}" for r in doc["Results"])
    assert main([*base, "-f", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    assert "HOST064" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert main([*base, "-f", "junit", "--compliance", "docker-cis"]) == 0
    junit = capsys.readouterr().out
    assert "CIS 5.5 Ensure that privileged containers are not used" in junit
    assert main([*base, "--compliance", "docker-cis"]) == 0
    table = capsys.readouterr().out
    assert "5.32" in table and f"container {containers.bad}: engine socket mounted" in table
