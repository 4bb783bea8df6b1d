"""Checkov check id -> Seawall check ids, and the Checkov fixture directories that exercise them.

The same table is published in docs/checks-mapping.md; the agreement test reads it from here.
"""

from __future__ import annotations

# Checkov id -> (Seawall ids, fixture location relative to tests/ of the Checkov corpus)
K8S_RESOURCE = {
    "CKV_K8S_8": (("K8S031",), "kubernetes/checks/example_LivenessReadiness"),
    "CKV_K8S_9": (("K8S032",), "kubernetes/checks/example_LivenessReadiness"),
    "CKV_K8S_10": (("K8S024",), "kubernetes/checks/example_Requests_Limits"),
    "CKV_K8S_11": (("K8S022",), "kubernetes/checks/example_Requests_Limits"),
    "CKV_K8S_12": (("K8S023",), "kubernetes/checks/example_Requests_Limits"),
    "CKV_K8S_13": (("K8S021",), "kubernetes/checks/example_Requests_Limits"),
    "CKV_K8S_14": (("K8S025",), "kubernetes/checks/example_ImageTagFixed"),
    "CKV_K8S_15": (("K8S027",), "kubernetes/checks/example_ImagePullPolicy"),
    "CKV_K8S_16": (("K8S005",), "kubernetes/checks/example_PrivilegedContainers"),
    "CKV_K8S_17": (("K8S002", "K8S003", "K8S004"), "kubernetes/checks/example_ShareHost"),
    "CKV_K8S_18": (("K8S002", "K8S003", "K8S004"), "kubernetes/checks/example_ShareHost"),
    "CKV_K8S_19": (("K8S002", "K8S003", "K8S004"), "kubernetes/checks/example_ShareHost"),
    "CKV_K8S_20": (("K8S016",), "kubernetes/checks/example_AllowPrivilegeEscalation"),
    "CKV_K8S_21": (("K8S029",), "kubernetes/checks/example_DefaultNamespace"),
    "CKV_K8S_22": (("K8S033",), "kubernetes/checks/example_ReadOnlyFilesystem"),
    "CKV_K8S_23": (("K8S017",), "kubernetes/checks/example_RootContainers"),
    "CKV_K8S_25": (("K8S006",), "kubernetes/checks/example_AllowedCapabilities"),
    "CKV_K8S_26": (("K8S008",), "kubernetes/checks/example_HostPort"),
    "CKV_K8S_27": (("K8S035",), "kubernetes/checks/example_DockerSocketVolume"),
    "CKV_K8S_28": (("K8S036",), "kubernetes/checks/example_DropCapabilities"),
    "CKV_K8S_31": (("K8S019",), "kubernetes/checks/example_Seccomp"),
    "CKV_K8S_35": (("K8S034",), "kubernetes/checks/example_Secrets"),
    "CKV_K8S_37": (("K8S020",), "kubernetes/checks/example_DropCapabilities"),
    "CKV_K8S_38": (("K8S028",), "kubernetes/checks/example_ServiceAccountTokens"),
    "CKV_K8S_39": (("K8S037",), "kubernetes/checks/example_AllowedCapabilitiesSysAdmin"),
    "CKV_K8S_40": (("K8S040",), "kubernetes/checks/example_RootContainersHighUID"),
    "CKV_K8S_41": (("K8S041",), "kubernetes/checks/example_DefaultServiceAccount"),
    "CKV_K8S_42": (("RBAC014",), "kubernetes/checks/example_DefaultServiceAccountBinding"),
    "CKV_K8S_43": (("K8S026",), "kubernetes/checks/example_ImageDigest"),
    "CKV_K8S_49": (("RBAC001",), "kubernetes/checks/example_WildcardRoles"),
    "CKV_K8S_153": (("K8S042",), "kubernetes/checks/example_NginxIngressCVE202125742"),
    "CKV_K8S_155": (("RBAC009",), "kubernetes/checks/example_RbacControlWebhooks"),
    "CKV_K8S_156": (("RBAC008",), "kubernetes/checks/example_RbacApproveCertificateSigningRequests"),
    "CKV_K8S_157": (("RBAC005",), "kubernetes/checks/example_RbacBindRoleBindings"),
    "CKV_K8S_158": (("RBAC005",), "kubernetes/checks/example_RbacEscalateRoles"),
}
K8S_GRAPH = {
    "CKV2_K8S_2": (("RBAC003", "RBAC006"), "kubernetes/graph/checks/resources/NoCreateNodesProxyOrPodsExec"),
    "CKV2_K8S_3": (("RBAC005",), "kubernetes/graph/checks/resources/ImpersonatePermissions"),
    "CKV2_K8S_4": (("RBAC015",), "kubernetes/graph/checks/resources/ModifyServicesStatus"),
    "CKV2_K8S_5": (("RBAC002",), "kubernetes/graph/checks/resources/ReadAllSecrets"),
}
# Graph checks whose fixture is one template.yaml with expected.yaml listing resources that pass/fail.
K8S_GRAPH_TEMPLATE = {
    "CKV2_K8S_6": (("K8S039",), "kubernetes/graph/checks/resources/RequireAllPodsToHaveNetworkPolicy"),
}
DOCKER = {
    "CKV_DOCKER_1": (("DS021",), "dockerfile/checks/example_ExposePort22"),
    "CKV_DOCKER_2": (("DS022",), "dockerfile/checks/example_HealthcheckExists"),
    "CKV_DOCKER_3": (("DS002",), "dockerfile/checks/example_UserExists"),
    "CKV_DOCKER_4": (("DS004", "DS005"), "dockerfile/checks/example_AddExists"),
    "CKV_DOCKER_5": (("DS010",), "dockerfile/checks/example_UpdateNotAlone"),
    "CKV_DOCKER_6": (("DS029",), "dockerfile/checks/example_MaintainerExists"),
    "CKV_DOCKER_7": (("DS003",), "dockerfile/checks/example_ReferenceLatestTag"),
    "CKV_DOCKER_8": (("DS001",), "dockerfile/checks/example_RootUser"),
    "CKV_DOCKER_9": (("DS031",), "dockerfile/checks/example_RunUsingAPT"),
    "CKV_DOCKER_10": (("DS025",), "dockerfile/checks/example_WorkdirIsAbsolute"),
    "CKV_DOCKER_11": (("DS030",), "dockerfile/checks/example_AliasIsUnique"),
    "CKV2_DOCKER_1": (("DS018",), "dockerfile/graph_builder/checks/resources/RunUsingSudo"),
    "CKV2_DOCKER_2": (("DS034",), "dockerfile/graph_builder/checks/resources/RunUnsafeCurl"),
    "CKV2_DOCKER_3": (("DS034",), "dockerfile/graph_builder/checks/resources/RunUnsafeWget"),
    "CKV2_DOCKER_4": (("DS034",), "dockerfile/graph_builder/checks/resources/RunPipTrustedHost"),
    "CKV2_DOCKER_5": (("DS036",), "dockerfile/graph_builder/checks/resources/EnvPythonHttpsVerify"),
    "CKV2_DOCKER_6": (("DS036",), "dockerfile/graph_builder/checks/resources/EnvNodeTlsRejectUnauthorized"),
    "CKV2_DOCKER_7": (("DS035",), "dockerfile/graph_builder/checks/resources/RunApkAllowUntrusted"),
    "CKV2_DOCKER_8": (("DS035",), "dockerfile/graph_builder/checks/resources/RunAptGetAllowUnauthenticated"),
    "CKV2_DOCKER_9": (("DS035",), "dockerfile/graph_builder/checks/resources/RunYumNoGpgCheck"),
    "CKV2_DOCKER_10": (("DS035",), "dockerfile/graph_builder/checks/resources/RunRpmNoSignature"),
    "CKV2_DOCKER_11": (("DS035",), "dockerfile/graph_builder/checks/resources/RunAptGetForceYes"),
    "CKV2_DOCKER_12": (("DS036",), "dockerfile/graph_builder/checks/resources/EnvNpmConfigStrictSsl"),
    "CKV2_DOCKER_13": (("DS034",), "dockerfile/graph_builder/checks/resources/RunNpmConfigSetStrictSsl"),
    "CKV2_DOCKER_14": (("DS036",), "dockerfile/graph_builder/checks/resources/EnvGitSslNoVerify"),
    "CKV2_DOCKER_15": (("DS034",), "dockerfile/graph_builder/checks/resources/RunYumConfigManagerSslVerify"),
    "CKV2_DOCKER_16": (("DS036",), "dockerfile/graph_builder/checks/resources/EnvPipTrustedHost"),
    "CKV2_DOCKER_17": (("DS037",), "dockerfile/graph_builder/checks/resources/RunChpasswd"),
}

