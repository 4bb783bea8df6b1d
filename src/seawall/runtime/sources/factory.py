"""Build an event source from the ``--source`` flag."""

from __future__ import annotations

from pathlib import Path

from seawall.errors import UsageError
from seawall.runtime.sources.base import Source

SOURCES = ("k8s-audit", "bpf", "proc", "fanotify", "replay:FILE")


def make_source(
    spec: str,
    listen: str = "127.0.0.1:9765",
    audit_log: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> Source:
    """``k8s-audit`` (webhook, or ``audit_log`` tail), ``bpf``, ``proc``, ``fanotify`` or ``replay:FILE``."""
    if spec.startswith("replay:"):
        from seawall.runtime.sources.replay import ReplaySource

        path = Path(spec.split(":", 1)[1])
        if not path.is_file():
            raise UsageError(f"replay file {path} does not exist")
        return ReplaySource(path)
    if spec == "k8s-audit":
        from seawall.runtime.sources.k8s_audit import AuditFileSource, AuditWebhookSource

        if audit_log is not None:
            return AuditFileSource(audit_log)
        return AuditWebhookSource(listen, certfile=tls_cert, keyfile=tls_key)
    if spec == "proc":
        from seawall.runtime.sources.proc_connector import ProcConnectorSource

        return ProcConnectorSource()
    if spec == "bpf":
        from seawall.runtime.sources.bpftrace import BpftraceSource

        return BpftraceSource()
    if spec == "fanotify":
        from seawall.runtime.sources.fanotify import FanotifySource

        return FanotifySource()
    raise UsageError(f"--source {spec!r}: use one of {', '.join(SOURCES)}")
