"""Options and steps shared by the scan commands (image, rootfs, fs, sbom)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from seawall.analyze.streams import Limits
from seawall.cli.opts import option as _opt
from seawall.errors import UsageError
from seawall.report import FORMATS, render
from seawall.report.document import Report

if TYPE_CHECKING:
    from seawall.analyze.pipeline import AnalysisOptions

KNOWN_SCANNERS = ("vuln", "misconfig", "secret", "malware", "license")


FormatOpt = Annotated[
    str, _opt("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.", show_default=True)
]
OutputOpt = Annotated[Path | None, _opt("--output", "-o", help="Write the report to this file.")]
ListAllPkgsOpt = Annotated[
    bool,
    _opt("--list-all-pkgs", help="List every package in JSON and table output (not only vulnerable ones)."),
]
ScannersOpt = Annotated[
    str, _opt("--scanners", help=f"Comma-separated scanners: {', '.join(KNOWN_SCANNERS)}.", show_default=True)
]
NoCacheOpt = Annotated[
    bool, _opt("--no-cache", help="Re-analyze every layer instead of using cached results.")
]
ParallelOpt = Annotated[
    int, _opt("--parallel", help="Worker processes for layer analysis (0: one per core).")
]
MaxFileSizeOpt = Annotated[
    int, _opt("--max-file-size", help="Largest file (bytes) an analyzer reads; larger ones are skipped.")
]
MaxLayerSizeOpt = Annotated[int, _opt("--max-layer-size", help="Largest uncompressed layer (bytes).")]
MaxRatioOpt = Annotated[
    int,
    _opt("--max-compression-ratio", help="Largest compression ratio of a layer (decompression-bomb guard)."),
]
MaxEntriesOpt = Annotated[int, _opt("--max-entries", help="Most tar entries in one layer.")]

DEFAULT_LIMITS = Limits()


def parse_scanners(text: str) -> tuple[str, ...]:
    """Validate ``--scanners``."""
    names = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [n for n in names if n not in KNOWN_SCANNERS]
    if unknown:
        raise UsageError(f"unknown scanner {unknown[0]!r}; choose from: {', '.join(KNOWN_SCANNERS)}")
    return names


def analysis_options(
    quiet: bool,
    no_cache: bool,
    parallel: int,
    max_file_size: int,
    max_layer_size: int,
    max_ratio: int,
    max_entries: int,
) -> AnalysisOptions:
    """Build AnalysisOptions from the common flags."""
    from seawall.analyze.pipeline import AnalysisOptions
    from seawall.log import progress_enabled

    for name, value in (
        ("--max-file-size", max_file_size),
        ("--max-layer-size", max_layer_size),
        ("--max-compression-ratio", max_ratio),
        ("--max-entries", max_entries),
        ("--parallel", parallel + 1),
    ):
        if value <= 0:
            raise UsageError(f"{name} must be positive")
    limits = Limits(
        max_entries=max_entries,
        max_file_read=max_file_size,
        max_layer_size=max_layer_size,
        max_ratio=max_ratio,
    )
    return AnalysisOptions(
        limits=limits, use_cache=not no_cache, workers=parallel, progress=progress_enabled(quiet)
    )


def write_report(report: Report, fmt: str, output: Path | None, list_all_pkgs: bool) -> None:
    """Render and write the report to ``output`` or stdout."""
    data = render(report, fmt, list_all_pkgs)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
