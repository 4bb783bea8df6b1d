"""The admission webhook driven over HTTPS with AdmissionReview v1 JSON, as the apiserver sends it."""

from __future__ import annotations

import copy
import http.client
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tlsutil import self_signed

from seawall.errors import UsageError
from seawall.k8s.admission import WebhookServer, serve
from seawall.k8s.policy import AdmissionPolicyError, load_policy

COMPLIANT_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "web",
                "image": "ghcr.io/acme/web@sha256:" + "1" * 64,
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "runAsNonRoot": True,
                },
            }
        ],
    },
}

CEL = """
id: CUSTOM-TEAM
title: Pods carry a team label
severity: MEDIUM
match: {kinds: [Pod, Deployment]}
expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
message: "the team label is missing"
"""


def review(
    obj: dict[str, Any] | None, uid: str = "u-1", dry_run: bool = False, operation: str = "CREATE"
) -> bytes:
    kind = obj["kind"] if obj else "Pod"
    group, _, version = (obj or {}).get("apiVersion", "v1").rpartition("/")
    return orjson.dumps(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "kind": {"group": group, "version": version, "kind": kind},
                "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
                "name": "",
                "namespace": "apps",
                "operation": operation,
                "userInfo": {"username": "alice"},
                "object": obj,
                "oldObject": None,
                "dryRun": dry_run,
            },
        }
    )


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebhookServer, ssl.SSLContext, Path]]:
    d = tmp_path_factory.mktemp("webhook")
    cert, key = self_signed(d)
    (d / "cel.yaml").write_text(CEL)
    (d / "policy.yaml").write_text(
        "podSecurity: {level: restricted, action: deny}\n"
        "registries: {allowed: [ghcr.io/acme, registry.k8s.io], action: deny}\n"
        "digests: {required: true, action: warn}\n"
        "cel: {files: [cel.yaml], action: warn}\n"
        "exemptNamespaces: [kube-system]\n"
        "auditLog: audit.jsonl\n"
    )
    server = serve(load_policy(d / "policy.yaml"), cert, key, ("127.0.0.1", 0))
    client_ctx = ssl.create_default_context(cafile=str(cert))
    yield server, client_ctx, d
    server.shutdown()
    server.server_close()


def post(webhook: tuple[WebhookServer, ssl.SSLContext, Path], body: bytes) -> tuple[int, dict[str, Any]]:
    server, ctx, _ = webhook
    conn = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=ctx, timeout=10)
    conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def test_compliant_pod_allowed_with_digest_and_labels(webhook: Any) -> None:
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["metadata"]["labels"] = {"team": "web"}
    status, out = post(webhook, review(pod, uid="ok-1"))
    assert status == 200
    assert out["apiVersion"] == "admission.k8s.io/v1" and out["kind"] == "AdmissionReview"
    assert out["response"] == {"uid": "ok-1", "allowed": True}


def test_privileged_pod_denied_naming_the_check(webhook: Any) -> None:
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    status, out = post(webhook, review(pod, uid="priv-1"))
    resp = out["response"]
    assert status == 200 and resp["uid"] == "priv-1" and resp["allowed"] is False
    assert resp["status"]["code"] == 403
    assert "[K8S005]" in resp["status"]["message"]
    assert "privileged" in resp["status"]["message"]
    assert resp["status"]["message"].startswith("seawall denied Pod apps/web")


def test_unlisted_registry_denied(webhook: Any) -> None:
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["metadata"]["labels"] = {"team": "web"}
    pod["spec"]["containers"][0]["image"] = "docker.io/evil/miner@sha256:" + "2" * 64
    _, out = post(webhook, review(pod))
    resp = out["response"]
    assert resp["allowed"] is False
    assert "[registry]" in resp["status"]["message"] and "docker.io/evil/miner" in resp["status"]["message"]


def test_registry_prefix_is_not_a_string_prefix(webhook: Any) -> None:
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["metadata"]["labels"] = {"team": "web"}
    pod["spec"]["containers"][0]["image"] = "ghcr.io/acme-evil/web@sha256:" + "3" * 64
    _, out = post(webhook, review(pod))
    assert out["response"]["allowed"] is False


def test_warn_actions_allow_with_warnings(webhook: Any) -> None:
    pod = copy.deepcopy(COMPLIANT_POD)  # no team label (CEL, warn) and a tag (digest, warn)
    pod["spec"]["containers"][0]["image"] = "registry.k8s.io/pause:3.9"
    _, out = post(webhook, review(pod))
    resp = out["response"]
    assert resp["allowed"] is True
    assert any(w.startswith("[CUSTOM-TEAM]") for w in resp["warnings"])
    assert any(w.startswith("[digest]") for w in resp["warnings"])


