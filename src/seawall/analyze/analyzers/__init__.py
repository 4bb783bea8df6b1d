"""The analyzer registry: one module per package format or ecosystem.

To add an analyzer, write a module with an :class:`~seawall.analyze.analyzer.Analyzer` subclass and
add the class to ``ANALYZERS`` (one line per analyzer, kept in this order: OS first, then languages).
"""

from __future__ import annotations

from seawall.analyze.analyzer import Analyzer

ANALYZERS: list[type[Analyzer]] = []


def _load() -> None:
    from seawall.analyze.analyzers import dpkg, os_release

    ANALYZERS.extend([os_release.OSReleaseAnalyzer, dpkg.DpkgAnalyzer])


_load()
