"""``seawall k8s``: audit a cluster (live or snapshot), CIS node checks, the admission webhook and
its install manifests."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError

log = logging.getLogger("seawall.k8s")

FORMATS = ("table", "json", "sarif", "junit")
k8s_app = typer.Typer(
    help="Audit a Kubernetes cluster (live or from a kubectl snapshot), its nodes, and admit workloads.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    """Add the ``k8s`` group to the application."""
    app.add_typer(k8s_app, name="k8s")


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc


@k8s_app.callback()
def cluster(
    ctx: typer.Context,
    snapshot: Annotated[
        Path | None,
        _opt("--snapshot", help="A `kubectl get <kinds> -A -o json` file, or a directory of them."),
    ] = None,
    kubeconfig: Annotated[Path | None, _opt("--kubeconfig", help="Kubeconfig file [$KUBECONFIG].")] = None,
    context: Annotated[str, _opt("--context", help="Kubeconfig context [current].")] = "",
    namespace: Annotated[str, _opt("--namespace", "-n", help="Only this namespace (live mode).")] = "",
    format: Annotated[
        str, _opt("--format", "-f", help="Output format: table, json, sarif, junit.")
    ] = "table",
    output: Annotated[Path | None, _opt("--output", "-o", help="Write the report to this file.")] = None,
    severity: Annotated[str, _opt("--severity", "-s", help="Comma-separated severities to report.")] = "",
    compliance: Annotated[
        str, _opt("--compliance", help="k8s-cis, k8s-nsa, k8s-pss-baseline or k8s-pss-restricted score.")
    ] = "",
    policy: Annotated[
        list[Path] | None, _opt("--policy", help="Custom CEL policy file or directory.")
    ] = None,
    skip_checks: Annotated[str, _opt("--skip-checks", help="Comma-separated check ids to skip.")] = "",
    scanners: Annotated[
        str, _opt("--scanners", help="misconfig, plus vuln and/or secret to scan every distinct image.")
    ] = "misconfig",
    parallel: Annotated[int, _opt("--parallel", help="Images scanned at the same time.")] = 4,
    insecure: Annotated[bool, _opt("--insecure", help="Plain HTTP / unverified TLS to registries.")] = False,
    skip_db_update: Annotated[bool, _opt("--skip-db-update", help="Do not update the vuln DB.")] = False,
    offline: Annotated[bool, _opt("--offline-scan", help="No network for the vulnerability DB.")] = False,
    report: Annotated[
        str, _opt("--report", help="Table output: summary (counts per resource) or all (every finding).")
    ] = "summary",
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
) -> None:
    """Audit a cluster: every Kubernetes and RBAC check, NetworkPolicy coverage, exposure, secrets, RBAC."""
    if ctx.invoked_subcommand is not None:
        return
    from seawall.cli.config import _severities
    from seawall.k8s import collect
    from seawall.k8s.audit import audit, render
    from seawall.misconfig import compliance as comp
    from seawall.misconfig.engine import EngineOptions

    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    if report not in ("summary", "all"):
        raise UsageError("--report must be summary or all")
    if compliance and compliance not in comp.FRAMEWORKS:
        raise UsageError(f"unknown compliance {compliance!r}; choose one of: {', '.join(comp.FRAMEWORKS)}")
    wanted = [s.strip() for s in scanners.split(",") if s.strip()]
    bad = [s for s in wanted if s not in ("misconfig", "vuln", "secret")]
    if bad:
        raise UsageError(f"unknown scanner {bad[0]!r}; choose from misconfig, vuln, secret")
    if snapshot is not None:
        collection = collect.load_snapshot(snapshot)
    else:
        collection = collect.load_live(kubeconfig, context, namespace)
    for warning in collection.warnings:
        log.warning("%s", warning)
    policies = []
    if policy:
        from seawall.misconfig.policy import load_policies

        policies = [c for p in policy for c in load_policies(p)]
    options = EngineOptions(
        skip_checks=frozenset(s.strip() for s in skip_checks.split(",") if s.strip()),
        severities=_severities(severity),
    )
    scan = audit(collection, options, policies)
    extra: dict[str, Any] = {}
    image_scanners = tuple(s for s in wanted if s in ("vuln", "secret"))
    if image_scanners:
        if parallel < 1:
            raise UsageError("--parallel must be at least 1")
        extra["Images"] = _scan_images(ctx, scan, image_scanners, parallel, insecure, skip_db_update, offline)
    if compliance:
        result = comp.build(compliance, scan.checks, scan.findings)
        doc = result.to_json()
        passed, failed = doc["Summary"]["PASS"], doc["Summary"]["FAIL"]
        score = round(100 * passed / (passed + failed)) if passed + failed else 100
        # Per control, how many distinct resources fail it: the cluster-wide size of each problem.
        for control, raw in zip(result.controls, doc["Controls"], strict=True):
            raw["FailedResources"] = len({f.resource or f.file for f in control.findings})
        doc["Score"] = score
        if format == "json":
            data = orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
        else:
            text = comp.render_table(result)
            text += f"\nScore: {score}% of the automated controls pass ({passed} of {passed + failed})\n"
            data = text.encode()
    else:
        data = render(scan, format, extra, report)
        if format == "table" and extra:
            data += _images_table(extra["Images"]).encode()
    _write(data, output)
    if exit_code and scan.findings:
        raise typer.Exit(exit_code)


def _scan_images(
    ctx: typer.Context,
    scan: Any,
    scanners: tuple[str, ...],
    parallel: int,
    insecure: bool,
    skip_db_update: bool,
    offline: bool,
) -> dict[str, Any]:
    from seawall.analyze.pipeline import AnalysisOptions, scan_image
    from seawall.artifact.options import SourceOptions
    from seawall.artifact.target import open_image, parse_target
    from seawall.cli.contentscan import content_options
    from seawall.cli.scanrun import ScanRequest, run_scanners
    from seawall.k8s.images import distinct_images, per_workload, scan_images
    from seawall.report.document import report_from_inventory

    g = ctx.obj
    images = distinct_images(scan.objects)
    log.info("scanning %d distinct image(s), %d at a time", len(images), parallel)
    source = SourceOptions(cache_dir=g.cache_dir, insecure=insecure, image_src=("remote",))
    params = {"skip_db_update": skip_db_update, "offline": offline}

    # One worker per image: --parallel images already run side by side.
    analysis = content_options(AnalysisOptions(workers=1, progress=False), scanners)

    def scan_one(ref: str) -> dict[str, dict[str, int]]:
        with open_image(parse_target(ref), source) as img:
            inventory = scan_image(img, g.cache_dir, analysis)
        report = report_from_inventory(inventory)
        run_scanners(ScanRequest(inventory, report, scanners, g, params), explicit=True)
        counts: dict[str, dict[str, int]] = {}
        for result in report.results:
            for kind, found in (("vuln", result.vulnerabilities), ("secret", result.secrets)):
                for f in found:
                    by_sev = counts.setdefault(kind, {})
                    by_sev[f.severity.name] = by_sev.get(f.severity.name, 0) + 1
        return counts

    scans = scan_images(images, scan_one, parallel)
    return {
        "Distinct": [s.to_json() for s in scans],
        "Workloads": per_workload(images, scans),
    }


def _images_table(images: dict[str, Any]) -> str:
    lines = ["", "Images (scanned once each)", ""]
    for s in images["Distinct"]:
        counts = "; ".join(
            f"{k}: " + ", ".join(f"{n} {sev}" for sev, n in v.items()) for k, v in s["Counts"].items()
        )
        lines.append(f"{s['Image']}  {s['Error'] or counts or 'no findings'}")
    return "\n".join(lines) + "\n"


@k8s_app.command("install")
def install(
    print_: Annotated[
        bool, _opt("--print", help="Print the manifests (the only mode: apply them yourself).")
    ] = True,
    namespace: Annotated[str, _opt("--namespace", "-n", help="Namespace for Seawall.")] = "seawall-system",
    image: Annotated[
        str, _opt("--image", help="Seawall container image.")
    ] = "ghcr.io/seawall/seawall:latest",
    fail_open: Annotated[
        bool,
        _opt(
            "--fail-open/--fail-closed", help="failurePolicy Ignore (admit when the webhook is down) or Fail."
        ),
    ] = False,
    ca_bundle: Annotated[
        Path | None, _opt("--ca-bundle", help="PEM CA of the webhook's certificate.")
    ] = None,
    timeout: Annotated[int, _opt("--timeout", help="Webhook timeoutSeconds (1-30).")] = 5,
    format: Annotated[str, _opt("--format", "-f", help="yaml or json.")] = "yaml",
) -> None:
    """Print the webhook configuration, Service, Deployment, RBAC and the runtime agent DaemonSet."""
    from seawall.k8s.install import InstallOptions, render

    if not 1 <= timeout <= 30:
        raise UsageError("--timeout must be between 1 and 30 seconds (the apiserver's limits)")
    if format not in ("yaml", "json"):
        raise UsageError("--format must be yaml or json")
    ca = b""
    if ca_bundle is not None:
        try:
            ca = ca_bundle.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {ca_bundle}: {exc.strerror}") from exc
        if b"-----BEGIN CERTIFICATE-----" not in ca:
            raise UsageError(f"{ca_bundle} holds no PEM certificate")
    text = render(InstallOptions(namespace, image, fail_open, timeout, ca), format)
    _write(text.encode() + (b"" if text.endswith("\n") else b"\n"), None)


@k8s_app.command("admission")
def admission(
    tls_cert: Annotated[Path, _opt("--tls-cert", help="PEM certificate the webhook serves.")],
    tls_key: Annotated[Path, _opt("--tls-key", help="PEM private key of --tls-cert.")],
    policy: Annotated[Path, _opt("--policy", help="Admission policy file (YAML).")],
    listen: Annotated[str, _opt("--listen", help="Address HOST:PORT.")] = "0.0.0.0:8443",
    fail_open: Annotated[
        bool,
        _opt("--fail-open/--fail-closed", help="Admit (or deny) requests the webhook fails to evaluate."),
    ] = False,
) -> None:
    """Serve the ValidatingAdmissionWebhook (AdmissionReview v1 over HTTPS) until interrupted."""
    from seawall.k8s.admission import make_server
    from seawall.k8s.policy import load_policy

    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit():
        raise UsageError(f"--listen must be HOST:PORT, not {listen!r}")
    server = make_server(
        load_policy(policy), tls_cert, tls_key, (host.strip("[]"), int(port_text)), fail_open
    )
    log.warning(
        "admission webhook listening on https://%s:%d/validate (%s)",
        host,
        server.server_address[1],
        "fail-open" if fail_open else "fail-closed",
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()


@k8s_app.command("node")
def node(
    root: Annotated[Path, _opt("--root", help="The node's root filesystem (/ on the node itself).")] = Path(
        "/"
    ),
    config_dir: Annotated[
        Path | None,
        _opt(
            "--config-dir",
            help="A kube-bench cfg directory [the bundled one: cis-1.12, eks-1.8.0, gke-1.9.0, aks-1.8].",
        ),
    ] = None,
    benchmark: Annotated[
        str,
        _opt(
            "--benchmark", help="cis-1.12, eks-1.8.0, gke-1.9.0, aks-1.8 ... (a directory of --config-dir)."
        ),
    ] = "cis-1.12",
    targets: Annotated[
        str, _opt("--targets", help="Comma-separated: master, etcd, node.")
    ] = "master,etcd,node",
    format: Annotated[str, _opt("--format", "-f", help="table, json, sarif or junit.")] = "table",
    output: Annotated[Path | None, _opt("--output", "-o", help="Write the report to this file.")] = None,
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when a control fails.")] = 0,
) -> None:
    """CIS Kubernetes node checks (control plane, etcd, worker) from kube-bench-style definitions."""
    from seawall.k8s.node import TARGETS, render_table, run_benchmark

    if config_dir is None:
        import seawall

        config_dir = Path(seawall.__file__).parent / "data" / "kube-bench"
    chosen = tuple(t.strip() for t in targets.split(",") if t.strip())
    bad = [t for t in chosen if t not in (*TARGETS, "controlplane", "policies")]
    if bad:
        raise UsageError(f"unknown target {bad[0]!r}; choose from: {', '.join(TARGETS)}")
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    if not root.is_dir():
        raise UsageError(f"--root {root} is not a directory")
    report = run_benchmark(config_dir, benchmark, root, chosen)
    if format == "json":
        data = orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
    elif format == "table":
        data = render_table(report).encode()
    else:
        from seawall.k8s.node import to_report
        from seawall.report import render as render_report

        data = render_report(to_report(report), format)
    _write(data, output)
    if exit_code and any(c.status == "FAIL" for c in report.controls):
        raise typer.Exit(exit_code)