def test_deployment_template_checked(webhook: Any) -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "apps", "labels": {"team": "x"}},
        "spec": {"template": {"metadata": {}, "spec": copy.deepcopy(COMPLIANT_POD["spec"])}},
    }
    deploy["spec"]["template"]["spec"]["hostNetwork"] = True
    _, out = post(webhook, review(deploy))
    assert out["response"]["allowed"] is False
    assert "hostNetwork" in out["response"]["status"]["message"]


def test_exempt_namespace_and_other_kinds_allowed(webhook: Any) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    assert post(webhook, review(cm))[1]["response"]["allowed"] is True
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    body = json.loads(review(pod))
    body["request"]["namespace"] = "kube-system"
    assert post(webhook, orjson.dumps(body))[1]["response"]["allowed"] is True
    assert post(webhook, review(None, operation="DELETE"))[1]["response"]["allowed"] is True


def test_dry_run_gets_the_verdict_but_no_audit_record(webhook: Any) -> None:
    _, _, d = webhook
    audit = d / "audit.jsonl"
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    _, out = post(webhook, review(pod, uid="dry-1", dry_run=True))
    assert out["response"]["allowed"] is False
    _, out = post(webhook, review(pod, uid="wet-1"))
    assert out["response"]["allowed"] is False
    uids = [json.loads(line)["uid"] for line in audit.read_text().splitlines()]
    assert "wet-1" in uids and "dry-1" not in uids


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}',
        b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}}',
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": 5}}',
    ],
)
def test_malformed_review_is_400_and_server_lives_on(webhook: Any, body: bytes) -> None:
    status, out = post(webhook, body)
    assert status == 400 and out["error"]
    pod = copy.deepcopy(COMPLIANT_POD)
    pod["metadata"]["labels"] = {"team": "web"}
    assert post(webhook, review(pod))[1]["response"]["allowed"] is True


def test_hostile_object_shapes_do_not_crash(webhook: Any) -> None:
    weird = {"apiVersion": "v1", "kind": "Pod", "metadata": "x", "spec": {"containers": "nope"}}
    status, out = post(webhook, review(weird))
    assert status == 200 and out["response"]["uid"] == "u-1"


def test_oversized_body_413_and_healthz(webhook: Any) -> None:
    server, ctx, _ = webhook
    conn = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=ctx, timeout=10)
    conn.putrequest("POST", "/validate")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413
    conn.close()
    conn = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=ctx, timeout=10)
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b"ok"


def test_plain_http_client_cannot_talk_to_it(webhook: Any) -> None:
    server, _, _ = webhook
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
        conn.request("GET", "/healthz")
        conn.getresponse()


def test_bad_policy_files_are_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    for text, needle in [
        ("podSecurity: {level: strict}\n", "level"),
        ("registries: {allowed: docker.io}\n", "registries.allowed"),
        ("unknownThing: 1\n", "unknown section"),
        ("vulnerabilities: {reports: missing/}\n", "does not exist"),
        ("- a\n- b\n", "one YAML mapping"),
    ]:
        bad.write_text(text)
        with pytest.raises(AdmissionPolicyError, match=needle):
            load_policy(bad)


def test_bad_certificate_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("junk")
    (tmp_path / "p.yaml").write_text("{}\n")
    with pytest.raises(UsageError, match="cannot load TLS"):
        serve(load_policy(tmp_path / "p.yaml"), tmp_path / "c.pem", tmp_path / "c.pem", ("127.0.0.1", 0))


def _vuln_report(name: str, digest: str, severities: list[str]) -> dict[str, Any]:
    return {
        "SchemaVersion": 2,
        "ArtifactName": name,
        "ArtifactType": "container_image",
        "Metadata": {"RepoTags": [name], "RepoDigests": [f"{name.rsplit(':', 1)[0]}@{digest}"]},
        "Results": [
            {
                "Target": "debian 12",
                "Vulnerabilities": [
                    {"VulnerabilityID": f"CVE-2024-{i}", "Severity": sev} for i, sev in enumerate(severities)
                ],
            }
        ],
    }


