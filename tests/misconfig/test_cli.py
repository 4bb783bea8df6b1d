"""`seawall config` end to end: hostile input, suppressions, CEL policies, compliance, output formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from seawall.cli.main import main

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers:
  - name: c
    image: busybox:1.36
    securityContext:
      privileged: true
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, "-f", "json", *args)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _ids(report: dict) -> set[str]:  # type: ignore[type-arg]
    return {m["ID"] for r in report["Results"] for m in r.get("Misconfigurations", [])}


def test_hostile_files_warn_and_the_rest_is_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text(PRIVILEGED)
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: [unclosed\n")
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    (tmp_path / "bomb.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n" + bomb)
    (tmp_path / "binary.yaml").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    with (tmp_path / "huge.yaml").open("w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\ndata:\n")
        line = "  k{}: " + "x" * 1000 + "\n"
        for i in range(50 * 1024):
            f.write(line.format(i))
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nFROBNICATE\nUSER root\n")
    code, out, err = run(capsys, "-f", "json", str(tmp_path))
    assert code == 0
    report = json.loads(out)
    targets = {r["Target"] for r in report["Results"]}
    assert targets == {"good.yaml", "Dockerfile"}
    assert {"K8S005", "DS001"} <= _ids(report)
    for name in ("broken.yaml", "bomb.yaml", "binary.yaml", "huge.yaml"):
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1, (name, err)
    assert "aliases expand" in err and "binary content" in err and "over the" in err
    assert "unknown instructions: FROBNICATE" in err
    assert "Traceback" not in err


def test_inline_suppression_ignore_file_and_skip_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        PRIVILEGED.replace(
            "      privileged: true", "      # seawall:ignore:K8S005 audited\n      privileged: true"
        )
    )
    assert "K8S005" not in _ids(_json(capsys, str(manifest)))
    assert "K8S033" in _ids(_json(capsys, str(manifest)))
    ignore = tmp_path / "ignore"
    ignore.write_text("# reviewed\nK8S033\nK8S031 exp:2000-01-01\n")
    ids = _ids(_json(capsys, "--ignorefile", str(ignore), str(manifest)))
    assert "K8S033" not in ids and "K8S031" in ids  # the expired entry no longer applies
    ids = _ids(_json(capsys, "--skip-checks", "K8S031,K8S026", str(manifest)))
    assert not ids & {"K8S031", "K8S026"}
    docker = tmp_path / "Dockerfile"
    docker.write_text("# seawall:ignore:DS022 health is checked by Kubernetes\nFROM debian:12.7\nUSER root\n")
    ids = _ids(_json(capsys, str(docker)))
    assert "DS022" not in ids and "DS001" in ids


def test_severity_filter_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    report = _json(capsys, "--severity", "HIGH,CRITICAL", str(tmp_path))
    severities = {m["Severity"] for r in report["Results"] for m in r["Misconfigurations"]}
    assert severities == {"HIGH"}
    code, _, _ = run(capsys, "--exit-code", "7", str(tmp_path))
    assert code == 7
    code, _, err = run(capsys, "--severity", "SEVERE", str(tmp_path))
    assert code == 2 and "unknown severity" in err


def test_json_is_trivy_shaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    report = _json(capsys, str(tmp_path))
    assert report["SchemaVersion"] == 2
    [result] = report["Results"]
    assert (result["Target"], result["Class"], result["Type"]) == ("pod.yaml", "config", "kubernetes")
    [m] = [m for m in result["Misconfigurations"] if m["ID"] == "K8S005"]
    assert m["AVDID"] == "SWL-K8S-0005" and m["Status"] == "FAIL" and m["Severity"] == "HIGH"
    assert m["Title"] and m["Description"] and m["Resolution"] and m["Message"]
    assert m["CauseMetadata"]["StartLine"] == 9 and m["CauseMetadata"]["EndLine"] == 9
    assert m["CauseMetadata"]["Resource"] == "Pod/apps/p"
    assert m["JSONPath"] == "spec.containers[0].securityContext.privileged"
    assert "k8s-pss-baseline:Privileged Containers" in m["Compliance"]


def test_sarif_validates_and_junit_parses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_dir: Path
) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    (tmp_path / "Dockerfile").write_text("FROM debian\nEXPOSE 22\n")
    code, out, _ = run(capsys, "-f", "sarif", str(tmp_path))
    assert code == 0
    sarif = json.loads(out)
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"K8S005", "DS021", "DS003"} <= rules
    code, out, _ = run(capsys, "-f", "junit", str(tmp_path))
    root = ET.fromstring(out)
    assert "DS021" in out and root.iter("testcase")


def test_cel_policies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    policy = tmp_path / "policies"
    policy.mkdir()
    (policy / "p.yaml").write_text(
        "policies:\n"
        "- id: ORG-001\n  severity: HIGH\n  match: {kinds: [Pod]}\n"
        "  expression: \"object.metadata.namespace != 'apps' || object.spec.containers.all(c, "
        '!has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)"\n'
        "  message: privileged containers are not allowed in apps\n"
        "- id: ORG-002\n  match: {targets: [dockerfile]}\n"
        "  expression: \"object.stages.all(s, s.base.startsWith('registry.example/'))\"\n"
        "  message: base images must come from registry.example\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nUSER app\n")
    report = _json(capsys, "--policy", str(policy), str(tmp_path))
    found = {(r["Target"], m["ID"]) for r in report["Results"] for m in r["Misconfigurations"]}
    assert ("pod.yaml", "ORG-001") in found and ("Dockerfile", "ORG-002") in found
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: X\nexpression: 'object.spec.'\nmessage: m\n")
    code, _, err = run(capsys, "--policy", str(bad), str(tmp_path))
    assert code == 2 and "expression does not compile" in err and err[-1] == "\n" and err.count("\n") == 1
    bad.write_text("id: X\nexpression: 'true'\nmessage: m\nseverity: URGENT\n")
    code, _, err = run(capsys, "--policy", str(bad), str(tmp_path))
    assert code == 2 and "severity must be one of" in err
    bad.write_text("id: X\nexpresion: 'true'\nmessage: m\n")
    code, _, err = run(capsys, "--policy", str(bad), str(tmp_path))
    assert code == 2 and "unknown field(s) expresion" in err


def test_compliance_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    report = _json(capsys, "--compliance", "k8s-pss-baseline", str(tmp_path))
    status = {c["ID"]: c["Status"] for c in report["Controls"]}
    assert status["Privileged Containers"] == "FAIL" and status["Host Namespaces"] == "PASS"
    assert len(status) == 12
    [priv] = [c for c in report["Controls"] if c["ID"] == "Privileged Containers"]
    assert priv["Findings"][0]["Target"] == "pod.yaml"
    restricted = _json(capsys, "--compliance", "k8s-pss-restricted", str(tmp_path))
    ids = {c["ID"] for c in restricted["Controls"]}
    assert "baseline/Privileged Containers" in ids and "Privilege Escalation" in ids
    cis = _json(capsys, "--compliance", "k8s-cis", str(tmp_path))
    cis_status = {c["ID"]: c["Status"] for c in cis["Controls"]}
    assert cis_status["5.2.2"] == "FAIL" and cis_status["5.5.1"] == "MANUAL"
    code, out, _ = run(capsys, "--compliance", "docker-cis", str(tmp_path))
    assert code == 0 and "4.1" in out and "MANUAL" in out
    code, out, _ = run(capsys, "--compliance", "k8s-nsa", str(tmp_path))
    assert "Do not run privileged containers" in out and "FAIL" in out
    code, _, err = run(capsys, "--compliance", "pci", str(tmp_path))
    assert code == 2 and "unknown compliance" in err


def test_compose_detection_by_name_and_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n"
    )
    (tmp_path / "stack.yaml").write_text("services:\n  db:\n    image: postgres:17\n    pid: host\n")
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    report = _json(capsys, str(tmp_path))
    found = {(r["Target"], r["Type"], m["ID"]) for r in report["Results"] for m in r["Misconfigurations"]}
    assert ("docker-compose.yml", "compose", "COMPOSE001") in found
    assert ("stack.yaml", "compose", "COMPOSE004") in found
    assert "values.yaml" not in {r["Target"] for r in report["Results"]}


def test_special_files_in_a_tree_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "loop").symlink_to(tmp_path)
    report = _json(capsys, str(tmp_path))
    assert {r["Target"] for r in report["Results"]} == {"pod.yaml"}


def test_compliance_without_evidence_is_manual(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nUSER app\n")
    report = _json(capsys, "--compliance", "k8s-pss-baseline", str(tmp_path))
    assert {c["Status"] for c in report["Controls"]} == {"MANUAL"}  # no manifests: nothing passed
    docker = _json(capsys, "--compliance", "docker-cis", str(tmp_path))
    status = {c["ID"]: c["Status"] for c in docker["Controls"]}
    assert status["4.1"] == "PASS" and status["4.6"] == "FAIL" and status["5.5"] == "MANUAL"
