"""Sources, sinks, agent counters and the CLI, with real sockets on loopback and real files."""

from __future__ import annotations

import http.server
import io
import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from seawall.cli.main import main
from seawall.runtime.agent import Agent
from seawall.runtime.alerts import Alert, Priority
from seawall.runtime.engine import Engine
from seawall.runtime.rules.compiler import compile_spec
from seawall.runtime.rules.loader import load_rule_files
from seawall.runtime.sinks import FileSink, StdoutSink, SyslogSink, WebhookSink
from seawall.runtime.sources.k8s_audit import AuditFileSource, AuditWebhookSource
from seawall.runtime.sources.replay import CaptureWriter, ReplaySource

SHARED = Path(__file__).resolve().parents[3] / "shared"
STABLE = SHARED / "corpus/falco-rules/rules/falco_rules.yaml"
K8S_RULES = SHARED / "corpus/falco-rules/plugins/plugins/k8saudit/rules/k8s_audit_rules.yaml"
TRACES = SHARED / "corpus/k8s-audit-falco/test/trace_files/k8s_audit"

SHADOW_READ: dict[str, Any] = {
    "evt.type": "openat",
    "evt.dir": "<",
    "evt.time": 1_700_000_000_000_000_000,
    "evt.is_open_read": True,
    "evt.is_open_write": False,
    "fd.typechar": "f",
    "fd.num": 3,
    "fd.name": "/etc/shadow",
    "fd.directory": "/etc",
    "fd.filename": "shadow",
    "proc.name": "cat",
    "proc.exe": "cat",
    "proc.exepath": "/usr/bin/cat",
    "proc.cmdline": "cat /etc/shadow",
    "proc.pname": "bash",
    "proc.aname": ["bash", "conmon"],
    "proc.pid": 100,
    "user.name": "root",
    "user.uid": 0,
    "user.loginuid": -1,
    "container.id": "1f32a729e38c",
    "container.name": "web",
    "container.image.repository": "localhost/deb-app",
}


@pytest.fixture(scope="module")
def stable_engine_rules() -> Any:
    return compile_spec(load_rule_files([STABLE]))


@pytest.fixture(scope="module")
def k8s_rules() -> Any:
    return compile_spec(load_rule_files([STABLE, K8S_RULES]))


def _alert() -> Alert:
    return Alert("R", Priority.WARNING, "out", "syscall", 1_700_000_000_000_000_000, "h", ("t",), {"a": 1})


