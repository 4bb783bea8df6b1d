"""Kubernetes specifics: exact locations, pod-level inheritance, every container kind, Lists, JSON, RBAC."""

from __future__ import annotations

import json
from pathlib import Path

from seawall.misconfig.checks.rbac import grants
from seawall.misconfig.engine import run_checks
from seawall.misconfig.loader import parse_yaml_objects
from seawall.misconfig.registry import all_checks, get_check

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: apps
spec:
  securityContext:
    runAsNonRoot: true
  initContainers:
  - name: init
    image: busybox:1.36
    securityContext:
      privileged: true
  containers:
  - name: main
    image: busybox:1.36
  ephemeralContainers:
  - name: debug
    image: busybox:1.36
    securityContext:
      capabilities:
        add: ["SYS_PTRACE"]
"""


def _run(text: str, *ids: str) -> list[tuple[str, int, int, str, str]]:
    checks = [get_check(i) for i in ids] if ids else all_checks()
    findings = run_checks(parse_yaml_objects(text, "m.yaml"), checks)
    return [(f.check.id, f.start_line, f.end_line, f.json_path, f.message) for f in findings]


def test_finding_points_at_the_offending_field() -> None:
    [(cid, start, end, path, message)] = _run(POD, "K8S005")
    assert cid == "K8S005"
    assert (start, end) == (13, 13)
    assert path == "spec.initContainers[0].securityContext.privileged"
    assert 'init container "init"' in message


def test_ephemeral_containers_are_checked() -> None:
    [(_, start, _, path, message)] = _run(POD, "K8S006")
    assert path == "spec.ephemeralContainers[0].securityContext.capabilities.add"
    assert start == 22 and "SYS_PTRACE" in message


def test_pod_level_run_as_non_root_is_inherited() -> None:
    assert _run(POD, "K8S017") == []
    overridden = POD.replace(
        "    image: busybox:1.36\n  ephemeral",
        "    image: busybox:1.36\n    securityContext:\n      runAsNonRoot: false\n  ephemeral",
    )
    [(_, line, _, path, _)] = _run(overridden, "K8S017")
    assert path == "spec.containers[0].securityContext.runAsNonRoot" and line == 18


def test_list_kind_and_multi_document_and_json() -> None:
    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "a"},
                "spec": {"hostPID": True, "containers": []},
            },
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "b"},
                "spec": {"template": {"spec": {"hostNetwork": True, "containers": []}}},
            },
        ],
    }
    objs = parse_yaml_objects(json.dumps(listed, indent=2), "list.json")
    assert [o.name for o in objs] == ["Pod/a", "DaemonSet/b"]
    found = run_checks(objs, [get_check("K8S002"), get_check("K8S003")])
    assert {(f.check.id, f.resource) for f in found} == {("K8S003", "Pod/a"), ("K8S002", "DaemonSet/b")}
    assert all(f.start_line > 0 for f in found)
    multi = "---\n".join([POD, POD.replace("name: p\n", "name: q\n")])
    assert len(parse_yaml_objects(multi, "m.yaml")) == 2


def test_cronjob_pod_template_path() -> None:
    cron = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostIPC: true
          containers: [{name: c, image: busybox:1.36}]
"""
    [(_, line, _, path, _)] = _run(cron, "K8S004")
    assert path == "spec.jobTemplate.spec.template.spec.hostIPC" and line == 10
    assert _run(cron, "K8S031") == []  # no probes expected on jobs


def test_helm_rendered_output_is_scanned() -> None:
    rendered = "---\n# Source: chart/templates/deploy.yaml\n" + POD
    assert _run(rendered, "K8S005")


def test_rbac_resolution_through_bindings_and_aggregation() -> None:
    text = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate, labels: {}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.example/agg: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: piece, labels: {rbac.example/agg: "true"}}
