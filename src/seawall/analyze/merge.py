"""Merge per-layer facts into one inventory: whiteouts applied, upper layers win, packages attributed.

Facts are keyed by the file they came from. Going up the layer stack, a whiteout removes the facts of
the path (and everything below it), an opaque directory hides everything below it from lower layers,
and a file present again in an upper layer replaces the lower facts for that path. A package keeps the
layer where it first appeared with the same name, version and architecture, so rewriting the dpkg
status file in a later layer does not move every package into that layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from packageurl import PackageURL

from seawall.analyze.analyzers.os_release import choose_os
from seawall.model import (
    Application,
    FileFacts,
    ImageMetadata,
    Inventory,
    LayerFacts,
    LayerRef,
    LocatedFinding,
    OSInfo,
    Package,
)

# OS family -> (Trivy result type for its packages, purl type, purl namespace)
_OS_PURL = {
    "debian": ("debian", "deb", "debian"),
    "ubuntu": ("ubuntu", "deb", "ubuntu"),
    "alpine": ("alpine", "apk", "alpine"),
    "wolfi": ("wolfi", "apk", "wolfi"),
    "chainguard": ("chainguard", "apk", "chainguard"),
    "redhat": ("redhat", "rpm", "redhat"),
    "centos": ("centos", "rpm", "centos"),
    "rocky": ("rocky", "rpm", "rocky"),
    "alma": ("alma", "rpm", "alma"),
    "fedora": ("fedora", "rpm", "fedora"),
    "oracle": ("oracle", "rpm", "oracle"),
    "amazon": ("amazon", "rpm", "amazon"),
    "opensuse-leap": ("opensuse-leap", "rpm", "opensuse"),
    "opensuse-tumbleweed": ("opensuse-tumbleweed", "rpm", "opensuse"),
    "suse linux enterprise server": ("suse linux enterprise server", "rpm", "suse"),
    "photon": ("photon", "rpm", "photon"),
    "cbl-mariner": ("cbl-mariner", "rpm", "cbl-mariner"),
    "azurelinux": ("azurelinux", "rpm", "azurelinux"),
}
_PKG_TYPE_PURL = {"debian": "deb", "ubuntu": "deb", "alpine": "apk", "redhat": "rpm"}


@dataclass(slots=True)
class _Entry:
    facts: FileFacts
    layer: LayerRef
    first_seen: dict[tuple[str, ...], LayerRef] = field(default_factory=dict)


def _package_key(scope: str, p: Package) -> tuple[str, ...]:
    return (scope, p.name, p.full_version, p.arch)


def _hidden(path: str, removed: set[str]) -> bool:
    """True when ``path`` or one of its ancestors is in ``removed``."""
    if path in removed:
        return True
    i = path.find("/")
    while i != -1:
        if path[:i] in removed:
            return True
        i = path.find("/", i + 1)
    return False


def _gone(path: str, removed: set[str], opaque: set[str]) -> bool:
    """True when a whiteout or an opaque directory of the current layer hides ``path``."""
    return "" in opaque or _hidden(path, removed) or _hidden(path.rpartition("/")[0], opaque)


@dataclass(slots=True)
class Merged:
    """The surviving facts per path, and every content finding of every layer."""

    entries: dict[str, _Entry]
    findings: list[LocatedFinding]


def merge_layers(layers: Sequence[tuple[LayerRef, LayerFacts]]) -> Merged:
    """Apply the layers bottom-up: the surviving facts per path, and all content findings.

    A content finding (a secret, malware) stays even when a later layer deletes or replaces its file,
    since the bytes are still in the image; it is marked ``deleted``.
    """
    merged: dict[str, _Entry] = {}
    findings: list[LocatedFinding] = []
    live: dict[str, list[int]] = {}  # path -> indexes into ``findings`` not yet deleted
    for ref, files in layers:
        if (merged or live) and (files.whiteouts or files.opaque_dirs):
            removed = set(files.whiteouts)
            opaque = set(files.opaque_dirs)
            for path in [p for p in merged if _gone(p, removed, opaque)]:
                del merged[path]
            for path in [p for p in live if _gone(p, removed, opaque)]:
                for i in live.pop(path):
                    findings[i] = replace(findings[i], deleted=True)
        for path, facts in files.files.items():
            for i in live.pop(path, []):
                findings[i] = replace(findings[i], deleted=True)
            if facts.findings:
                live[path] = list(range(len(findings), len(findings) + len(facts.findings)))
                findings.extend(LocatedFinding(f, ref) for f in facts.findings)
            prev = merged.get(path)
            first: dict[tuple[str, ...], LayerRef] = {}
            for p in facts.os_packages:
                key = _package_key("", p)
                first[key] = prev.first_seen.get(key, ref) if prev else ref
            for app in facts.applications:
                for p in app.packages:
                    key = _package_key(app.file_path, p)
                    first[key] = prev.first_seen.get(key, ref) if prev else ref
            merged[path] = _Entry(facts, ref, first)
    return Merged(merged, findings)


def build_inventory(
    merged_layers: Merged,
    artifact_name: str,
    artifact_type: str,
    image: ImageMetadata | None = None,
    extra_warnings: Iterable[str] = (),
) -> Inventory:
    """Turn merged facts into the inventory the scanners and reports read."""
    merged = merged_layers.entries
    os_candidates = {p: e.facts.os for p, e in merged.items() if e.facts.os}
    os_info = choose_os({p: o for p, o in os_candidates.items() if o is not None})

    owned_files: dict[str, tuple[str, ...]] = {}
    licenses: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = list(extra_warnings)
    for entry in merged.values():
        for name, files in entry.facts.package_files:
            owned_files[name] = owned_files.get(name, ()) + files
        for name, lic in entry.facts.package_licenses:
            licenses.setdefault(name, lic)
        warnings.extend(entry.facts.warnings)

    pkg_type = ""
    os_packages: dict[tuple[str, str, str], Package] = {}
    for path in sorted(merged):
        entry = merged[path]
        if not entry.facts.os_packages:
            continue
        pkg_type = pkg_type or entry.facts.os_package_type
        for p in entry.facts.os_packages:
            layer = entry.first_seen.get(_package_key("", p), entry.layer)
            files = owned_files.get(p.name, ()) or p.installed_files
            pkg = replace(
                p,
                layer=layer,
                installed_files=files,
                licenses=p.licenses or licenses.get(p.name, ()),
            )
            os_packages[(p.name, p.full_version, p.arch)] = pkg
    if os_info and os_info.family in _OS_PURL:
        pkg_type = _OS_PURL[os_info.family][0] if os_packages else pkg_type
    final_os_packages = tuple(
        _with_purl(p, os_info, pkg_type) for p in sorted(os_packages.values(), key=lambda p: (p.name, p.arch))
    )

    owner_of: dict[str, str] = {}
    for p in final_os_packages:
        for f in p.installed_files:
            owner_of[f] = p.name
    applications: list[Application] = []
    for path in sorted(merged):
        entry = merged[path]
        for app in entry.facts.applications:
            pkgs = []
            for p in app.packages:
                layer = entry.first_seen.get(_package_key(app.file_path, p), entry.layer)
                owner = owner_of.get(p.file_path or app.file_path, "")
                pkgs.append(replace(p, layer=layer, owned_by=p.owned_by or owner))
            applications.append(replace(app, packages=tuple(pkgs)))

    return Inventory(
        artifact_name=artifact_name,
        artifact_type=artifact_type,
        os=os_info,
        os_package_type=pkg_type,
        os_packages=final_os_packages,
        applications=tuple(applications),
        image=image,
        findings=tuple(merged_layers.findings),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _with_purl(p: Package, os_info: OSInfo | None, pkg_type: str) -> Package:
    if p.purl:
        return p
    family = os_info.family if os_info else ""
    if family in _OS_PURL:
        _, purl_type, namespace = _OS_PURL[family]
    else:
        purl_type = _PKG_TYPE_PURL.get(pkg_type, "generic")
        namespace = pkg_type or None  # type: ignore[assignment]
    qualifiers: dict[str, str] = {}
    if p.arch:
        qualifiers["arch"] = p.arch
    if p.epoch:
        qualifiers["epoch"] = str(p.epoch)
    if os_info:
        qualifiers["distro"] = (
            f"{_distro_name(os_info)}-{os_info.name}" if purl_type != "apk" else os_info.name
        )
    version = f"{p.version}-{p.release}" if p.release else p.version
    purl = PackageURL(
        type=purl_type, namespace=namespace, name=p.name, version=version, qualifiers=qualifiers
    )
    return replace(p, purl=str(purl.to_string()))


def _distro_name(os_info: OSInfo) -> str:
    return os_info.family.split()[0]
