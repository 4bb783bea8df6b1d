"""Report writers: one module per output format, chosen by name here."""

from __future__ import annotations

from collections.abc import Callable

from seawall.errors import UsageError
from seawall.report.document import Report

FORMATS = ("table", "json", "cyclonedx", "spdx-json", "sarif", "junit")


def render(report: Report, fmt: str, list_all_pkgs: bool = False) -> bytes:
    """Render a report in the named format (writers are imported on demand, to keep start-up fast)."""
    writers: dict[str, Callable[[], bytes]] = {
        "table": lambda: _table(report, list_all_pkgs),
        "json": lambda: _json(report, list_all_pkgs),
        "cyclonedx": lambda: _cyclonedx(report),
        "spdx-json": lambda: _spdx(report),
        "sarif": lambda: _sarif(report),
        "junit": lambda: _junit(report),
    }
    if fmt not in writers:
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return writers[fmt]()


def _table(report: Report, list_all_pkgs: bool) -> bytes:
    from seawall.report import table

    return table.render(report, list_all_pkgs).encode()


def _json(report: Report, list_all_pkgs: bool) -> bytes:
    from seawall.report import json_report

    return json_report.render(report, list_all_pkgs)


def _cyclonedx(report: Report) -> bytes:
    from seawall.report import cyclonedx

    return cyclonedx.render(report)


def _spdx(report: Report) -> bytes:
    from seawall.report import spdx

    return spdx.render(report)


def _sarif(report: Report) -> bytes:
    try:
        from seawall.report import sarif  # type: ignore[attr-defined, unused-ignore]
    except ImportError as exc:
        raise UsageError("the sarif format is not available in this build") from exc
    return sarif.render(report)  # type: ignore[no-any-return, unused-ignore]


def _junit(report: Report) -> bytes:
    try:
        from seawall.report import junit  # type: ignore[attr-defined, unused-ignore]
    except ImportError as exc:
        raise UsageError("the junit format is not available in this build") from exc
    return junit.render(report)  # type: ignore[no-any-return, unused-ignore]
