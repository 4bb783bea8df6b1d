"""Every built-in check fires on its failing fixture and stays silent on its passing one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import check_fixtures as fx

from seawall.misconfig.engine import run_checks
from seawall.misconfig.image_config import check_image_config
from seawall.misconfig.loader import parse_dockerfile_object, parse_yaml_objects
from seawall.misconfig.model import ConfigObject
from seawall.misconfig.registry import all_checks, get_check

TEXT_FIXTURES = {**fx.DOCKERFILE, **fx.KUBERNETES, **fx.COMPOSE, **fx.REGISTRY}


def _objects(check_id: str, text: str) -> list[ConfigObject]:
    if check_id.startswith("DS"):
        return [parse_dockerfile_object(text, "Dockerfile")]
    name = {"COMPOSE": "compose.yaml", "REG": "config.yml"}.get(
        check_id.rstrip("0123456789"), "manifest.yaml"
    )
    return parse_yaml_objects(text, name)


def _fired(check_id: str, text: str) -> list[str]:
    findings = run_checks(_objects(check_id, text), [get_check(check_id)])
    return [f.message for f in findings]


def test_every_check_has_fixtures() -> None:
    ids = {c.meta.id for c in all_checks()}
    assert ids == set(TEXT_FIXTURES) | set(fx.IMAGE) | set(fx.IMAGE_FILES) | set(fx.IMAGE_CACHES)
    assert len([i for i in ids if i.startswith("DS")]) >= 35


@pytest.mark.parametrize("check_id", sorted(TEXT_FIXTURES))
def test_failing_fixture_fires(check_id: str) -> None:
    failing, _ = TEXT_FIXTURES[check_id]
    assert _fired(check_id, failing), f"{check_id} did not fire on:\n{failing}"


@pytest.mark.parametrize("check_id", sorted(TEXT_FIXTURES))
def test_passing_fixture_is_silent(check_id: str) -> None:
    _, passing = TEXT_FIXTURES[check_id]
    assert _fired(check_id, passing) == []


@pytest.mark.parametrize("check_id", sorted(fx.IMAGE))
def test_image_config_checks(check_id: str) -> None:
    (bad, bad_name, bad_pkgs), (good, good_name, good_pkgs) = fx.IMAGE[check_id]
    assert check_id in {f.check.id for f in check_image_config(bad, bad_name, bad_pkgs)}
    assert check_id not in {f.check.id for f in check_image_config(good, good_name, good_pkgs)}


@pytest.mark.parametrize("check_id", sorted(fx.IMAGE_FILES))
def test_image_file_checks(check_id: str) -> None:
    from seawall.analyze.analyzer import FileMeta
    from seawall.analyze.analyzers.malware import DangerousFileAnalyzer

    analyzer = DangerousFileAnalyzer()

    def ids(path: str, mode: int) -> set[str]:
        facts = analyzer.analyze_metadata(path, FileMeta(mode=mode, size=10))
        found = check_image_config(
            fx.GOOD_IMAGE, "quay.io/a/b:1", file_findings=facts.findings if facts else ()
        )
        return {f.check.id for f in found}

    (bad_path, bad_mode), (good_path, good_mode) = fx.IMAGE_FILES[check_id]
    assert check_id in ids(bad_path, bad_mode)
    assert check_id not in ids(good_path, good_mode)


def _cache_ids(entries: tuple[tuple[str, int], ...]) -> list[str]:
    from seawall.analyze.analyzer import FileMeta
    from seawall.analyze.analyzers.pkgcache import PackageCacheAnalyzer

    analyzer = PackageCacheAnalyzer()
    for path, size in entries:
        if analyzer.claims(path, 0o100644, size):
            assert analyzer.analyze_metadata(path, FileMeta(0o100644, size)) is None  # totals come at the end
    facts = [f for ff in analyzer.end_entries() for f in ff.findings]
    return [f.check.id for f in check_image_config(fx.GOOD_IMAGE, "quay.io/a/b:1", file_findings=facts)]


@pytest.mark.parametrize("check_id", sorted(fx.IMAGE_CACHES))
def test_image_cache_checks(check_id: str) -> None:
    bad, good = fx.IMAGE_CACHES[check_id]
    assert check_id in _cache_ids(bad)
    assert check_id not in _cache_ids(good)


def test_hardened_baselines_are_clean() -> None:
    """The base fixtures pass every check at once: no check is noisy on a well-configured object."""
    checks = all_checks()
    k8s = run_checks(parse_yaml_objects(fx.GOOD_K8S, "good.yaml"), checks)
    assert [(f.check.id, f.message) for f in k8s] == []
    df = run_checks([parse_dockerfile_object(fx.GOOD_DF, "Dockerfile")], checks)
    assert [(f.check.id, f.message) for f in df] == []
    compose = run_checks(parse_yaml_objects(fx.GOOD_COMPOSE, "compose.yaml"), checks)
    assert [(f.check.id, f.message) for f in compose] == []
    assert check_image_config(fx.GOOD_IMAGE, "quay.io/a/b:1") == []
    registry = run_checks(parse_yaml_objects(fx.registry(), "config.yml"), checks)
    assert [(f.check.id, f.message) for f in registry] == []


def test_every_check_has_metadata() -> None:
    for c in all_checks():
        m = c.meta
        assert m.title and m.description and m.remediation, m.id
        assert m.references, m.id
        assert m.alias.startswith("SWL-"), m.id
