"""Falco's own rules files load, and Falco's labelled Kubernetes audit cases give Falco's detections."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from seawall.runtime.alerts import Priority
from seawall.runtime.engine import Engine
from seawall.runtime.rules.compiler import Ruleset, compile_spec
from seawall.runtime.rules.loader import load_rule_files
from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.k8s_audit import read_audit_file
from seawall.yamlsafe import load_yaml

SHARED = Path(__file__).resolve().parents[3] / "shared"
RULES = SHARED / "corpus/falco-rules"
STABLE = RULES / "rules/falco_rules.yaml"
K8S_RULES = RULES / "plugins/plugins/k8saudit/rules/k8s_audit_rules.yaml"
CASES_DIR = SHARED / "corpus/k8s-audit-falco/test"

# Rules files that only make sense on top of another one, as Falco loads them.
STACKED: dict[str, list[Path]] = {
    "plugins/plugins/k8saudit-gke/rules/k8s_audit_rules_gke.yaml": [K8S_RULES],
    "build/mitre_attack_checker/falco_mitre_attack_checker/tests/resources/falco_rules_test.yaml": [
        STABLE,
        RULES / "rules/falco-incubating_rules.yaml",
        RULES / "rules/falco-sandbox_rules.yaml",
    ],
}
NOT_RULES = {"registry.yaml", "audit-policy.yaml", "not_falco_rules_test.yaml"}


def _rules_files() -> list[str]:
    return sorted(str(p.relative_to(RULES)) for p in RULES.rglob("*.yaml") if p.name not in NOT_RULES)


@pytest.mark.parametrize("rel", _rules_files())
def test_every_corpus_rules_file_loads_without_errors(rel: str) -> None:
    spec = load_rule_files([*STACKED.get(rel, []), RULES / rel])
    rs = compile_spec(spec)
    assert [str(d) for d in rs.diagnostics if d.level == "error"] == []
    own = [r for r in rs.rules if r.name in spec.rules]
    assert own or rs.skipped or rel.startswith("archive/application")


def test_stable_incubating_sandbox_and_k8saudit_together() -> None:
    files = [
        STABLE,
        RULES / "rules/falco-incubating_rules.yaml",
        RULES / "rules/falco-sandbox_rules.yaml",
        K8S_RULES,
    ]
    rs = compile_spec(load_rule_files(files))
    assert [d for d in rs.diagnostics if d.level == "error"] == []
    by_source = Counter(r.source for r in rs.rules)
    assert by_source["syscall"] == 25 + 31 + 37 and by_source["k8s_audit"] == 48
    assert not rs.skipped


# Cases whose expectations no longer hold against the 2026 rules, with the precise drift.
DRIFT: dict[str, str] = {
    **{
        case: (
            "trust_nginx_container.yaml appends to lists falco_sensitive_mount_images /"
            " falco_privileged_images / falco_hostnetwork_images, renamed"
            " k8s_audit_sensitive_mount_images / k8s_audit_privileged_images /"
            " k8s_audit_hostnetwork_images in k8s_audit_rules.yaml"
        )
        for case in (
            "compat_engine_v4_create_privileged_trusted_pod",
            "compat_engine_v4_create_hostnetwork_trusted_pod",
            "create_privileged_trusted_pod",
            "create_unprivileged_trusted_pod",
            "create_sensitive_mount_trusted_pod",
            "create_unsensitive_mount_trusted_pod",
            "create_hostnetwork_trusted_pod",
            "create_nohostnetwork_trusted_pod",
        )
    },
    "create_clusterrole": (
        "rule 'K8s Role/Clusterrole Created' split into 'K8s Role Created' and 'K8s ClusterRole Created'"
    ),
    "delete_clusterrole": (
        "rule 'K8s Role/Clusterrole Deleted' split into 'K8s Role Deleted' and 'K8s ClusterRole Deleted'"
    ),
    "create_clusterrolebinding": (
        "rule 'K8s Role/Clusterrolebinding Created' split into 'K8s RoleBinding Created' and"
        " 'K8s ClusterRoleBinding Created'"
    ),
    "delete_clusterrolebinding": (
        "rule 'K8s Role/Clusterrolebinding Deleted' split into 'K8s RoleBinding Deleted' and"
        " 'K8s ClusterRoleBinding Deleted'"
    ),
}
RENAMED = {
    "create_clusterrole": "K8s ClusterRole Created",
    "delete_clusterrole": "K8s ClusterRole Deleted",
    "create_clusterrolebinding": "K8s ClusterRoleBinding Created",
    "delete_clusterrolebinding": "K8s ClusterRoleBinding Deleted",
}
DEFAULT_RULES = [
    "BUILD_DIR/falcosecurity-rules-falco-prefix/src/falcosecurity-rules-falco/falco_rules.yaml",
    "BUILD_DIR/k8saudit-rules-prefix/src/k8saudit-rules/k8s_audit_rules.yaml",
]


def _cases() -> dict[str, dict[str, Any]]:
    text = (CASES_DIR / "falco_k8s_audit_tests.yaml").read_text()
    data = load_yaml(text.replace("!mux", ""), "falco_k8s_audit_tests.yaml")
    cases: dict[str, dict[str, Any]] = data["trace_files"]
    return cases


def _rules_path(p: str) -> Path:
    p = p.replace(
        "BUILD_DIR/falcosecurity-rules-falco-prefix/src/falcosecurity-rules-falco/", f"{RULES}/rules/"
    )
    p = p.replace("BUILD_DIR/k8saudit-rules-prefix/src/k8saudit-rules/", f"{K8S_RULES.parent}/")
    return Path(p.replace("./rules/", f"{CASES_DIR}/rules/"))


@functools.cache
def _ruleset(files: tuple[Path, ...]) -> Ruleset:
    return compile_spec(load_rule_files(list(files)))


def _run_case(case: dict[str, Any]) -> tuple[Counter[str], set[Priority], list[str], SourceStats]:
    files = tuple(_rules_path(p) for p in case.get("rules_file", DEFAULT_RULES))
    trace = CASES_DIR / case["addl_cmdline_opts"].split("open_params=", 1)[1]
    rs = _ruleset(files)
    errors = [str(d) for d in rs.diagnostics if d.level == "error"]
    engine = Engine(rs, rule_matching="first", hostname="test")
    stats = SourceStats()
    got: Counter[str] = Counter()
    levels: set[Priority] = set()
    for event in read_audit_file(trace, stats):
        for alert in engine.process(event):
            got[alert.rule] += 1
            levels.add(alert.priority)
    return got, levels, errors, stats


CASES = _cases()


@pytest.mark.parametrize("name", sorted(n for n in CASES if n not in DRIFT))
def test_falco_k8s_audit_case(name: str) -> None:
    case = CASES[name]
    got, levels, errors, stats = _run_case(case)
    assert errors == []
    assert bool(got) is bool(case["detect"]), dict(got)
    for item in case.get("detect_counts", []):
        for rule, count in item.items():
            assert got[rule] == count, dict(got)
    if case["detect"] and "detect_level" in case:
        assert Priority.parse(case["detect_level"]) in levels
    if "stderr_contains" in case:
        assert stats.malformed == 1 and stats.received == 0


@pytest.mark.parametrize("name", sorted(DRIFT))
def test_drifted_case_shows_the_documented_drift(name: str) -> None:
    got, _, errors, _ = _run_case(CASES[name])
    if name in RENAMED:
        assert dict(got) == {RENAMED[name]: 1}
    else:
        assert errors and all("append to a list that is not defined yet" in e for e in errors)
        assert any("falco_sensitive_mount_images" in e for e in errors)


def test_drift_is_documented(shared_dir: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs/runtime.md").read_text()
    for name in DRIFT:
        assert f"`{name}`" in doc
