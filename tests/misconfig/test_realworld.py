"""The real-world corpora: no crash, only the known unparseable files warn, and reviewed samples stay quiet."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from seawall.misconfig.scan import ConfigScan, scan_paths


@pytest.fixture(scope="module")
def k8s(shared_dir: Path) -> ConfigScan:
    return scan_paths([shared_dir / "corpus" / "k8s-manifests-realworld"])


@pytest.fixture(scope="module")
def dockerfiles(shared_dir: Path) -> ConfigScan:
    return scan_paths([shared_dir / "corpus" / "dockerfiles-realworld"])


def test_k8s_corpus_scans_without_crash(k8s: ConfigScan) -> None:
    assert len(k8s.objects) > 400
    # The only warnings are the template files with {{placeholders}} that are not YAML.
    assert all("-template.yaml" in w for w in k8s.warnings), k8s.warnings
    kinds = Counter(o.kind for o in k8s.objects)
    assert kinds["Deployment"] > 50 and kinds["Service"] > 90


def test_dockerfile_corpus_scans_without_crash(dockerfiles: ConfigScan) -> None:
    assert len(dockerfiles.objects) > 150
    assert dockerfiles.warnings == ()


def test_hardened_manifests_inherit_pod_settings(k8s: ConfigScan) -> None:
    """microservices-demo sets runAsNonRoot at pod level and hardens every container: no PSS noise."""
    release = [f for f in k8s.findings if f.file == "microservices-demo/release/kubernetes-manifests.yaml"]
    ids = Counter(f.check.id for f in release)
    assert ids  # seccomp, digest pinning and network policies are really missing there
    assert not set(ids) & {"K8S005", "K8S016", "K8S017", "K8S018", "K8S020", "K8S033", "K8S036"}, ids


def test_multi_stage_builders_do_not_leak_into_final_image_checks(dockerfiles: ConfigScan) -> None:
    """Builder stages of microservices-demo install compilers and keep caches; the distroless final stages
    do not, so no image-content finding may come from a builder stage."""
    demo = [
        f for f in dockerfiles.findings if f.file.startswith("microservices-demo/") and "debug" not in f.file
    ]
    ids = {f.check.id for f in demo}
    assert not ids & {"DS001", "DS008", "DS009", "DS011", "DS012", "DS017", "DS039"}, ids
    frontend = {f.check.id for f in demo if f.file == "microservices-demo/src/frontend/Dockerfile"}
    assert frontend == {"DS002", "DS003", "DS022"}
