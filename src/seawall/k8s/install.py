"""Manifests for running Seawall in a cluster: the admission webhook (configuration, Service,
Deployment, RBAC) and the runtime agent DaemonSet, printed by ``seawall k8s install --print``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

WEBHOOK_NAME = "seawall-admission"


@dataclass(frozen=True, slots=True)
class InstallOptions:
    """What the manifests say: where things run and how the apiserver treats webhook failures."""

    namespace: str = "seawall-system"
    image: str = "ghcr.io/seawall/seawall:latest"
    fail_open: bool = False
    timeout_seconds: int = 5
    ca_bundle: bytes = b""  # PEM of the CA that signed the webhook's serving certificate
    tls_secret: str = "seawall-admission-tls"
    exempt_namespaces: tuple[str, ...] = ("kube-system",)


def manifests(opts: InstallOptions) -> list[dict[str, Any]]:
    """Every object to apply, in apply order."""
    ns, labels = opts.namespace, {"app.kubernetes.io/name": WEBHOOK_NAME}
    agent_labels = {"app.kubernetes.io/name": "seawall-agent"}
    restricted_sc = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    webhook_args = [
        "k8s",
        "admission",
        "--tls-cert=/tls/tls.crt",
        "--tls-key=/tls/tls.key",
        "--policy=/policy/policy.yaml",
        "--listen=0.0.0.0:8443",
        "--fail-open" if opts.fail_open else "--fail-closed",
    ]
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": WEBHOOK_NAME, "namespace": ns}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{WEBHOOK_NAME}-policy", "namespace": ns},
            "data": {"policy.yaml": "podSecurity: {level: baseline, action: deny}\n"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": WEBHOOK_NAME, "namespace": ns, "labels": labels},
            "spec": {
                # Two replicas: with failurePolicy Fail, one restarting pod must not block the cluster.
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": WEBHOOK_NAME,
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": "webhook",
                                "image": opts.image,
                                "args": webhook_args,
                                "ports": [{"containerPort": 8443, "name": "https"}],
                                "readinessProbe": {
                                    "httpGet": {"path": "/healthz", "port": 8443, "scheme": "HTTPS"}
                                },
                                "livenessProbe": {
                                    "httpGet": {"path": "/healthz", "port": 8443, "scheme": "HTTPS"}
                                },
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"cpu": "500m", "memory": "256Mi"},
                                },
                                "securityContext": restricted_sc,
                                "volumeMounts": [
                                    {"name": "tls", "mountPath": "/tls", "readOnly": True},
                                    {"name": "policy", "mountPath": "/policy", "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "tls", "secret": {"secretName": opts.tls_secret}},
                            {"name": "policy", "configMap": {"name": f"{WEBHOOK_NAME}-policy"}},
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": WEBHOOK_NAME, "namespace": ns, "labels": labels},
            "spec": {"selector": labels, "ports": [{"name": "https", "port": 443, "targetPort": 8443}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": WEBHOOK_NAME, "namespace": ns},
            "spec": {
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"ports": [{"port": 8443}]}],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": WEBHOOK_NAME},
            "webhooks": [
                {
                    "name": "workloads.seawall.dev",
                    "admissionReviewVersions": ["v1"],
                    "clientConfig": {
                        "service": {"name": WEBHOOK_NAME, "namespace": ns, "path": "/validate", "port": 443},
                        **({"caBundle": base64.b64encode(opts.ca_bundle).decode()} if opts.ca_bundle else {}),
                    },
                    # Fail: the apiserver rejects what the webhook could not review (safe, less available);
                    # Ignore: it admits it (available, unsafe while the webhook is down).
                    "failurePolicy": "Ignore" if opts.fail_open else "Fail",
                    "sideEffects": "NoneOnDryRun",  # the decision audit log is not written for dryRun
                    "timeoutSeconds": opts.timeout_seconds,
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {
                        "matchExpressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                # The webhook's own namespace is exempt, or it could never restart.
                                "values": sorted({ns, *opts.exempt_namespaces}),
                            }
                        ]
                    },
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["pods", "replicationcontrollers", "podtemplates"],
                            "scope": "Namespaced",
                        },
                        {
                            "apiGroups": ["apps"],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
                            "scope": "Namespaced",
                        },
                        {
                            "apiGroups": ["batch"],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["jobs", "cronjobs"],
                            "scope": "Namespaced",
                        },
                    ],
                }
            ],
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "seawall-agent", "namespace": ns},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "seawall-agent"},
            # Read-only metadata for enriching runtime events with pod/namespace context.
            "rules": [
                {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "seawall-agent"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "seawall-agent",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "seawall-agent", "namespace": ns}],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "seawall-agent", "namespace": ns, "labels": agent_labels},
            "spec": {
                "selector": {"matchLabels": agent_labels},
                "template": {
                    "metadata": {"labels": agent_labels},
                    "spec": {
                        "serviceAccountName": "seawall-agent",
                        # The runtime agent sees host processes (proc connector, tracepoints): it needs the
                        # host PID namespace and privileges; this namespace is labelled privileged for it.
                        "hostPID": True,
                        "tolerations": [{"operator": "Exists"}],
                        "containers": [
                            {
                                "name": "agent",
                                "image": opts.image,
                                "args": ["runtime", "run", "--source=proc", "--json-output"],
                                "securityContext": {"privileged": True},
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "128Mi"},
                                    "limits": {"cpu": "1", "memory": "512Mi"},
                                },
                                "volumeMounts": [
                                    {"name": "proc", "mountPath": "/host/proc", "readOnly": True},
                                    {"name": "sys", "mountPath": "/sys", "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "proc", "hostPath": {"path": "/proc"}},
                            {"name": "sys", "hostPath": {"path": "/sys"}},
                        ],
                    },
                },
            },
        },
    ]
    return objects


def render(opts: InstallOptions, fmt: str = "yaml") -> str:
    """The manifests as a multi-document YAML stream (or one JSON List)."""
    objects = manifests(opts)
    if fmt == "json":
        return orjson.dumps(
            {"apiVersion": "v1", "kind": "List", "items": objects}, option=orjson.OPT_INDENT_2
        ).decode()
    return "".join("---\n" + yaml.safe_dump(o, sort_keys=False) for o in objects)
