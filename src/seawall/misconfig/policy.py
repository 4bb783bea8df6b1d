"""Custom policies in CEL, the expression language of Kubernetes ValidatingAdmissionPolicy.

A policy file (YAML) holds one policy, several documents, or a ``policies:`` list::

    id: CUSTOM-001
    title: Deployments need two replicas
    severity: MEDIUM
    match: {kinds: [Deployment], targets: [kubernetes]}
    expression: "has(object.spec.replicas) && object.spec.replicas >= 2"
    message: "fewer than two replicas"

As in a ValidatingAdmissionPolicy, the expression says what is *valid*: ``false`` is a violation.
``object`` is the Kubernetes resource, the compose file, or for Dockerfiles
``{"stages": [{"base", "alias", "instructions": [{"cmd", "args", "flags", "line"}]}]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import cel

from seawall.errors import SeawallError, UsageError
from seawall.misconfig.dockerfile import Dockerfile
from seawall.misconfig.model import Check, CheckMeta, ConfigObject, Hit, ScanContext
from seawall.model import Severity
from seawall.yamlsafe import load_yaml_documents

log = logging.getLogger("seawall.misconfig")

TARGETS = ("kubernetes", "compose", "dockerfile")
_FIELDS = {
    "id",
    "title",
    "severity",
    "description",
    "remediation",
    "match",
    "expression",
    "message",
    "references",
}


class PolicyError(UsageError):
    """A custom policy file is invalid."""


def load_policies(path: Path) -> list[Check]:
    """Load every policy from a file or a directory of ``*.yaml``/``*.yml`` files; PolicyError if invalid."""
    if not path.exists():
        raise PolicyError(f"policy path {path} does not exist")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    checks: list[Check] = []
    seen: dict[str, Path] = {}
    for file in files:
        for index, raw in enumerate(_documents(file)):
            c = _policy(raw, f"{file} (policy {index + 1})")
            if c.meta.id in seen:
                raise PolicyError(f"{file}: policy id {c.meta.id} is also defined in {seen[c.meta.id]}")
            seen[c.meta.id] = file
            checks.append(c)
    return checks


def _documents(file: Path) -> Iterator[Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {file}: {exc}") from exc
    try:
        docs = list(load_yaml_documents(text, str(file)))
    except SeawallError as exc:
        raise PolicyError(str(exc)) from exc
    for doc in docs:
        if doc is None:
            continue
        if isinstance(doc, Mapping) and "policies" in doc:
            policies = doc["policies"]
            if not isinstance(policies, list):
                raise PolicyError(f"{file}: 'policies' must be a list")
            yield from policies
        else:
            yield doc


def _policy(raw: Any, where: str) -> Check:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a policy must be a mapping")
    unknown = sorted(set(map(str, raw)) - _FIELDS)
    if unknown:
        raise PolicyError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for field in ("id", "expression", "message"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise PolicyError(f"{where}: '{field}' is required and must be a non-empty string")
    severity = Severity.parse(str(raw.get("severity", "MEDIUM")))
    if severity is Severity.UNKNOWN:
        raise PolicyError(f"{where}: severity must be one of LOW, MEDIUM, HIGH, CRITICAL")
    match = raw.get("match", {})
    if not isinstance(match, Mapping):
        raise PolicyError(f"{where}: 'match' must be a mapping with 'kinds' and/or 'targets'")
    kinds = _strings(match.get("kinds", []), f"{where}: match.kinds")
    targets = _strings(match.get("targets", ["kubernetes"]), f"{where}: match.targets")
    bad = [t for t in targets if t not in TARGETS]
    if bad:
        raise PolicyError(f"{where}: match.targets {bad} not in {', '.join(TARGETS)}")
    try:
        program = cel.compile(raw["expression"])
    except (ValueError, RuntimeError) as exc:
        first = " ".join(str(exc).split())
        raise PolicyError(f"{where}: expression does not compile: {first}") from exc
    meta = CheckMeta(
        id=raw["id"].strip(),
        target="custom",
        title=str(raw.get("title") or raw["message"]),
        severity=severity,
        description=str(raw.get("description", "")),
        remediation=str(raw.get("remediation", "")),
        references=tuple(_strings(raw.get("references", []), f"{where}: references")),
    )
    return Check(meta, _evaluator(program, meta, frozenset(kinds), raw["message"]), tuple(targets))


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    return list(value)


def dockerfile_object(df: Dockerfile) -> dict[str, Any]:
    """The CEL view of a Dockerfile."""
    return {
        "stages": [
            {
                "base": s.base,
                "alias": s.alias,
                "instructions": [
                    {"cmd": i.cmd, "args": i.args, "flags": dict(i.flags), "line": i.start_line}
                    for i in s.instructions
                ],
            }
            for s in df.stages
        ]
    }


def _evaluator(program: Any, meta: CheckMeta, kinds: frozenset[str], message: str) -> Any:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        if kinds and obj.kind not in kinds:
            return
        data = dockerfile_object(obj.data) if isinstance(obj.data, Dockerfile) else obj.data
        try:
            result = program.execute({"object": data})
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            # As a ValidatingAdmissionPolicy without a matching field: say so, do not fail the scan.
            log.warning("%s: policy %s could not be evaluated on %s: %s", obj.file, meta.id, obj.name, exc)
            return
        if result is False:
            yield Hit(message, ())
        elif result is not True:
            log.warning("%s: policy %s returned %r, not a bool", obj.file, meta.id, result)

    return evaluate
