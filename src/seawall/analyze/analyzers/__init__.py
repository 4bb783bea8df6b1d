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

    from seawall.analyze.analyzers import apk, rpm, rpmqa

    ANALYZERS.extend([rpm.RpmAnalyzer, rpmqa.RpmManifestAnalyzer, apk.ApkAnalyzer])

    from seawall.analyze.analyzers import dotnet, node, php, python, ruby, rust

    ANALYZERS.extend(
        [
            python.PythonPackageAnalyzer,
            python.PythonEggAnalyzer,
            python.RequirementsAnalyzer,
            python.PipfileLockAnalyzer,
            python.PoetryLockAnalyzer,
            python.UvLockAnalyzer,
            python.PdmLockAnalyzer,
            node.NodePkgAnalyzer,
            node.NpmLockAnalyzer,
            node.YarnLockAnalyzer,
            node.PnpmLockAnalyzer,
            ruby.GemspecAnalyzer,
            ruby.GemfileLockAnalyzer,
            php.ComposerInstalledAnalyzer,
            php.ComposerLockAnalyzer,
            dotnet.DepsJsonAnalyzer,
            dotnet.NugetLockAnalyzer,
            dotnet.PackagesConfigAnalyzer,
            rust.CargoLockAnalyzer,
        ]
    )

    from seawall.analyze.analyzers import golang, java, rustbinary

    ANALYZERS.extend(
        [
            golang.GoBinaryAnalyzer,
            golang.GoModAnalyzer,
            golang.GoSumAnalyzer,
            java.JarAnalyzer,
            java.PomAnalyzer,
            java.GradleLockAnalyzer,
            rustbinary.RustBinaryAnalyzer,
        ]
    )

    from seawall.analyze.analyzers import malware, secret

    ANALYZERS.extend(
        [
            secret.SecretAnalyzer,
            secret.SecretArchiveAnalyzer,
            malware.MalwareAnalyzer,
            malware.DangerousFileAnalyzer,
        ]
    )

    from seawall.analyze.analyzers import pkgcache

    ANALYZERS.append(pkgcache.PackageCacheAnalyzer)


_load()