# Fixtures where Seawall deliberately disagrees with Checkov's label: (Checkov id, fixture path) -> reason.
_K = "kubernetes/checks/"
_G = "kubernetes/graph/checks/resources/"
DISAGREEMENTS: dict[tuple[str, str], str] = {
    ("CKV_K8S_21", _K + "example_DefaultNamespace/nginx-statefulset-FAILED.yaml"): (
        "No metadata.namespace: the namespace is chosen at apply time (kubectl -n, kustomize, Helm), so "
        "Seawall reports only an explicit 'default'."
    ),
    ("CKV_K8S_23", _K + "example_RootContainers/rootContainersFAILED-malformed-spec.yaml"): (
        "spec is a list, not a Pod spec: there is nothing to evaluate (the API server would reject it)."
    ),
    ("CKV_K8S_23", _K + "example_RootContainers/rootContainersPASSED.yaml"): (
        "Pod Security Standards (restricted) require runAsNonRoot: true; pod-security-admission rejects "
        "a pod-level runAsNonRoot: false even when containers override it, and a runAsUser > 0 without "
        "runAsNonRoot. Seawall follows pod-security-admission."
    ),
    ("CKV_K8S_31", _K + "example_Seccomp/cronjob-seccomp-PASSED.yaml"): (
        "Only the seccomp alpha annotation is set; Kubernetes ignores it since 1.27 and PSS restricted "
        "requires securityContext.seccompProfile."
    ),
    ("CKV_K8S_31", _K + "example_Seccomp/pod-seccomp-PASSED.yaml"): "Alpha annotation only (see above).",
    ("CKV_K8S_31", _K + "example_Seccomp/pod-seccomp-PASSED2.yaml"): "Alpha annotation only (see above).",
    ("CKV_K8S_31", _K + "example_Seccomp/pod-seccomp-PASSED6.yaml"): "Alpha annotation only (see above).",
    ("CKV_K8S_37", _K + "example_DropCapabilities/pod-drop-NET_RAW-capabilities-PASSED.yaml"): (
        "Mapped to PSS restricted Capabilities, which requires drop: [ALL]; dropping NET_RAW alone is "
        "K8S036 (CKV_K8S_28)."
    ),
    ("CKV_K8S_37", _K + "example_DropCapabilities/pod-drop-all-capabilities-PASSED2.yaml"): (
        'drop: [all] in lower case: pod-security-admission compares with "ALL" exactly.'
    ),
    ("CKV_K8S_39", _K + "example_AllowedCapabilitiesSysAdmin/pod-FAILED2.yaml"): (
        "The pod has no containers (containers: null): nothing adds SYS_ADMIN."
    ),
    ("CKV_K8S_157", _K + "example_RbacBindRoleBindings/clusterrole-failed-1.yaml"): (
        "Checkov is wrong: 'bind' on rolebindings grants nothing; the RBAC authorizer checks 'bind' on "
        "roles and clusterroles."
    ),
    ("CKV_K8S_157", _K + "example_RbacBindRoleBindings/role-passed-2.yaml"): (
        "verbs ['*'] on serviceaccounts include 'impersonate', which RBAC005 also covers."
    ),
    ("CKV_K8S_158", _K + "example_RbacEscalateRoles/role-passed-2.yaml"): (
        "verbs ['*'] on serviceaccounts include 'impersonate', which RBAC005 also covers."
    ),
    ("CKV2_K8S_2", _G + "NoCreateNodesProxyOrPodsExec/Failing/4"): (
        "Checkov ignores apiGroups: resources ['*'] in rbac.authorization.k8s.io do not include pods/exec "
        "(Seawall reports the 'bind' on '*' there as RBAC005 instead)."
    ),
    ("CKV2_K8S_4", _G + "ModifyServicesStatus/Failing/1"): (
        "Checkov ignores apiGroups: services/status is in the core group, not rbac.authorization.k8s.io, "
        "so this role cannot modify it."
    ),
    ("CKV2_K8S_4", _G + "ModifyServicesStatus/Failing/2"): (
        "Checkov ignores apiGroups: '*' resources of rbac.authorization.k8s.io do not include services/status "
        "(the 'bind' there is reported as RBAC005)."
    ),
    ("CKV2_K8S_2", _G + "NoCreateNodesProxyOrPodsExec/Passing/2"): (
        "get on nodes/proxy is enough to reach the kubelet API (exec over WebSocket); CIS 5.1.10 covers "
        "every verb."
    ),
}
