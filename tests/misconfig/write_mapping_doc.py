"""Regenerate docs/checks-mapping.md from checkov_map.py and a run over Checkov's fixtures.

.venv/bin/python tests/misconfig/write_mapping_doc.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from agreement import cases
from checkov_map import DISAGREEMENTS, DOCKER, K8S_GRAPH, K8S_GRAPH_TEMPLATE, K8S_RESOURCE

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "checkov-k8s-docker"

HEADER = """\
# Checkov → Seawall check mapping

Seawall's checks compared with Checkov's on Checkov's own labelled test fixtures
(`../shared/corpus/checkov-k8s-docker`, upstream commit 03d5fdad). The test
`tests/misconfig/test_checkov_agreement.py` runs every mapped Seawall check on every FAILED and
PASSED fixture of the Checkov check and fails unless Seawall flags the FAILED ones and none of the
PASSED ones, or the disagreement is listed below with a reason. Files labelled UNKNOWN and the
mixed `1FAILED1PASSED` files are not used. Where one fixture directory covers several Checkov
checks (ShareHost, Requests_Limits, LivenessReadiness), a FAILED file must be flagged by at least
one mapped Seawall check and a PASSED file by none. Regenerate with
`.venv/bin/python tests/misconfig/write_mapping_doc.py`.
"""


def _why_unmapped(cid: str, name: str) -> str:
    if any(
        k in name for k in ("--", "argument", "admission control plugin", "Ciphers", "encryption providers")
    ):
        return "control-plane, kubelet or etcd process flags: node configuration (`seawall k8s`, issue 10)"
    if "PSP" in name or cid in (
        "CKV_K8S_1",
        "CKV_K8S_2",
        "CKV_K8S_3",
        "CKV_K8S_4",
        "CKV_K8S_5",
        "CKV_K8S_6",
        "CKV_K8S_7",
        "CKV_K8S_24",
        "CKV_K8S_32",
        "CKV_K8S_36",
    ):
        return "PodSecurityPolicy was removed in Kubernetes 1.25"
    if cid in ("CKV_K8S_29", "CKV_K8S_30"):
        return "'a securityContext exists' is not a security property; the PSS checks test the fields that matter"
    if "Tiller" in name:
        return "Helm v2 Tiller has been unsupported since 2020"
    if cid == "CKV_K8S_112":
        return "kubelet feature gate: node configuration (`seawall k8s`, issue 10)"
    if cid == "CKV2_K8S_1":
        return "covered in spirit by RBAC004/RBAC005, not mapped fixture by fixture"
    return "not done"


def main() -> None:
    names = {r["id"]: r["name"] for r in csv.DictReader((CORPUS / "checks_index.csv").open())}
    all_cases = list(cases(CORPUS))
    stats: dict[str, list[int]] = {}
    for c in all_cases:
        s = stats.setdefault(c.checkov_id, [0, 0, 0])
        s[0] += 1
        s[1 if c.agrees else 2] += 1
    agree = sum(1 for c in all_cases if c.agrees)
    out = [
        HEADER,
        f"**{len(all_cases)} fixture cases: {agree} agree, {len(all_cases) - agree} disagree "
        "(each explained below).**\n",
        "| Checkov | Checkov title | Seawall | fixtures | agree | disagree |",
        "|---|---|---|---:|---:|---:|",
    ]
    mapped = {**K8S_RESOURCE, **K8S_GRAPH, **K8S_GRAPH_TEMPLATE, **DOCKER}
    for cid, (ids, _) in mapped.items():
        s = stats.get(cid, [0, 0, 0])
        out.append(
            f"| {cid} | {names.get(cid, '').replace('|', '/')} | {', '.join(ids)} | {s[0]} | {s[1]} | {s[2]} |"
        )
    out += [
        "",
        "## Disagreements",
        "",
        "| Checkov | fixture | Checkov says | Seawall | why |",
        "|---|---|---|---|---|",
    ]
    for c in all_cases:
        if not c.agrees:
            said = "FAILED" if c.expected_fail else "PASSED"
            got = ", ".join(c.flagged_by) or "no finding"
            out.append(
                f"| {c.checkov_id} | `{c.fixture}` | {said} | {got} | {DISAGREEMENTS[(c.checkov_id, c.fixture)]} |"
            )
    out += [
        "",
        "## Checkov checks without a Seawall equivalent",
        "",
        "| Checkov | title | why not mapped |",
        "|---|---|---|",
    ]
    for cid, name in names.items():
        if cid not in mapped:
            out.append(f"| {cid} | {name.replace('|', '/')} | {_why_unmapped(cid, name)} |")
    (ROOT / "docs" / "checks-mapping.md").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
