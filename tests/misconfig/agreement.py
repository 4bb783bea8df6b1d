"""Compare Seawall with Checkov's labelled fixtures: one (checkov id, fixture, expected, got) row per case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from checkov_map import DOCKER, K8S_GRAPH, K8S_GRAPH_TEMPLATE, K8S_RESOURCE

from seawall.misconfig.engine import run_checks
from seawall.misconfig.loader import load_file
from seawall.misconfig.registry import all_checks
from seawall.yamlsafe import load_yaml


@dataclass(frozen=True)
class Case:
    checkov_id: str
    fixture: str  # path relative to the corpus tests/ directory
    expected_fail: bool
    flagged_by: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return bool(self.flagged_by) == self.expected_fail


def _flagged(paths: list[Path], ids: tuple[str, ...], root: Path) -> tuple[str, ...]:
    objects = [o for p in paths for o in load_file(p, str(p.relative_to(root)))]
    checks = [c for c in all_checks() if c.meta.id in ids]
    return tuple(sorted({f.check.id for f in run_checks(objects, checks)}))


def _label(name: str) -> bool | None:
    upper = name.upper()
    if "UNKNOWN" in upper or "UNKOWN" in upper or re.search(r"\dFAILED\dPASSED", upper):
        return None
    if "FAILED" in upper:
        return True
    if "PASSED" in upper or "-PASS." in upper:
        return False
    return None


def cases(corpus: Path) -> Iterator[Case]:
    """Every labelled fixture of every mapped Checkov check."""
    tests = corpus / "tests"
    for cid, (ids, rel) in K8S_RESOURCE.items():
        for f in sorted((tests / rel).iterdir()):
            expected = _label(f.name)
            if expected is not None and f.suffix in (".yaml", ".yml", ".json"):
                yield Case(cid, f"{rel}/{f.name}", expected, _flagged([f], ids, tests))
    for cid, (ids, rel) in K8S_GRAPH.items():
        for d in sorted((tests / rel).iterdir()):
            if d.is_dir() and d.name.startswith(("Failing", "Passing")):
                files = sorted(p for p in d.rglob("*") if p.suffix in (".yaml", ".yml"))
                groups = (
                    [files]
                    if any(p.parent == d for p in files)
                    else [sorted(s.rglob("*.yaml")) for s in sorted(d.iterdir()) if s.is_dir()]
                )
                for i, group in enumerate(groups):
                    name = f"{rel}/{d.name}" + (f"/{group[0].parent.name}" if len(groups) > 1 else "")
                    del i
                    yield Case(cid, name, d.name.startswith("Failing"), _flagged(group, ids, tests))
    for cid, (ids, rel) in K8S_GRAPH_TEMPLATE.items():
        template = tests / rel / "template.yaml"
        objects = load_file(template, f"{rel}/template.yaml")
        checks = [c for c in all_checks() if c.meta.id in ids]
        flagged = {f.resource.rsplit("/", 1)[-1]: f.check.id for f in run_checks(objects, checks)}
        expected = load_yaml((tests / rel / "expected.yaml").read_text())
        for label in ("pass", "fail"):
            for resource in expected.get(label, []):
                name = resource.split(".")[2]  # Pod.<namespace>.<workload name>.<...>
                hit = (flagged[name],) if name in flagged else ()
                yield Case(cid, f"{rel}/template.yaml#{name}", label == "fail", hit)
    for cid, (ids, rel) in DOCKER.items():
        for d in sorted((tests / rel).iterdir()):
            if not d.is_dir() or not d.name.startswith(("success", "failure", "pass", "fail")):
                continue
            for f in sorted(d.iterdir()):
                if f.is_file() and f.name.startswith("Dockerfile"):
                    yield Case(
                        cid, f"{rel}/{d.name}/{f.name}", d.name.startswith("fail"), _flagged([f], ids, tests)
                    )
