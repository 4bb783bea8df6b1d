"""Entry point for ``seawall image --scanners misconfig``: the IMG checks over one image config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from seawall.misconfig.engine import EngineOptions, run_checks
from seawall.misconfig.model import ConfigObject, MisconfigFinding
from seawall.misconfig.registry import all_checks
from seawall.report.document import Result


def check_image_config(
    config: Mapping[str, Any],
    name: str,
    packages: Iterable[str] = (),
    options: EngineOptions | None = None,
) -> list[MisconfigFinding]:
    """Run the image config checks on an OCI image config (``ImageMetadata.config``).

    ``packages`` (installed package names, optional) enables the minimal-image advice.
    """
    obj = ConfigObject("image", {"config": config, "name": name, "packages": list(packages)}, file=name)
    return run_checks([obj], [c for c in all_checks() if "image" in c.applies_to], options)


def image_config_result(
    config: Mapping[str, Any], name: str, packages: Iterable[str] = (), options: EngineOptions | None = None
) -> Result:
    """The IMG findings as one report ``Result`` (class ``config``, type ``dockerfile``, as Trivy reports
    image-config misconfigurations)."""
    findings = check_image_config(config, name, packages, options)
    return Result(target=name, result_class="config", type="dockerfile", misconfigurations=list(findings))