def test_replay_skips_truncated_lines_and_unknown_types_and_keeps_going(
    tmp_path: Path, stable_engine_rules: Any
) -> None:
    path = tmp_path / "events.jsonl"
    good = orjson.dumps(SHADOW_READ)
    path.write_bytes(
        good
        + b"\n"
        + good[: len(good) // 2]
        + b"\n"  # truncated line
        + b'{"evt.type": "no_such_syscall", "proc.name": "x"}\n'
        + b"[1, 2]\n"
        + b"\n"
        + good
        + b"\n"
        + good[:10]  # truncated last line, no newline
    )
    src = ReplaySource(path)
    out = io.StringIO()
    agent = Agent(src, Engine(stable_engine_rules, hostname="h"), [StdoutSink(stream=out)])
    counters = agent.run()
    assert counters["events_received"] == 3
    assert counters["events_malformed"] == 3
    assert counters["events_unknown_type"] == 1
    assert counters["events_processed"] == 2
    assert counters["alerts_by_rule"] == {"Read sensitive file untrusted": 2}
    first = json.loads(out.getvalue().splitlines()[0])
    assert first["rule"] == "Read sensitive file untrusted" and first["priority"] == "Warning"
    assert first["output_fields"]["container.name"] == "web"


def test_capture_then_replay_round_trips_audit_and_syscall_events(tmp_path: Path, k8s_rules: Any) -> None:
    cap = tmp_path / "cap.jsonl"
    writer = CaptureWriter(cap)
    src = AuditFileSource(TRACES / "create_configmap_sensitive_values.json", follow=False)
    first = Agent(src, Engine(k8s_rules, hostname="h"), [], capture=writer).run()
    assert first["alerts_by_rule"] == {"Create/Modify Configmap With Private Credentials": 6}
    second = Agent(ReplaySource(cap), Engine(k8s_rules, hostname="h"), []).run()
    assert second["alerts_by_rule"] == first["alerts_by_rule"]
    assert all(
        set(json.loads(line)) <= {"evt.source", "_ka", "evt.time"} for line in cap.read_text().splitlines()
    )


def test_audit_file_tail_follows_appends_and_skips_malformed(tmp_path: Path, k8s_rules: Any) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes((TRACES / "create_deployment.json").read_bytes())
    src = AuditFileSource(log, follow=True, poll=0.05)
    engine = Engine(k8s_rules, hostname="h")
    seen: list[str] = []

    class Collect:
        def emit(self, alert: Alert) -> None:
            seen.append(alert.rule)
            if len(seen) == 1:
                with log.open("ab") as f:
                    f.write(b'{"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": \n')  # torn write
                    f.write((TRACES / "delete_deployment.json").read_bytes())
            if len(seen) == 2:
                src.stop()

        def close(self) -> None:
            pass

    counters = Agent(src, engine, [Collect()]).run()
    assert seen == ["K8s Deployment Created", "K8s Deployment Deleted"]
    assert counters["events_malformed"] == 1


def test_webhook_receives_eventlists_like_kube_apiserver(k8s_rules: Any) -> None:
    src = AuditWebhookSource("127.0.0.1:0")
    events = [
        json.loads(line) for line in (TRACES / "create_nginx_pod_privileged.json").read_text().splitlines()
    ]
    body = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": events}
    results: list[Alert] = []

    class Collect:
        def emit(self, alert: Alert) -> None:
            results.append(alert)
            src.stop()

        def close(self) -> None:
            pass

    with httpx.Client() as client:
        assert client.post(src.url, content=b"{not json").status_code == 400
        assert client.post(src.url, json={"kind": "Pod", "apiVersion": "v1"}).status_code == 400
        with socket.create_connection(src.address) as raw:  # a lying, huge Content-Length
            raw.sendall(b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nxx")
            assert raw.recv(100).startswith(b"HTTP/1.1 413")
        assert client.post(src.url, json=body).status_code == 200
    counters = Agent(src, Engine(k8s_rules, hostname="h"), [Collect()]).run()
    assert [a.rule for a in results] == ["Create Privileged Pod"]
    assert results[0].source == "k8s_audit" and results[0].output_fields["ka.user.name"].startswith(
        "system:serviceaccount:"
    )
    assert counters["events_malformed"] == 3 and counters["events_received"] == 1


def test_file_and_stdout_sinks(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    sink = FileSink(path)
    sink.emit(_alert())
    sink.emit(_alert())
    sink.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["output_fields"] == {"a": 1} and lines[0]["rule"] == "R"
    out = io.StringIO()
    StdoutSink(json_output=False, stream=out).emit(_alert())
    assert out.getvalue() == "22:13:20.000000000: Warning out\n"


def test_webhook_sink_retries_with_backoff_until_the_receiver_recovers() -> None:
    received: list[dict[str, Any]] = []
    attempts = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            attempts["n"] += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if attempts["n"] < 3:
                self.send_response(503)
            else:
                received.append(json.loads(body))
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sink = WebhookSink(f"http://127.0.0.1:{server.server_address[1]}/", backoff=0.01, retries=5)
        sink.emit(_alert())
        sink.close()
    finally:
        server.shutdown()
        server.server_close()
    assert attempts["n"] == 3 and sink.sent == 1 and received[0]["rule"] == "R"


def test_webhook_sink_queue_is_bounded() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens: every post fails and the worker backs off
    sink = WebhookSink(f"http://127.0.0.1:{port}/", queue_size=5, retries=100, backoff=10)
    for _ in range(50):
        sink.emit(_alert())
    assert sink.dropped >= 40
    sink.close(timeout=0.2)


def test_syslog_sink_sends_priority_mapped_messages() -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    sink = SyslogSink(f"udp://127.0.0.1:{rx.getsockname()[1]}", facility="local0")
    sink.emit(_alert())
    data = rx.recv(65536).decode()
    sink.close()
    rx.close()
    assert data.startswith("<132>seawall: ")  # local0 (16) * 8 + warning (4)
    assert json.loads(data.split("seawall: ", 1)[1])["rule"] == "R"


def test_cli_validate_list_and_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runtime", "rules", "validate", str(STABLE), str(K8S_RULES)]) == 0
    assert "73 rules compiled, 0 skipped" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  desc: d\n  condition: proc.nope = 1\n  output: o\n  priority: INFO\n")
    assert main(["runtime", "rules", "validate", str(bad)]) == 1
    assert f"{bad}:1: error: rule 'x': unknown field proc.nope" in capsys.readouterr().err
    assert main(["runtime", "rules", "list", "-r", str(STABLE), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    shell = next(r for r in rows if r["rule"] == "Terminal shell in container")
    assert shell["priority"] == "Notice" and shell["evttypes"] == ["execve", "execveat"]
    events = tmp_path / "ev.jsonl"
    events.write_bytes(orjson.dumps(SHADOW_READ) + b"\n" + b'{"evt.type": "openat", "fd.na\n')
    rc = main(
        ["runtime", "run", "-r", str(STABLE), "--source", f"replay:{events}", "--min-priority", "warning"]
    )
    captured = capsys.readouterr()
    assert rc == 0
    assert json.loads(captured.out)["rule"] == "Read sensitive file untrusted"
    counters = json.loads(captured.err.strip().splitlines()[-1])["counters"]
    assert counters["events_malformed"] == 1 and counters["alerts"] == 1
    rc = main(
        ["runtime", "run", "-r", str(STABLE), "--source", f"replay:{events}", "--min-priority", "critical"]
    )
    assert rc == 0 and capsys.readouterr().out == ""
    assert main(["runtime", "run", "-r", str(STABLE), "--source", "nope"]) == 2
    assert "use one of" in capsys.readouterr().err


def test_webhook_over_https(tmp_path: Path, k8s_rules: Any) -> None:
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    src = AuditWebhookSource("127.0.0.1:0", certfile=certfile, keyfile=keyfile)
    assert src.url.startswith("https://")
    body = (TRACES / "create_deployment.json").read_bytes()
    with httpx.Client(verify=ssl.create_default_context(cafile=str(certfile))) as client:
        assert client.post(src.url, content=body).status_code == 200
    src.stop()
    counters = Agent(src, Engine(k8s_rules, hostname="h"), []).run()
    assert counters["alerts_by_rule"] == {"K8s Deployment Created": 1}


def test_bundled_falco_rules_are_the_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --rules, as Falco with its default rules file: the bundled stable and k8saudit rules."""
    assert main(["runtime", "rules", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["source"] for r in rows} == {"syscall", "k8s_audit"}
    assert any(r["rule"] == "Terminal shell in container" for r in rows)
    events = tmp_path / "ev.jsonl"
    events.write_bytes(orjson.dumps(SHADOW_READ) + b"\n")
    assert main(["runtime", "run", "--source", f"replay:{events}", "--min-priority", "warning"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"] == "Read sensitive file untrusted"
