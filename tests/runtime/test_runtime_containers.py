"""Container attribution: cgroup paths to ids, and Podman inspect objects to Falco container fields."""

from __future__ import annotations

import json
from pathlib import Path

from seawall.runtime.containers import (
    ContainerResolver,
    container_id_from_cgroup,
    metadata_fields,
    split_image,
)

CID = "1f32a729e38c4ac765072432b382a45b8dd785213fb689a37e23ed0268c8ead5"


def test_cgroup_paths_of_podman_docker_and_containerd() -> None:
    assert container_id_from_cgroup(f"0::/libpod_parent/libpod-{CID}\n") == CID
    assert container_id_from_cgroup(f"12:pids:/libpod_parent/libpod-{CID}/container\n") == CID
    assert container_id_from_cgroup(f"0::/system.slice/docker-{CID}.scope\n") == CID
    assert container_id_from_cgroup(f"0::/kubepods/besteffort/pod1/cri-containerd-{CID}.scope") == CID
    assert container_id_from_cgroup("0::/user.slice/user-0.slice/session-1.scope\n") is None


def test_podman_inspect_sample_maps_to_falco_fields(shared_dir: Path) -> None:
    data = json.loads((shared_dir / "corpus/samples/podman-compat-container-inspect.json").read_text())
    inspect = data[0] if isinstance(data, list) else data
    f = metadata_fields(inspect)
    assert f["container.id"] == CID[:12] and f["container.full_id"] == CID
    assert f["container.name"] == "feas-sleeper"
    assert f["container.image"] == "localhost/deb-app:test"
    assert (f["container.image.repository"], f["container.image.tag"]) == ("localhost/deb-app", "test")
    assert f["container.privileged"] is False


def test_image_split_handles_ports_and_digests() -> None:
    assert split_image("registry:5000/app") == ("registry:5000/app", "latest")
    assert split_image("docker.io/library/nginx:1.25") == ("docker.io/library/nginx", "1.25")
    assert split_image("nginx@sha256:abc") == ("nginx", "")


def test_resolver_reads_proc_and_marks_host_processes(tmp_path: Path) -> None:
    (tmp_path / "10").mkdir()
    (tmp_path / "10" / "cgroup").write_text(f"0::/libpod_parent/libpod-{CID}\n")
    (tmp_path / "11").mkdir()
    (tmp_path / "11" / "cgroup").write_text("0::/init.scope\n")
    resolver = ContainerResolver(socket_path=str(tmp_path / "no.sock"), proc_root=tmp_path)
    ev = {"proc.pid": 10}
    resolver.enrich(ev)
    assert ev["container.id"] == CID[:12] and ev["container.full_id"] == CID
    host = {"proc.pid": 11}
    resolver.enrich(host)
    assert host["container.id"] == "host"
