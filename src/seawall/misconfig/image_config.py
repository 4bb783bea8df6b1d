"""Entry point for ``seawall image --scanners misconfig``: the IMG checks over one image config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from seawall.misconfig.engine import EngineOptions, run_checks
from seawall.misconfig.model import ConfigObject, MisconfigFinding
from seawall.misconfig.registry import all_checks
from seawall.model import ContentFinding
from seawall.report.document import Result

# The metadata analyzers' ContentFinding categories the IMG checks read.
FILE_FACT_CATEGORIES = frozenset({"dangerous-file", "package-cache"})


def check_image_config(
    config: Mapping[str, Any],
    name: str,
    packages: Iterable[str] = (),
    options: EngineOptions | None = None,
    file_findings: Iterable[ContentFinding] = (),
) -> list[MisconfigFinding]:
    """Run the image config checks on an OCI image config (``ImageMetadata.config``).

    ``packages`` (installed package names) enables the minimal-image advice; ``file_findings`` (the
    ``dangerous-files`` analyzer's setuid/setgid and world-writable facts, the ``package-cache``
    analyzer's per-directory totals) enables IMG010/IMG011/IMG012.
    """
    files = [
        {"rule_id": f.rule_id, "path": f.path, "detail": list(f.detail)}
        for f in file_findings
        if f.category in FILE_FACT_CATEGORIES
    ]
    data = {"config": config, "name": name, "packages": list(packages), "files": files}
    obj = ConfigObject("image", data, file=name)
    return run_checks([obj], [c for c in all_checks() if "image" in c.applies_to], options)


def image_config_result(
    config: Mapping[str, Any],
    name: str,
    packages: Iterable[str] = (),
    options: EngineOptions | None = None,
    file_findings: Iterable[ContentFinding] = (),
) -> Result:
    """The IMG findings as one report ``Result`` (class ``config``, type ``dockerfile``, as Trivy reports
    image-config misconfigurations)."""
    findings = check_image_config(config, name, packages, options, file_findings)
    return Result(target=name, result_class="config", type="dockerfile", misconfigurations=list(findings))
