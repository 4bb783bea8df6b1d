"""Host check of CIS Docker 1.6 control 1.2.2: the runtime's versions against the vulnerability database."""

from __future__ import annotations

from collections.abc import Iterator

from seawall.host.snapshot import HostSnapshot
from seawall.host.versions import RuntimeVulns
from seawall.misconfig.checks.host import (
    CIS_URL,
    FAIL,
    MANUAL,
    NA,
    PASS,
    Outcome,
    host_check,
)
from seawall.model import Severity

# ---------------------------------------------------------------------------------------------------
# Runtime version check (CIS 1.2.2, automated through the vulnerability database)


def _runtime_versions(snap: HostSnapshot, runtime: RuntimeVulns | None) -> Iterator[Outcome]:
    if runtime is None:
        yield Outcome("1.2.2", MANUAL, "runtime version check not run (--skip-version-check)", "", "host")
        return
    if not runtime.components:
        yield Outcome("1.2.2", NA, "no container runtime component found", "", "host")
        return
    for comp in runtime.components:
        names = {comp.name: UPSTREAM_NAMES.get(comp.name, comp.name)}
        vulns = [
            f
            for f in runtime.findings
            if f.installed_version in (comp.version, comp.deb_version)
            and any(n in f.pkg_name for n in names.values())
        ]
        ids = sorted({f.vulnerability_id for f in vulns})
        evidence = f"{comp.source}; advisories: {runtime.sources.get(comp.label, '-')}"
        if ids:
            worst = max(f.severity for f in vulns)
            shown = ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")
            yield Outcome(
                "1.2.2",
                FAIL,
                f"{comp.label}: {len(ids)} known vulnerabilities (worst {worst.name}): {shown}",
                evidence,
                comp.name,
            )
        else:
            yield Outcome("1.2.2", PASS, f"{comp.label}: no known vulnerabilities", evidence, comp.name)
    go = sorted({c.go_version for c in runtime.components if c.go_version})
    for version in go:
        ids = sorted(
            {
                f.vulnerability_id
                for f in runtime.findings
                if f.pkg_name == "stdlib" and f.installed_version == version
            }
        )
        if ids:
            yield Outcome(
                "1.2.2",
                FAIL,
                f"built with Go {version}: {len(ids)} stdlib vulnerabilities ({', '.join(ids[:5])})",
                "GoVersion of the runtime binaries; advisories: Go (stdlib)",
                "go",
            )


UPSTREAM_NAMES = {"podman": "podman", "docker": "docker", "containerd": "containerd", "runc": "runc"}

host_check(
    "HOST097",
    "1.2.2",
    "Container runtime has known vulnerabilities",
    Severity.HIGH,
    "Vulnerabilities in the engine, runc/crun or containerd (container escapes such as CVE-2019-5736 or "
    "CVE-2024-21626) undo every other control on the host.",
    "Upgrade the engine, OCI runtime and containerd to a version with the fixes (or the distribution's "
    "patched package).",
    scope="runtime",
    references=(CIS_URL, "https://pkg.go.dev/vuln/"),
)(_runtime_versions)
