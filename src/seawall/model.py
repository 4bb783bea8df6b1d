"""Shared value types that flow through the scan pipeline.

Everything here is a frozen, slotted dataclass that serialises to plain JSON (``to_dict``) and back
(``from_dict``), because per-layer analysis results are cached on disk.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """Finding severity, ordered so that comparisons work (``Severity.HIGH > Severity.LOW``)."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively; unknown names give UNKNOWN."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class LayerRef:
    """The image layer a package or finding came from."""

    diff_id: str = ""
    digest: str = ""
    created_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"diff_id": self.diff_id, "digest": self.digest, "created_by": self.created_by}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LayerRef:
        return cls(d.get("diff_id", ""), d.get("digest", ""), d.get("created_by", ""))


@dataclass(frozen=True, slots=True)
class OSInfo:
    """The operating system detected in an image or root filesystem."""

    family: str  # debian, ubuntu, alpine, redhat, rocky, alma, centos, fedora, suse, wolfi, ...
    name: str  # the release, e.g. "12.7", "3.20.3"
    pretty_name: str = ""
    distroless: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "name": self.name,
            "pretty_name": self.pretty_name,
            "distroless": self.distroless,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OSInfo:
        return cls(d["family"], d["name"], d.get("pretty_name", ""), bool(d.get("distroless", False)))


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package: an OS package or a language package."""

    name: str
    version: str
    release: str = ""  # rpm release; empty elsewhere (dpkg revisions stay in ``version``)
    epoch: int = 0
    arch: str = ""
    src_name: str = ""
    src_version: str = ""
    src_release: str = ""
    src_epoch: int = 0
    licenses: tuple[str, ...] = ()
    purl: str = ""
    file_path: str = ""  # the file that declared the package (language packages)
    installed_files: tuple[str, ...] = ()
    layer: LayerRef = field(default_factory=LayerRef)
    dev: bool = False
    depends_on: tuple[str, ...] = ()
    maintainer: str = ""
    owned_by: str = ""  # name of the OS package that owns ``file_path`` (language packages)

    @property
    def id(self) -> str:
        """A stable identifier within one result: ``name@full_version`` (plus arch when set)."""
        base = f"{self.name}@{self.full_version}"
        return f"{base}:{self.arch}" if self.arch else base

    @property
    def full_version(self) -> str:
        """The version as the package manager prints it: ``[epoch:]version[-release]``."""
        v = f"{self.epoch}:{self.version}" if self.epoch else self.version
        return f"{v}-{self.release}" if self.release else v

    @property
    def src_full_version(self) -> str:
        v = f"{self.src_epoch}:{self.src_version}" if self.src_epoch else self.src_version
        return f"{v}-{self.src_release}" if self.src_release else v

    def with_layer(self, layer: LayerRef) -> Package:
        return replace(self, layer=layer)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "version": self.version}
        for key in (
            "release",
            "epoch",
            "arch",
            "src_name",
            "src_version",
            "src_release",
            "src_epoch",
            "purl",
            "file_path",
            "dev",
            "maintainer",
            "owned_by",
        ):
            value = getattr(self, key)
            if value:
                d[key] = value
        if self.licenses:
            d["licenses"] = list(self.licenses)
        if self.installed_files:
            d["installed_files"] = list(self.installed_files)
        if self.depends_on:
            d["depends_on"] = list(self.depends_on)
        if self.layer.diff_id:
            d["layer"] = self.layer.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Package:
        return cls(
            name=d["name"],
            version=d["version"],
            release=d.get("release", ""),
            epoch=int(d.get("epoch", 0)),
            arch=d.get("arch", ""),
            src_name=d.get("src_name", ""),
            src_version=d.get("src_version", ""),
            src_release=d.get("src_release", ""),
            src_epoch=int(d.get("src_epoch", 0)),
            licenses=tuple(d.get("licenses", ())),
            purl=d.get("purl", ""),
            file_path=d.get("file_path", ""),
            installed_files=tuple(d.get("installed_files", ())),
            layer=LayerRef.from_dict(d["layer"]) if "layer" in d else LayerRef(),
            dev=bool(d.get("dev", False)),
            depends_on=tuple(d.get("depends_on", ())),
            maintainer=d.get("maintainer", ""),
            owned_by=d.get("owned_by", ""),
        )


@dataclass(frozen=True, slots=True)
class Application:
    """Language packages found through one file (a lockfile, a site-packages METADATA, a binary)."""

    type: str  # Trivy result type: python-pkg, pip, poetry, node-pkg, npm, yarn, gobinary, gomod, jar, ...
    file_path: str
    packages: tuple[Package, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "file_path": self.file_path,
            "packages": [p.to_dict() for p in self.packages],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Application:
        return cls(d["type"], d["file_path"], tuple(Package.from_dict(p) for p in d["packages"]))


@dataclass(frozen=True, slots=True)
class ContentFinding:
    """A finding about a file's content or metadata: a secret, malware, a dangerous file.

    Unlike package facts these survive an upper layer deleting the file: the bytes are still in the
    image, so the merge keeps the finding and marks it ``deleted``.
    """

    kind: str  # secret | malware | file
    rule_id: str
    severity: str  # CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN
    title: str
    path: str
    category: str = ""
    start_line: int = 0
    end_line: int = 0
    match: str = ""  # already masked for secrets
    context: tuple[str, ...] = ()  # surrounding lines, masked
    detail: tuple[tuple[str, str], ...] = ()  # extra key/value pairs (e.g. ("sha256", "..."))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "path": self.path,
        }
        for key in ("category", "start_line", "end_line", "match"):
            value = getattr(self, key)
            if value:
                d[key] = value
        if self.context:
            d["context"] = list(self.context)
        if self.detail:
            d["detail"] = [list(kv) for kv in self.detail]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ContentFinding:
        return cls(
            kind=d["kind"],
            rule_id=d["rule_id"],
            severity=d["severity"],
            title=d["title"],
            path=d["path"],
            category=d.get("category", ""),
            start_line=int(d.get("start_line", 0)),
            end_line=int(d.get("end_line", 0)),
            match=d.get("match", ""),
            context=tuple(d.get("context", ())),
            detail=tuple((str(k), str(v)) for k, v in d.get("detail", ())),
        )


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A content finding placed in the image: its layer, and whether a later layer deleted the file."""

    finding: ContentFinding
    layer: LayerRef
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the analyzers learned from one file of one layer.

    An upper layer's facts for the same path replace a lower layer's; a whiteout removes them.
    """

    path: str
    os: OSInfo | None = None
    os_packages: tuple[Package, ...] = ()
    os_package_type: str = ""  # debian, ubuntu, alpine, redhat, ... (Trivy result type)
    package_files: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (package name, owned files)
    package_licenses: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (package name, licences)
    applications: tuple[Application, ...] = ()
    findings: tuple[ContentFinding, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.os
            or self.os_packages
            or self.package_files
            or self.package_licenses
            or self.applications
            or self.findings
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path}
        if self.os:
            d["os"] = self.os.to_dict()
        if self.os_packages:
            d["os_packages"] = [p.to_dict() for p in self.os_packages]
            d["os_package_type"] = self.os_package_type
        if self.package_files:
            d["package_files"] = [[n, list(f)] for n, f in self.package_files]
        if self.package_licenses:
            d["package_licenses"] = [[n, list(f)] for n, f in self.package_licenses]
        if self.applications:
            d["applications"] = [a.to_dict() for a in self.applications]
        if self.findings:
            d["findings"] = [f.to_dict() for f in self.findings]
        if self.warnings:
            d["warnings"] = list(self.warnings)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FileFacts:
        return cls(
            path=d["path"],
            os=OSInfo.from_dict(d["os"]) if "os" in d else None,
            os_packages=tuple(Package.from_dict(p) for p in d.get("os_packages", ())),
            os_package_type=d.get("os_package_type", ""),
            package_files=tuple((n, tuple(f)) for n, f in d.get("package_files", ())),
            package_licenses=tuple((n, tuple(f)) for n, f in d.get("package_licenses", ())),
            applications=tuple(Application.from_dict(a) for a in d.get("applications", ())),
            findings=tuple(ContentFinding.from_dict(f) for f in d.get("findings", ())),
            warnings=tuple(d.get("warnings", ())),
        )


@dataclass(frozen=True, slots=True)
class LayerFacts:
    """Everything learned from one layer in one streaming pass; cached by diff_id."""

    diff_id: str
    files: Mapping[str, FileFacts]
    whiteouts: tuple[str, ...] = ()  # paths removed by ``.wh.<name>`` entries
    opaque_dirs: tuple[str, ...] = ()  # directories whose lower content is hidden (``.wh..wh..opq``)
    entries: int = 0
    size: int = 0  # uncompressed bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "diff_id": self.diff_id,
            "files": [f.to_dict() for f in self.files.values()],
            "whiteouts": list(self.whiteouts),
            "opaque_dirs": list(self.opaque_dirs),
            "entries": self.entries,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LayerFacts:
        files = [FileFacts.from_dict(f) for f in d["files"]]
        return cls(
            diff_id=d["diff_id"],
            files={f.path: f for f in files},
            whiteouts=tuple(d.get("whiteouts", ())),
            opaque_dirs=tuple(d.get("opaque_dirs", ())),
            entries=int(d.get("entries", 0)),
            size=int(d.get("size", 0)),
        )


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    """Facts about an image that come from its manifest and config rather than its layers."""

    image_id: str = ""  # config digest
    diff_ids: tuple[str, ...] = ()
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    layers: tuple[LayerRef, ...] = ()
    size: int = 0


@dataclass(frozen=True, slots=True)
class Inventory:
    """The merged view of an artifact: its OS, OS packages and language packages."""

    artifact_name: str
    artifact_type: str  # container_image, filesystem, rootfs
    os: OSInfo | None
    os_package_type: str
    os_packages: tuple[Package, ...]
    applications: tuple[Application, ...]
    image: ImageMetadata | None = None
    findings: tuple[LocatedFinding, ...] = ()  # secrets, malware, dangerous files, from every layer
    warnings: tuple[str, ...] = ()
