"""The ``misconfig`` scanner inside ``seawall image``, ``rootfs`` and ``fs``.

For an image: the image config checks (IMG), with the dangerous-files facts the layer walker found
when they are there. For a directory: every configuration file below it (Dockerfiles, Kubernetes
manifests, compose files), as ``trivy fs --scanners misconfig`` does.
"""

from __future__ import annotations

from pathlib import Path

from seawall.cli.scanrun import ScanRequest


def run_misconfig_scanner(request: ScanRequest) -> int:
    """Add misconfiguration results to the report; return how many findings were added."""
    from seawall.cli.config import _severities
    from seawall.misconfig.engine import EngineOptions
    from seawall.misconfig.image_config import image_config_result
    from seawall.misconfig.scan import build_report, scan_paths

    inventory = request.inventory
    options = EngineOptions(severities=_severities(str(request.params.get("severity") or "")))
    if inventory.image is not None:
        result = image_config_result(
            inventory.image.config,
            inventory.artifact_name,
            packages=[p.name for p in inventory.os_packages],
            options=options,
            file_findings=[f.finding for f in inventory.findings if not f.deleted],
        )
        results = [result] if result.misconfigurations else []
    else:
        scan = scan_paths([Path(inventory.artifact_name)], options)
        results = [r for r in build_report(scan, inventory.artifact_name).results if r.misconfigurations]
    request.report.results.extend(results)
    return sum(len(r.misconfigurations) for r in results)
