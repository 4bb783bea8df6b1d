"""The distinct images a cluster runs, each scanned once, and a summary per workload.

Pods' ``status.containerStatuses[].imageID`` gives the digest the node actually pulled; a workload
whose pods report one is scanned by digest (so two tags of one image are one scan, and a moved tag
cannot change what is scanned).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from seawall.errors import SeawallError
from seawall.k8s.cluster import workloads
from seawall.k8s.imageref import parse_image
from seawall.misconfig.checks.kube import containers, get, items, mapping, namespace_of, pod_template
from seawall.misconfig.model import ConfigObject

log = logging.getLogger("seawall.k8s")


@dataclass(frozen=True, slots=True)
class ClusterImage:
    """One image to scan: the reference to pull and the workloads that run it."""

    ref: str  # name@sha256:... when a pod reported the digest, else the image as written
    images: tuple[str, ...]  # the references as the workloads write them
    workloads: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImageScan:
    """What scanning one image found: counts per severity per scanner, or why it failed."""

    ref: str
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # scanner -> severity -> n
    error: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "Image": self.ref,
            "Counts": {k: dict(v) for k, v in self.counts.items()},
            "Error": self.error,
        }


def _digest(image_id: str) -> str:
    # containerd: "registry/name@sha256:...", dockershim: "docker-pullable://name@sha256:..."
    _, _, digest = image_id.rpartition("@")
    return digest if digest.startswith("sha256:") and len(digest) == 71 else ""


def _owner_index(objects: Sequence[ConfigObject]) -> dict[tuple[str, str, str], ConfigObject]:
    return {(o.kind, namespace_of(o), str(get(o.data, "metadata", "name"))): o for o in objects}


def _top(obj: ConfigObject, index: Mapping[tuple[str, str, str], ConfigObject]) -> ConfigObject:
    """Follow controller ownerReferences up to the object a user wrote (Pod -> ReplicaSet -> Deployment)."""
    seen = 0
    while seen < 8:  # owner chains are two deep in practice; a cycle must not loop forever
        seen += 1
        owner = None
        for ref in items(get(obj.data, "metadata", "ownerReferences")):
            ref = mapping(ref)
            if ref.get("controller"):
                owner = index.get((str(ref.get("kind")), namespace_of(obj), str(ref.get("name"))))
        if owner is None:
            return obj
        obj = owner
    return obj


def distinct_images(objects: Sequence[ConfigObject]) -> list[ClusterImage]:
    """Every distinct image of the cluster's workloads, keyed by digest where pods report one."""
    index = _owner_index(objects)
    # image as written -> digest, from running pods' statuses (the digest the node pulled)
    pulled: dict[str, str] = {}
    for running in (o for o in objects if o.kind == "Pod"):
        for status in items(get(running.data, "status", "containerStatuses")) + items(
            get(running.data, "status", "initContainerStatuses")
        ):
            status = mapping(status)
            digest = _digest(str(status.get("imageID") or ""))
            if digest and isinstance(status.get("image"), str):
                pulled.setdefault(str(status["image"]), digest)
                pulled.setdefault(_top(running, index).name + "|" + str(status.get("name")), digest)
    by_key: dict[str, tuple[str, list[str], list[str]]] = {}
    for w in workloads(objects):
        pod = pod_template(w)
        if pod is None:
            continue
        for c in containers(pod):
            image = c.spec.get("image")
            if not isinstance(image, str) or not image or "$" in image:
                continue
            ref = parse_image(image)
            digest = ref.digest or pulled.get(f"{w.name}|{c.name}") or pulled.get(image, "")
            key = digest or f"{ref.full}:{ref.tag or 'latest'}"
            pull = f"{ref.full}@{digest}" if digest else key
            entry = by_key.setdefault(key, (pull, [], []))
            if image not in entry[1]:
                entry[1].append(image)
            if w.name not in entry[2]:
                entry[2].append(w.name)
    return [ClusterImage(pull, tuple(imgs), tuple(ws)) for pull, imgs, ws in by_key.values()]


ScanOne = Callable[[str], Mapping[str, Mapping[str, int]]]


def scan_images(images: Iterable[ClusterImage], scan_one: ScanOne, parallel: int = 4) -> list[ImageScan]:
    """Scan each image once, ``parallel`` at a time; a failed image is reported, not fatal."""

    def one(image: ClusterImage) -> ImageScan:
        try:
            return ImageScan(image.ref, scan_one(image.ref))
        except SeawallError as exc:
            log.warning("%s: not scanned: %s", image.ref, exc)
            return ImageScan(image.ref, error=str(exc))

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="seawall-k8s-image") as pool:
        return list(pool.map(one, list(images)))


def per_workload(images: Sequence[ClusterImage], scans: Sequence[ImageScan]) -> dict[str, dict[str, object]]:
    """Per workload: its images and the summed counts per scanner and severity."""
    by_ref = {s.ref: s for s in scans}
    out: dict[str, dict[str, object]] = {}
    for image in images:
        scan = by_ref.get(image.ref)
        for w in image.workloads:
            entry = out.setdefault(w, {"Images": [], "Counts": {}, "Errors": []})
            entry["Images"].append(image.ref)  # type: ignore[attr-defined]
            if scan is None:
                continue
            if scan.error:
                entry["Errors"].append(f"{image.ref}: {scan.error}")  # type: ignore[attr-defined]
            counts: dict[str, dict[str, int]] = entry["Counts"]  # type: ignore[assignment]
            for scanner, by_sev in scan.counts.items():
                target = counts.setdefault(scanner, {})
                for sev, n in by_sev.items():
                    target[sev] = target.get(sev, 0) + n
    return out
