"""The package-cache analyzer totals caches per directory; IMG012 reports them once per image."""

from __future__ import annotations

from seawall.analyze.analyzer import FileMeta
from seawall.analyze.analyzers.pkgcache import MAX_DIRECTORIES, PackageCacheAnalyzer, match
from seawall.misconfig.image_config import check_image_config

CONFIG = {"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}


def _feed(entries: list[tuple[str, int]]) -> PackageCacheAnalyzer:
    analyzer = PackageCacheAnalyzer()
    for path, size in entries:
        if analyzer.claims(path, 0o100644, size):
            analyzer.analyze_metadata(path, FileMeta(0o100644, size))
    return analyzer


def test_paths_by_manager() -> None:
    assert match("var/cache/apt/archives/curl_8.0_amd64.deb").manager == "apt"  # type: ignore[union-attr]
    assert match("var/cache/apt/archives/lock") is None
    assert match("var/cache/apt/archives/partial/x.deb") is None
    assert match("var/lib/apt/lists/lock") is None
    assert match("var/lib/apt/lists/partial/x") is None
    assert match("var/cache/apk/APKINDEX.abc.tar.gz").manager == "apk"  # type: ignore[union-attr]
    assert match("var/cache/dnf/fedora-123/repodata/primary.xml.gz").directory == "var/cache/dnf"  # type: ignore[union-attr]
    rule = match("home/app/.cache/pip/http-v2/a/b/c")
    assert rule is not None and (rule.manager, rule.directory) == ("pip", "home/app/.cache/pip")
    assert match("root/.npm/_cacache/index-v5/aa/bb").manager == "npm"  # type: ignore[union-attr]
    assert match("usr/lib/python3/dist-packages/pip/__init__.py") is None
    assert match("home/app/notes.txt") is None


def test_many_files_one_fact_per_directory() -> None:
    entries = [(f"root/.cache/pip/http-v2/{i:05d}", 1000) for i in range(20_000)]
    entries += [("var/cache/apt/archives/a.deb", 5), ("var/cache/apt/archives/b.deb", 7)]
    facts = _feed(entries).end_entries()
    assert [f.path for f in facts] == ["root/.cache/pip", "var/cache/apt/archives"]
    pip = dict(facts[0].findings[0].detail)
    assert pip == {"manager": "pip", "files": "20000", "bytes": "20000000"}
    [finding] = check_image_config(CONFIG, "quay.io/a/b:1", file_findings=[f.findings[0] for f in facts])
    assert finding.check.id == "IMG012" and finding.check.severity.name == "LOW"
    assert "/root/.cache/pip (pip: 20000 files, 19.1 MiB)" in finding.message
    assert "/var/cache/apt/archives (apt: 2 files, 12 B)" in finding.message
    assert "pip install --no-cache-dir" in finding.message and "apt-get clean" in finding.message


def test_state_resets_per_layer_and_is_bounded() -> None:
    analyzer = _feed([("var/cache/apk/APKINDEX.tar.gz", 10)])
    assert len(analyzer.end_entries()) == 1
    assert analyzer.end_entries() == []  # the next layer starts from zero
    homes = [(f"home/u{i}/.cache/pip/x", 1) for i in range(MAX_DIRECTORIES + 50)]
    assert len(_feed(homes).end_entries()) == MAX_DIRECTORIES
