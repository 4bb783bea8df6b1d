"""Parse a target string and open it as an image (or a root filesystem directory).

Forms (Trivy's, plus skopeo-style transport prefixes):

- ``--input PATH``: a docker-archive or oci-archive (plain or gzip), or an OCI layout directory
  (``PATH:TAG`` / ``PATH@DIGEST`` pick one image when the layout holds several)
- ``docker-archive:PATH[:REF]``, ``oci-archive:PATH[:REF]``, ``oci:DIR[:TAG]``, ``dir:ROOTFS``
- ``docker-daemon:NAME``, ``podman:NAME`` (the Docker-compatible API of the local daemon)
- ``docker://REF`` or a plain ``HOST[:PORT]/REPO[:TAG|@DIGEST]`` (a registry)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from seawall.artifact.archive import open_docker_archive, open_oci_archive, open_oci_layout, sniff
from seawall.artifact.base import Image
from seawall.artifact.options import SourceOptions
from seawall.errors import ArtifactError, UsageError

log = logging.getLogger(__name__)

TRANSPORTS = ("docker-archive", "oci-archive", "oci", "dir", "docker-daemon", "podman", "docker")


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A parsed target: the transport and what follows it."""

    transport: str  # docker-archive, oci-archive, oci, dir, docker-daemon, podman, registry, input
    location: str
    ref: str = ""  # tag or digest inside an archive/layout


def _split_ref(text: str) -> tuple[str, str]:
    """``PATH:TAG`` / ``PATH@DIGEST`` -> (PATH, ref), leaving paths without a ref alone."""
    if "@sha256:" in text:
        path, _, digest = text.partition("@")
        return path, digest
    head, sep, tail = text.rpartition(":")
    if sep and head and "/" not in tail and not Path(text).exists():
        return head, tail
    return text, ""


def parse_target(target: str, input_path: str = "") -> TargetSpec:
    """Turn the command line's target (or ``--input``) into a TargetSpec."""
    if input_path:
        if target:
            raise UsageError("give either an image reference or --input, not both")
        path, ref = _split_ref(input_path)
        return TargetSpec("input", path, ref)
    if not target:
        raise UsageError("no target: give an image reference, a TRANSPORT:PATH, or --input PATH")
    transport, sep, rest = target.partition(":")
    if sep and transport in TRANSPORTS:
        if transport == "docker":
            return TargetSpec("registry", rest.removeprefix("//"))
        if transport in ("docker-daemon", "podman", "dir"):
            return TargetSpec(transport, rest)
        path, ref = _split_ref(rest)
        return TargetSpec(transport, path, ref)
    return TargetSpec("registry", target)


@contextmanager
def open_image(spec: TargetSpec, opts: SourceOptions) -> Iterator[Image]:
    """Open any image target; temporary files live in the cache and are removed afterwards."""
    transport = spec.transport
    location = spec.location
    if transport == "input":
        path = Path(location)
        if not path.exists():
            raise ArtifactError(f"{path} does not exist")
        transport = "oci" if path.is_dir() else sniff(path, opts.tmp_dir)
    if transport == "oci":
        with open_oci_layout(
            Path(location), name=spec.location, ref=spec.ref, platform=opts.platform
        ) as image:
            yield image
    elif transport == "oci-archive":
        with open_oci_archive(Path(location), opts.tmp_dir, spec.location, spec.ref, opts.platform) as image:
            yield image
    elif transport == "docker-archive":
        with open_docker_archive(Path(location), opts.tmp_dir, spec.location, spec.ref) as image:
            yield image
    elif transport in ("docker-daemon", "podman"):
        from seawall.artifact.daemon import export_daemon_image

        exported = export_daemon_image(location, opts, engine="podman" if transport == "podman" else "docker")
        try:
            with open_docker_archive(exported, opts.tmp_dir, location) as image:
                yield image
        finally:
            try:
                os.unlink(exported)
            except FileNotFoundError:
                pass
    elif transport == "registry":
        with _open_reference(location, opts) as image:
            yield image
    else:
        raise UsageError(f"{spec.transport}: is not an image transport")


@contextmanager
def _open_reference(reference: str, opts: SourceOptions) -> Iterator[Image]:
    """A plain reference: try each ``--image-src`` in order (local engines first, as Trivy does)."""
    from seawall.artifact.daemon import DaemonError, export_daemon_image, find_endpoint

    tried: list[str] = []
    for source in opts.image_src:
        if source == "remote":
            from seawall.artifact.registry import open_registry_image

            yield open_registry_image(reference, opts)
            return
        if source not in ("docker", "podman"):
            raise UsageError(f"unknown image source {source!r}; choose from docker, podman, remote")
        endpoint = find_endpoint(opts, source)
        if endpoint.socket and not os.path.exists(endpoint.socket):
            tried.append(f"{source}: no socket at {endpoint.socket}")
            continue
        try:
            exported = export_daemon_image(reference, opts, engine=source)
        except DaemonError as exc:
            log.debug("image source %s: %s", source, exc)
            tried.append(f"{source}: {exc}")
            continue
        try:
            with open_docker_archive(exported, opts.tmp_dir, reference) as image:
                yield image
        finally:
            exported.unlink(missing_ok=True)
        return
    raise ArtifactError(f"{reference} was not found in any image source ({'; '.join(tried)})")