def test_vulnerability_thresholds_from_stored_scans(tmp_path: Path) -> None:
    from seawall.k8s.admission import Evaluator

    reports = tmp_path / "scans"
    reports.mkdir()
    bad_digest, ok_digest = "sha256:" + "b" * 64, "sha256:" + "c" * 64
    (reports / "bad.json").write_bytes(
        orjson.dumps(_vuln_report("ghcr.io/acme/old:1", bad_digest, ["CRITICAL", "HIGH"]))
    )
    (reports / "ok.json").write_bytes(orjson.dumps(_vuln_report("ghcr.io/acme/new:2", ok_digest, ["LOW"])))
    (reports / "junk.json").write_text("{broken")
    (tmp_path / "p.yaml").write_text(
        "vulnerabilities: {reports: scans, maxSeverity: HIGH, unscanned: deny}\n"
    )
    evaluator = Evaluator(load_policy(tmp_path / "p.yaml"))

    def decide(image: str) -> Any:
        pod = copy.deepcopy(COMPLIANT_POD)
        pod["spec"]["containers"][0]["image"] = image
        return evaluator.decide(json.loads(review(pod)))

    by_digest = decide(f"ghcr.io/acme/old@{bad_digest}")
    assert not by_digest.allowed and "1 CRITICAL, 1 HIGH" in by_digest.message
    assert not decide("ghcr.io/acme/old:1").allowed  # by tag
    assert decide(f"ghcr.io/acme/new@{ok_digest}").allowed
    unscanned = decide("ghcr.io/acme/never:1")
    assert not unscanned.allowed and "has not been scanned" in unscanned.message
    (tmp_path / "p.yaml").write_text("vulnerabilities: {reports: scans, unscanned: warn}\n")
    warned = Evaluator(load_policy(tmp_path / "p.yaml")).decide(json.loads(review(COMPLIANT_POD)))
    assert warned.allowed and any(v.check == "vulnerabilities" for v in warned.violations)


def test_fail_open_and_closed_on_evaluation_errors(tmp_path: Path) -> None:
    """A CEL policy that breaks at evaluation is skipped; a broken evaluator follows --fail-open/closed."""
    from seawall.k8s.admission import Evaluator

    (tmp_path / "p.yaml").write_text("podSecurity: {level: baseline}\n")
    policy = load_policy(tmp_path / "p.yaml")
    body = json.loads(review(COMPLIANT_POD))
    for fail_open in (True, False):
        evaluator = Evaluator(policy, fail_open=fail_open)
        evaluator.pss_checks = (None,)  # type: ignore[assignment]  # a defect inside the evaluator
        decision = evaluator.decide(body)
        assert decision.allowed is fail_open
        assert ("fail-open" if fail_open else "fail-closed") in decision.message


def test_install_manifests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from seawall.cli.main import main
    from seawall.yamlsafe import load_yaml_documents

    cert, _ = self_signed(tmp_path)
    for flag, expected in (("--fail-open", "Ignore"), ("--fail-closed", "Fail")):
        code = main(["k8s", "install", "--print", flag, "--ca-bundle", str(cert), "-n", "sec"])
        docs = [d for d in load_yaml_documents(capsys.readouterr().out) if d]
        assert code == 0
        kinds = [d["kind"] for d in docs]
        for kind in ("ValidatingWebhookConfiguration", "Service", "Deployment", "ClusterRole", "DaemonSet"):
            assert kind in kinds
        hook = next(d for d in docs if d["kind"] == "ValidatingWebhookConfiguration")["webhooks"][0]
        assert hook["failurePolicy"] == expected and hook["sideEffects"] == "NoneOnDryRun"
        assert hook["clientConfig"]["service"]["namespace"] == "sec" and hook["clientConfig"]["caBundle"]
        assert "sec" in hook["namespaceSelector"]["matchExpressions"][0]["values"]
        deploy = next(d for d in docs if d["kind"] == "Deployment")
        assert flag in deploy["spec"]["template"]["spec"]["containers"][0]["args"]
    assert main(["k8s", "install", "--print", "--timeout", "99"]) == 2


def test_connection_limit_closes_extra_connections(tmp_path: Path) -> None:
    from seawall.k8s.admission import Evaluator, tls_context

    cert, key = self_signed(tmp_path)
    (tmp_path / "p.yaml").write_text("{}\n")
    server = WebhookServer(
        ("127.0.0.1", 0), Evaluator(load_policy(tmp_path / "p.yaml")), tls_context(cert, key), 2
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = ssl.create_default_context(cafile=str(cert))
    port = server.server_address[1]
    try:
        idle = [
            ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
            for _ in range(2)
        ]
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        with pytest.raises((OSError, http.client.HTTPException)):
            conn.request("GET", "/healthz")
            conn.getresponse()
        for s in idle:
            s.close()
        for _ in range(50):  # the handler threads notice the closed sockets and free their slots
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        else:
            pytest.fail("slots were not released")
    finally:
        server.shutdown()
        server.server_close()
