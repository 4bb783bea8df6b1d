"""Seawall against Checkov's labelled fixtures: agree on every mapped check, or say why not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from agreement import Case, cases
from checkov_map import DISAGREEMENTS


@pytest.fixture(scope="module")
def all_cases(shared_dir: Path) -> list[Case]:
    return list(cases(shared_dir / "corpus" / "checkov-k8s-docker"))


def test_every_mapped_check_has_fixtures(all_cases: list[Case]) -> None:
    from checkov_map import DOCKER, K8S_GRAPH, K8S_GRAPH_TEMPLATE, K8S_RESOURCE

    covered = {c.checkov_id for c in all_cases}
    mapped = set(DOCKER) | set(K8S_GRAPH) | set(K8S_GRAPH_TEMPLATE) | set(K8S_RESOURCE)
    assert mapped - covered == set()
    assert len(all_cases) > 200
    assert {c.expected_fail for c in all_cases} == {True, False}


def test_seawall_agrees_with_checkov_or_the_disagreement_is_listed(all_cases: list[Case]) -> None:
    unexplained = [
        (c.checkov_id, c.fixture, c.expected_fail, c.flagged_by)
        for c in all_cases
        if not c.agrees and (c.checkov_id, c.fixture) not in DISAGREEMENTS
    ]
    assert unexplained == []


def test_listed_disagreements_are_real(all_cases: list[Case]) -> None:
    by_key = {(c.checkov_id, c.fixture): c for c in all_cases}
    stale = [key for key in DISAGREEMENTS if key not in by_key or by_key[key].agrees]
    assert stale == []