rules: [{apiGroups: [""], resources: ["secrets"], verbs: ["list"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregate}
subjects: [{kind: ServiceAccount, name: ci}]
"""
    objs = parse_yaml_objects(text, "rbac.yaml")
    messages = [f.message for f in run_checks(objs, [get_check("RBAC002")])]
    assert any("aggregate" in m and "ServiceAccount team/ci via RoleBinding/team/rb" in m for m in messages)
    held = grants(objs)
    assert ("ServiceAccount team/ci", "RBAC002", "RoleBinding/team/rb") in {
        (str(g.subject), g.check_id, g.binding) for g in held
    }


def test_network_policy_selection() -> None:
    base = POD.replace("  securityContext:\n    runAsNonRoot: true\n", "").replace(
        "  namespace: apps\n", "  namespace: apps\n  labels: {app: web}\n"
    )
    assert _run(base, "K8S039")
    policy = (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, namespace: apps}\n"
        "spec: {podSelector: {matchLabels: {app: web}}}\n"
    )
    assert _run(base + policy, "K8S039") == []
    other_ns = policy.replace("namespace: apps", "namespace: other")
    assert _run(base + other_ns, "K8S039")


def _deployment(name: str, namespace: str, app: str) -> str:
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec:\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n"
        f"    spec:\n      containers: [{{name: c, image: busybox:1.36}}]\n"
    )


def test_network_policy_reported_once_per_namespace() -> None:
    """One K8S039 finding per namespace, naming every workload no policy selects."""
    text = (
        _deployment("web", "apps", "web")
        + _deployment("api", "apps", "api")
        + _deployment("db", "data", "db")
        + _deployment("cache", "data", "cache")
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: n, namespace: data}\nspec: {podSelector: {matchLabels: {app: db}}}\n"
    )
    found = {f[4] for f in _run(text, "K8S039")}
    assert found == {
        'namespace "apps" has no NetworkPolicy; exposed 2 workloads: Deployment/web, Deployment/api',
        'namespace "data": no NetworkPolicy selects 1 workload: Deployment/cache',
    }
    # The finding sits on the first exposed workload of the namespace.
    lines = sorted(f[1] for f in _run(text, "K8S039"))
    assert lines == [9, 36]  # web (document 1) and cache (document 4)


def test_network_policy_list_is_bounded() -> None:
    text = "".join(_deployment(f"w{i}", "big", f"w{i}") for i in range(25))
    [(_, _, _, _, message)] = _run(text, "K8S039")
    assert "25 workloads" in message and message.endswith("and 5 more")
    assert "Deployment/w19" in message and "Deployment/w20" not in message


def test_libyaml_and_pure_python_loaders_agree(shared_dir: Path) -> None:
    """The LibYAML-backed loader gives the same data and the same line map as yamlsafe's own loader."""
    from seawall import yamlsafe
    from seawall.misconfig import yamldocs

    path = shared_dir / "corpus" / "k8s-manifests-realworld" / "microservices-demo" / "release"
    text = (path / "kubernetes-manifests.yaml").read_text()
    fast = list(yamldocs.load_documents(text, "m.yaml"))
    original = yamlsafe.HAVE_LIBYAML
    try:
        yamlsafe.HAVE_LIBYAML = False
        slow = list(yamldocs.load_documents(text, "m.yaml"))
    finally:
        yamlsafe.HAVE_LIBYAML = original
    assert original
    assert [d.data for d in fast] == [d.data for d in slow]
    assert [d.positions for d in fast] == [d.positions for d in slow]


def test_user_namespace_pods_relax_root_checks() -> None:
    root = POD.replace("    runAsNonRoot: true\n", "    runAsNonRoot: false\n    runAsUser: 0\n")
    assert _run(root, "K8S017") and _run(root, "K8S018")
    userns = root.replace("spec:\n  securityContext:", "spec:\n  hostUsers: false\n  securityContext:")
    assert _run(userns, "K8S017") == [] and _run(userns, "K8S018") == []
    # An explicit false is reported alone, as pod-security-admission does.
    [(_, _, _, path, message)] = _run(root, "K8S017")
    assert path == "spec.securityContext.runAsNonRoot" and "must not set" in message
