"""``seawall sbom FILE``: scan an existing CycloneDX or SPDX JSON SBOM for vulnerabilities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seawall.cli import vulnopts as vo
from seawall.cli.common import FormatOpt, OutputOpt, write_report
from seawall.cli.opts import option as _opt
from seawall.cli.opts import with_options
from seawall.cli.scanrun import ScanRequest, run_scanners


def register(app: typer.Typer) -> None:
    """Add ``sbom`` to the application."""
    app.command("sbom")(sbom)


@with_options(vo.vuln_params)
def sbom(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CycloneDX or SPDX JSON SBOM file.")],
    format: FormatOpt = "table",
    output: OutputOpt = None,
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
    **vuln_options: Any,
) -> None:
    """Scan the packages listed in an SBOM against the vulnerability database."""
    from seawall.report.document import report_from_inventory
    from seawall.scan.sbom_input import read_sbom

    inventory = read_sbom(Path(file))
    report = report_from_inventory(inventory)
    found = run_scanners(ScanRequest(inventory, report, ("vuln",), ctx.obj, dict(ctx.params)), explicit=True)
    write_report(report, format, output, False)
    if found and exit_code:
        raise typer.Exit(exit_code)
