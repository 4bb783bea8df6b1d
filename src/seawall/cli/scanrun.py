"""Run the chosen scanners over an inventory and put their findings into the report.

Each scanner is a hook ``run(request: ScanRequest) -> int`` (the number of findings it added),
named here by module path and imported only when the scanner is chosen.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seawall.errors import UsageError
from seawall.model import Inventory
from seawall.report.document import Report

log = logging.getLogger(__name__)

# scanner name -> "module:function"
SCANNER_HOOKS: dict[str, str] = {
    "vuln": "seawall.cli.vulnopts:run_vuln_scanner",
    "secret": "seawall.cli.contentscan:run_secret_scanner",
    "malware": "seawall.cli.contentscan:run_malware_scanner",
    "misconfig": "seawall.cli.misconfigscan:run_misconfig_scanner",
}


@dataclass(slots=True)
class ScanRequest:
    """What a scanner hook gets: the inventory, the report to add findings to, and the CLI context."""

    inventory: Inventory
    report: Report
    scanners: tuple[str, ...]
    globals: Any  # cli.main.GlobalOptions
    params: Mapping[str, Any]  # the command's parsed options, by parameter name


def _hook(name: str) -> Callable[[ScanRequest], int] | None:
    spec = SCANNER_HOOKS.get(name)
    if spec is None:
        return None
    module, _, func = spec.partition(":")
    fn: Callable[[ScanRequest], int] = getattr(importlib.import_module(module), func)
    return fn


def run_scanners(request: ScanRequest, explicit: bool = False) -> int:
    """Run each chosen scanner that this build has; returns the total number of findings."""
    total = 0
    for name in request.scanners:
        hook = _hook(name)
        if hook is None:
            if explicit:
                raise UsageError(f"the {name} scanner is not available in this build")
            log.debug("scanner %s is not available; skipped", name)
            continue
        total += hook(request)
    return total
