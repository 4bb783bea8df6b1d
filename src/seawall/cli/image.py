"""``seawall image`` and ``seawall rootfs``: scan container images and root filesystems."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seawall.cli import contentscan as cs
from seawall.cli import vulnopts as vo
from seawall.cli.common import (
    DEFAULT_LIMITS,
    FormatOpt,
    ListAllPkgsOpt,
    MaxEntriesOpt,
    MaxFileSizeOpt,
    MaxLayerSizeOpt,
    MaxRatioOpt,
    NoCacheOpt,
    OutputOpt,
    ParallelOpt,
    ScannersOpt,
    analysis_options,
    parse_scanners,
    write_report,
)
from seawall.cli.opts import option as _opt
from seawall.cli.opts import with_options

if TYPE_CHECKING:
    from seawall.model import Inventory


def register(app: typer.Typer) -> None:
    """Add ``image``, ``rootfs`` and ``fs`` to the application."""
    app.command("image")(image)
    app.command("rootfs")(rootfs)
    app.command("fs")(fs)


@with_options(vo.vuln_params, cs.content_params)
def image(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="Image: REF, docker-archive:P, oci-archive:P, oci:DIR[:TAG], ...")
    ] = "",
    input: Annotated[str, _opt("--input", "-i", help="An image archive or OCI layout directory.")] = "",
    format: FormatOpt = "table",
    output: OutputOpt = None,
    list_all_pkgs: ListAllPkgsOpt = False,
    scanners: ScannersOpt = "vuln,secret",
    platform: Annotated[
        str, _opt("--platform", help="Platform of a multi-platform image (os/arch[/variant]).")
    ] = ("linux/amd64"),
    insecure: Annotated[
        bool, _opt("--insecure", help="Allow plain HTTP and unverified TLS to registries.")
    ] = False,
    username: Annotated[str, _opt("--username", help="Registry user name.")] = "",
    password: Annotated[str, _opt("--password", help="Registry password.")] = "",
    registry_token: Annotated[str, _opt("--registry-token", help="Registry bearer token.")] = "",
    docker_host: Annotated[
        str, _opt("--docker-host", help="Docker-compatible API socket (unix:///path).")
    ] = "",
    image_src: Annotated[
        str,
        _opt("--image-src", help="Where plain references are looked up, in order: docker, podman, remote."),
    ] = "docker,podman,remote",
    timeout: Annotated[float, _opt("--timeout", help="Network timeout in seconds.")] = 60.0,
    no_cache: NoCacheOpt = False,
    parallel: ParallelOpt = 0,
    max_file_size: MaxFileSizeOpt = DEFAULT_LIMITS.max_file_read,
    max_layer_size: MaxLayerSizeOpt = DEFAULT_LIMITS.max_layer_size,
    max_compression_ratio: MaxRatioOpt = DEFAULT_LIMITS.max_ratio,
    max_entries: MaxEntriesOpt = DEFAULT_LIMITS.max_entries,
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
    **scan_options: Any,
) -> None:
    """Scan a container image: OS and language packages (SBOM), and findings of the chosen scanners."""
    from seawall.analyze.pipeline import scan_directory, scan_image
    from seawall.artifact.options import SourceOptions
    from seawall.artifact.target import open_image, parse_target

    g = ctx.obj
    spec = parse_target(target, input)
    options = analysis_options(
        g.quiet, no_cache, parallel, max_file_size, max_layer_size, max_compression_ratio, max_entries
    )
    requested = _scanners(ctx, scanners, format)
    options = cs.content_options_from(options, requested, scan_options)
    if spec.transport == "dir":
        inventory = scan_directory(_existing_dir(spec.location), "rootfs", options)
    else:
        source = SourceOptions(
            cache_dir=g.cache_dir,
            platform=platform,
            insecure=insecure,
            username=username,
            password=password,
            registry_token=registry_token,
            docker_host=docker_host,
            image_src=tuple(s.strip() for s in image_src.split(",") if s.strip()),
            progress=options.progress,
            timeout=timeout,
        )
        with open_image(spec, source) as img:
            inventory = scan_image(img, g.cache_dir, options)
    _finish(ctx, inventory, requested, format, output, list_all_pkgs, exit_code)


DirArg = Annotated[Path, typer.Argument(help="The directory to scan.")]


def _directory_command(kind: str, doc: str) -> Callable[..., None]:
    """``rootfs`` and ``fs``: one directory scan, two analyzer sets (installed packages vs. lockfiles too)."""

    @with_options(vo.vuln_params, cs.content_params)
    def command(
        ctx: typer.Context,
        path: DirArg,
        format: FormatOpt = "table",
        output: OutputOpt = None,
        list_all_pkgs: ListAllPkgsOpt = False,
        scanners: ScannersOpt = "vuln,secret",
        max_file_size: MaxFileSizeOpt = DEFAULT_LIMITS.max_file_read,
        max_entries: MaxEntriesOpt = DEFAULT_LIMITS.max_entries,
        exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
        **scan_options: Any,
    ) -> None:
        from seawall.analyze.pipeline import scan_directory

        g = ctx.obj
        limits = DEFAULT_LIMITS
        options = analysis_options(
            g.quiet, False, 1, max_file_size, limits.max_layer_size, limits.max_ratio, max_entries
        )
        requested = _scanners(ctx, scanners, format)
        options = cs.content_options_from(options, requested, scan_options)
        inventory = scan_directory(_existing_dir(str(path)), kind, options)
        _finish(ctx, inventory, requested, format, output, list_all_pkgs, exit_code)

    command.__doc__ = doc
    command.__name__ = kind
    return command


rootfs = _directory_command(
    "rootfs",
    "Scan an unpacked root filesystem (a mounted image, a VM disk, a chroot).",
)
fs = _directory_command(
    "fs",
    "Scan a project directory: lockfiles and installed packages (node_modules, virtualenvs, vendor).",
)


SBOM_FORMATS = ("cyclonedx", "spdx-json")
MAX_WARNINGS_SHOWN = 10


def _log_warnings(warnings: tuple[str, ...]) -> None:
    """Show what the analyzers skipped or could not read (damaged databases, oversized files)."""
    import logging

    log = logging.getLogger("seawall")
    for warning in warnings[:MAX_WARNINGS_SHOWN]:
        log.warning("%s", warning)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        log.warning("... and %d more warnings (--debug lists them)", len(warnings) - MAX_WARNINGS_SHOWN)
        for warning in warnings[MAX_WARNINGS_SHOWN:]:
            log.debug("%s", warning)


def _scanners(ctx: typer.Context, text: str, fmt: str) -> tuple[str, ...]:
    """The scanners to run: as Trivy, an SBOM format means inventory only unless scanners are asked for."""
    if fmt in SBOM_FORMATS and not _given(ctx, "scanners"):
        return ()
    return parse_scanners(text)


def _given(ctx: typer.Context, name: str) -> bool:
    """True when the user set the option (flag, environment or config file), not the default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT",)


def _existing_dir(location: str) -> Path:
    from seawall.errors import ArtifactError

    path = Path(location)
    if not path.is_dir():
        raise ArtifactError(f"{location} is not a directory")
    return path


def _finish(
    ctx: typer.Context,
    inventory: Inventory,
    scanners: tuple[str, ...],
    fmt: str,
    output: Path | None,
    list_all_pkgs: bool,
    exit_code: int,
) -> None:
    from seawall.cli.scanrun import ScanRequest, run_scanners
    from seawall.report.document import report_from_inventory

    report = report_from_inventory(inventory)
    found = run_scanners(ScanRequest(inventory, report, scanners, ctx.obj, dict(ctx.params)))
    _log_warnings(inventory.warnings)
    write_report(report, fmt, output, list_all_pkgs or fmt in ("cyclonedx", "spdx-json"))
    if found and exit_code:
        raise typer.Exit(exit_code)


__all__ = ["register"]
