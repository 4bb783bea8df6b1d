"""Sections 1-3 of the host audit on prepared host filesystems (``seawall host --root DIR``), and the
per-control errors: a daemon.json that is not JSON, an unreachable engine socket, permission denied."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostfs import bad_host, hardened_host, put

from seawall.cli.main import main
from seawall.host.audit import compliance_json, run_audit
from seawall.host.snapshot import collect
from seawall.misconfig.checks.host import ERROR, FAIL, MANUAL, NA, PASS, WARN

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="fixtures need chown")


def audit_json(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> dict[str, Any]:
    code = main(
        [
            "host",
            "--root",
            str(root),
            "--skip-version-check",
            "-f",
            "json",
            "--compliance",
            "docker-cis",
            *extra,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    doc: dict[str, Any] = json.loads(out)
    return doc


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["ID"]: c["Status"] for c in doc["Controls"]}


def result(doc: dict[str, Any], control: str, subject: str) -> dict[str, Any]:
    [c] = [c for c in doc["Controls"] if c["ID"] == control]
    found = [r for r in c["Results"] if r["Subject"] == subject]
    assert len(found) == 1, c["Results"]
    return found[0]


HARDENED = {
    "1.1.1": PASS, "1.1.2": PASS, "1.1.3": PASS, "1.1.4": NA, "1.1.5": PASS, "1.1.6": PASS, "1.1.7": PASS,
    "1.1.8": NA, "1.1.9": PASS, "1.1.10": NA, "1.1.11": PASS, "1.1.12": NA, "1.1.13": NA, "1.1.14": PASS,
    "1.1.15": NA, "1.1.16": NA, "1.1.17": NA, "1.1.18": PASS, "1.2.1": MANUAL, "1.2.2": MANUAL,
    "2.1": WARN, "2.2": PASS, "2.3": PASS, "2.4": PASS, "2.5": PASS, "2.6": PASS, "2.7": PASS, "2.8": PASS,
    "2.9": PASS, "2.10": PASS, "2.11": PASS, "2.12": PASS, "2.13": PASS, "2.14": PASS, "2.15": PASS,
    "2.16": PASS, "2.17": PASS, "2.18": PASS,
    "3.1": PASS, "3.2": PASS, "3.3": PASS, "3.4": PASS, "3.5": PASS, "3.6": PASS, "3.7": NA, "3.8": NA,
    "3.9": PASS, "3.10": PASS, "3.11": PASS, "3.12": PASS, "3.13": PASS, "3.14": PASS, "3.15": PASS,
    "3.16": PASS, "3.17": PASS, "3.18": PASS, "3.19": NA, "3.20": NA, "3.21": NA, "3.22": NA, "3.23": NA,
    "3.24": NA,
    "5.1": NA, "5.5": NA, "6.1": NA,
}  # fmt: skip

BAD = {
    "1.1.1": FAIL, "1.1.2": WARN, "1.1.3": FAIL, "1.1.5": FAIL, "1.1.6": FAIL, "1.1.7": FAIL, "1.1.9": FAIL,
    "1.1.11": FAIL, "1.1.14": FAIL, "1.1.18": FAIL,
    "2.1": WARN, "2.2": FAIL, "2.3": FAIL, "2.4": FAIL, "2.5": FAIL, "2.6": FAIL, "2.7": FAIL, "2.8": FAIL,
    "2.9": FAIL, "2.10": WARN, "2.11": WARN, "2.12": FAIL, "2.13": FAIL, "2.14": FAIL, "2.15": FAIL,
    "2.16": FAIL, "2.17": FAIL, "2.18": FAIL,
    "3.1": PASS, "3.2": FAIL, "3.3": FAIL, "3.4": PASS, "3.5": PASS, "3.6": FAIL, "3.9": PASS, "3.10": FAIL,
    "3.11": NA, "3.12": NA, "3.13": PASS, "3.14": FAIL, "3.15": FAIL, "3.16": FAIL, "3.17": FAIL, "3.18": FAIL,
}  # fmt: skip


@pytest.fixture
def hardened(tmp_path: Path) -> Path:
    return hardened_host(tmp_path / "good")


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    return bad_host(tmp_path / "bad")


def test_hardened_host(hardened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = audit_json(capsys, hardened)
    got = statuses(doc)
    assert {c: got[c] for c in HARDENED} == HARDENED
    assert doc["Summary"]["FAIL"] == 0 and doc["Summary"]["ERROR"] == 0


def test_misconfigured_host(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = audit_json(capsys, bad)
    got = statuses(doc)
    assert {c: got[c] for c in BAD} == BAD


def test_evidence_for_daemon_settings(bad: Path, hardened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = audit_json(capsys, bad)
    assert result(doc, "2.2", "docker")["Evidence"] == "/etc/docker/daemon.json: icc"
    # The command line wins over daemon.json and is named as the evidence.
    tls = result(doc, "2.7", "docker")
    assert "tcp://0.0.0.0:2375" in tls["Message"] and tls["Evidence"] == "dockerd --host (pid 4242)"
    insecure = result(doc, "2.5", "docker")
    assert insecure["Message"] == "insecure registries: registry.local:5000"  # 127.0.0.0/8 is dockerd's own
    podman = result(doc, "2.5", "podman")
    assert podman["Status"] == FAIL and podman["Evidence"] == "/etc/containers/registries.conf"
    assert (
        result(doc, "2.14", "podman")["Evidence"]
        == "/etc/containers/containers.conf: [containers] no_new_privileges"
    )
    assert result(doc, "1.1.2", "docker")["Message"] == "docker group members: alice, bob"
    assert "/etc/docker mode 0777" in result(doc, "3.6", "/etc/docker")["Evidence"]
    podman_sock = result(doc, "3.15", "/run/podman/podman.sock")
    assert podman_sock["Status"] == FAIL and podman_sock["Message"].endswith("owned by 0:999, not root:root")
    assert result(doc, "3.16", "/run/podman/podman.sock")["Status"] == PASS
    assert result(doc, "3.15", "/run/docker.sock")["Status"] == PASS  # root:docker is right for docker.sock
    assert result(doc, "3.17", "/etc/docker/daemon.json")["Message"].endswith(
        "owned by 1000:1000, not root:root"
    )
    assert result(doc, "3.14", "/etc/docker/tls/server-key.pem")["Message"].endswith("is wider than 0400")
    good = audit_json(capsys, hardened)
    assert result(good, "1.1.18", "/usr/bin/runc")["Evidence"] == "/etc/audit/rules.d/docker.rules:13"
    assert result(good, "1.1.1", "docker")["Evidence"].startswith(
        "/etc/fstab: /var/lib/docker is on the mount"
    )
    assert result(good, "3.15", "/run/docker.sock")["Message"] == "/run/docker.sock is owned by root:docker"


def test_unqualified_search_registries(bad: Path, hardened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["host", "--root", str(bad), "--skip-version-check", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    podman = next(r for r in doc["Results"] if r["Target"] == "podman")
    [hit] = [m for m in podman["Misconfigurations"] if m["ID"] == "HOST100"]
    assert "docker.io, quay.io" in hit["Message"] and hit["Status"] == FAIL
    assert main(["host", "--root", str(hardened), "--skip-version-check", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert not [m for r in doc["Results"] for m in r["Misconfigurations"] if m["ID"] == "HOST100"]


def test_daemon_json_not_json(hardened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (hardened / "etc/docker/daemon.json").write_text('{"icc": false,\n  "log-level": info}\n')
    doc = audit_json(capsys, hardened)
    got = statuses(doc)
    err = result(doc, "2.2", "docker")
    assert err["Status"] == ERROR
    assert err["Message"].startswith("/etc/docker/daemon.json is not valid JSON: Expecting value at line 2")
    for control in ("2.2", "2.3", "2.7", "2.9", "2.10", "2.11", "2.14", "2.17", "3.9", "3.14"):
        assert got[control] == ERROR, control
    # Everything that does not read daemon.json still runs.
    assert result(doc, "2.14", "podman")["Status"] == PASS
    assert got["1.1.3"] == PASS and got["3.6"] == PASS and got["3.16"] == PASS and got["3.17"] == PASS


def test_unreachable_engine_socket(
    hardened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.sock"
    doc = audit_json(capsys, hardened, "--docker-host", f"unix://{missing}")
    got = statuses(doc)
    assert got["5.5"] == ERROR and got["6.1"] == ERROR and got["5.1"] == ERROR
    [five] = [c for c in doc["Controls"] if c["ID"] == "5.5"]
    assert five["Results"][0]["Message"].startswith(f"no daemon socket at {missing}")
    assert got["2.2"] == PASS and got["3.6"] == PASS  # the rest of the audit ran
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(dead))  # bound but never listening: connection refused
    doc = audit_json(capsys, hardened, "--docker-host", f"unix://{dead}")
    [five] = [c for c in doc["Controls"] if c["ID"] == "5.5"]
    assert five["Status"] == ERROR and "cannot reach the daemon" in five["Results"][0]["Message"]


@pytest.fixture
def world_readable_root() -> Iterator[Path]:
    """A host root that user nobody can traverse (pytest's tmp dirs are private to root)."""
    base = Path(tempfile.mkdtemp(prefix="seawall-host-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_permission_denied(world_readable_root: Path, tmp_path: Path) -> None:
    """Run as nobody: an unreadable daemon.json and engine socket are per-control errors."""
    root = hardened_host(world_readable_root / "host")
    put(root, "/etc/docker/daemon.json", "{}", 0o600)
    sock = root / "run/docker.sock"
    env = {
        **os.environ,
        "HOME": str(world_readable_root),
        "SEAWALL_CACHE_DIR": str(world_readable_root / "cache"),
    }
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "seawall",
         "host", "--root", str(root), "--docker-host", f"unix://{sock}", "--skip-version-check",
         "-f", "json", "--compliance", "docker-cis"],
        capture_output=True, text=True, env=env, cwd=world_readable_root, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    err = result(doc, "2.2", "docker")
    assert err["Status"] == ERROR and err["Message"] == "/etc/docker/daemon.json: permission denied"
    [five] = [c for c in doc["Controls"] if c["ID"] == "5.5"]
    assert five["Status"] == ERROR
    assert five["Results"][0]["Message"].startswith(f"permission denied on daemon socket {sock}")
    assert statuses(doc)["3.18"] == PASS  # stat works where reading does not
    assert "Traceback" not in proc.stderr


def test_symlinks_stay_inside_the_root(
    hardened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An absolute link in the mounted host resolves inside --root, never on the auditing machine."""
    outside = tmp_path / "outside.json"
    outside.write_text('{"icc": true}')
    daemon = hardened / "etc/docker/daemon.json"
    daemon.unlink()
    (hardened / "srv").mkdir()
    put(hardened, "/srv/daemon.json", '{"icc": false}')
    daemon.symlink_to("/srv/daemon.json")
    doc = audit_json(capsys, hardened)
    assert result(doc, "2.2", "docker")["Status"] == PASS
    daemon.unlink()
    daemon.symlink_to(f"/../../../../../../..{outside}")
    doc = audit_json(capsys, hardened)
    assert result(doc, "2.2", "docker")["Status"] == FAIL  # icc unset: the outside file was not read
    assert "no daemon.json" in result(doc, "2.2", "docker")["Evidence"]


def test_no_container_engine(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    audit = run_audit(collect(tmp_path))
    report = compliance_json(audit)
    got = statuses(report)
    assert got["2.2"] == NA and got["3.1"] == NA and got["5.5"] == NA and got["1.1.1"] == NA


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["host", "--root", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["host", "--root", str(tmp_path), "--compliance", "k8s-cis"]) == 2
    assert "unknown compliance" in capsys.readouterr().err
    assert main(["host", "--root", str(tmp_path), "--skip-checks", "HOST999"]) == 2
    assert "unknown host check id" in capsys.readouterr().err


def test_hostile_host_files(hardened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Deep nesting, wrong types, FIFOs, huge and binary files: per-control errors, no hang, no traceback."""
    (hardened / "etc/docker/daemon.json").write_text("[" * 200_000 + "]" * 200_000)
    conf = hardened / "etc/containers/containers.conf"
    conf.unlink()
    os.mkfifo(conf)  # opening a FIFO for reading would block forever
    put(
        hardened,
        "/etc/containers/registries.conf",
        'unqualified-search-registries = "docker.io"\nregistry = 5\n',
    )
    put(hardened, "/etc/containers/storage.conf", "\0\xff" * 10 + "[storage\n")
    (hardened / "etc/audit/rules.d/big.rules").write_bytes(b"-w /x\n" * 1_000_000)  # over the 4 MiB cap
    fifo_cmdline = hardened / "proc/4243/cmdline"
    fifo_cmdline.parent.mkdir(parents=True)
    os.mkfifo(fifo_cmdline)
    doc = audit_json(capsys, hardened)
    got = statuses(doc)
    assert "nested too deeply" in result(doc, "2.2", "docker")["Message"]
    assert result(doc, "2.14", "podman") == {
        "Subject": "podman", "Status": ERROR, "Message": "/etc/containers/containers.conf: not a regular file",
        "Evidence": "/usr/share/containers/containers.conf, /etc/containers/containers.conf"
        if (hardened / "usr/share/containers/containers.conf").exists() else "/etc/containers/containers.conf",
        "Check": "HOST033",
    }  # fmt: skip
    assert result(doc, "2.5", "podman")["Status"] == PASS  # a scalar `registry` is no insecure registry
    assert got["2.6"] == ERROR and "not valid TOML" in result(doc, "2.6", "podman")["Message"]
    assert got["1.1.3"] == PASS  # docker.rules still read; big.rules refused
    assert got["3.6"] == PASS


def test_rootless_user_configuration(world_readable_root: Path) -> None:
    """A live audit run by a (rootless Podman) user reads that user's containers configuration."""
    home = world_readable_root / "home"
    conf = home / ".config/containers"
    conf.mkdir(parents=True)
    (conf / "registries.conf").write_text('[[registry]]\nlocation = "10.0.0.5:5000"\ninsecure = true\n')
    (conf / "containers.conf").write_text("[containers]\nno_new_privileges = true\n")
    for d in (world_readable_root, home, home / ".config", conf):
        d.chmod(0o755)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "SEAWALL_CACHE_DIR": str(world_readable_root / "cache")}  # fmt: skip
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "seawall",
         "host", "--docker-host", f"unix://{world_readable_root}/none.sock", "--skip-version-check",
         "-f", "json", "--compliance", "docker-cis"],
        capture_output=True, text=True, env=env, cwd=world_readable_root, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    insecure = result(doc, "2.5", "podman")
    assert insecure["Status"] == FAIL and "10.0.0.5:5000" in insecure["Message"]
    assert insecure["Evidence"] == f"{conf}/registries.conf"
    nnp = result(doc, "2.14", "podman")
    assert nnp["Status"] == PASS and nnp["Evidence"].endswith(
        f"{conf}/containers.conf: [containers] no_new_privileges"
    )
