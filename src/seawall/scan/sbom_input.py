"""CycloneDX and SPDX JSON documents into an :class:`~seawall.model.Inventory` for ``seawall sbom``.

Packages are recognised by their purl: ``deb``/``apk``/``rpm`` become OS packages (the distribution
from the purl's ``distro`` qualifier or an operating-system component), language purls become
applications grouped per ecosystem. Trivy's ``aquasecurity:trivy:SrcName``/``SrcVersion`` properties
(CycloneDX) and the purl ``upstream`` qualifier give the source package used for distro matching.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import orjson

from seawall.errors import UsageError
from seawall.model import Application, Inventory, OSInfo, Package

log = logging.getLogger("seawall.sbom")

MAX_SBOM_BYTES = 512 * 1024 * 1024
# purl type -> Trivy application type
PURL_APP_TYPES = {
    "pypi": "python-pkg", "npm": "node-pkg", "golang": "gobinary", "maven": "jar", "gem": "gemspec",
    "cargo": "cargo", "composer": "composer", "nuget": "nuget", "pub": "pub", "hex": "hex",
    "conan": "conan", "swift": "swift",
}  # fmt: skip
OS_PURL_TYPES = {"deb": "debian", "apk": "alpine", "rpm": "redhat"}


def parse_purl(purl: str) -> tuple[str, str, str, str, dict[str, str]] | None:
    """(type, namespace, name, version, qualifiers) of a purl, or None when it is not one."""
    if not purl.startswith("pkg:"):
        return None
    rest = purl[4:].split("#", 1)[0]
    rest, _, query = rest.partition("?")
    quals = dict(q.split("=", 1) for q in query.split("&") if "=" in q)
    quals = {k: unquote(v) for k, v in quals.items()}
    path, _, version = rest.partition("@")
    parts = [unquote(p) for p in path.split("/")]
    if len(parts) < 2:
        return None
    ptype, name = parts[0].lower(), parts[-1]
    namespace = "/".join(parts[1:-1])
    return ptype, namespace, name, unquote(version), quals


def _package(purl: str, name: str, version: str, props: Mapping[str, str]) -> tuple[str, str, Package] | None:
    parsed = parse_purl(purl)
    if parsed is None:
        return None
    ptype, namespace, pname, pversion, quals = parsed
    version = version or pversion
    if ptype in ("golang",) and namespace:
        pname = f"{namespace}/{pname}"
    elif ptype == "maven" and namespace:
        pname = f"{namespace}:{pname}"
    elif (ptype == "npm" and namespace) or (ptype == "composer" and namespace):
        pname = f"{namespace}/{pname}"
    name = pname if ptype in ("golang", "maven", "npm", "composer") else (name or pname)
    if ptype in OS_PURL_TYPES:
        epoch = int(quals.get("epoch", "0") or 0) if quals.get("epoch", "0").isdigit() else 0
        src_name = props.get("aquasecurity:trivy:SrcName", "")
        src_version = props.get("aquasecurity:trivy:SrcVersion", "")
        upstream = quals.get("upstream", "")
        if not src_name and upstream:
            src_name, _, up_version = upstream.partition("@")
            src_version = src_version or up_version
        pkg = Package(name=name, version=version, epoch=epoch, arch=quals.get("arch", ""),
                      src_name=src_name or name, src_version=src_version or version,
                      src_epoch=epoch, purl=purl)  # fmt: skip
        return "os", quals.get("distro", ""), pkg
    app_type = PURL_APP_TYPES.get(ptype)
    if app_type is None:
        return None
    return (
        app_type,
        "",
        Package(
            name=name, version=version, purl=purl, file_path=props.get("aquasecurity:trivy:FilePath", "")
        ),
    )


def _os_from(distro: str, family_hint: str) -> OSInfo | None:
    # purl distro qualifiers look like "debian-12.7", "alpine-3.20.3", "bookworm" (rare).
    if not distro:
        return None
    family, _, release = distro.partition("-")
    if not release:
        return None
    return OSInfo(family.lower() or family_hint, release)


def read_sbom(path: Path) -> Inventory:
    """Read a CycloneDX or SPDX JSON SBOM file."""
    try:
        if path.stat().st_size > MAX_SBOM_BYTES:
            raise UsageError(f"{path}: larger than {MAX_SBOM_BYTES} bytes")
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: not a JSON SBOM (CycloneDX or SPDX JSON): {exc}") from exc
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: not a CycloneDX or SPDX JSON document")
    entries: list[tuple[str, str, str, Mapping[str, str]]] = []  # purl, name, version, properties
    os_info: OSInfo | None = None
    if doc.get("bomFormat") == "CycloneDX":
        stack = list(doc.get("components") or [])
        while stack:
            comp = stack.pop()
            if not isinstance(comp, dict):
                continue
            stack.extend(comp.get("components") or [])
            if comp.get("type") == "operating-system" and comp.get("name") and comp.get("version"):
                os_info = OSInfo(str(comp["name"]).lower(), str(comp["version"]))
            props = {
                str(p.get("name")): str(p.get("value"))
                for p in comp.get("properties") or []
                if isinstance(p, dict)
            }
            if isinstance(comp.get("purl"), str):
                entries.append((comp["purl"], str(comp.get("name", "")), str(comp.get("version", "")), props))
    elif str(doc.get("spdxVersion", "")).startswith("SPDX-"):
        for pkg in doc.get("packages") or []:
            if not isinstance(pkg, dict):
                continue
            if pkg.get("primaryPackagePurpose") == "OPERATING-SYSTEM" and pkg.get("versionInfo"):
                os_info = OSInfo(str(pkg.get("name", "")).lower(), str(pkg["versionInfo"]))
            for ref in pkg.get("externalRefs") or []:
                if isinstance(ref, dict) and ref.get("referenceType") == "purl":
                    entries.append((str(ref.get("referenceLocator", "")), str(pkg.get("name", "")),
                                    str(pkg.get("versionInfo", "")), {}))  # fmt: skip
    else:
        raise UsageError(f"{path}: neither CycloneDX (bomFormat) nor SPDX (spdxVersion) JSON")
    os_packages: list[Package] = []
    apps: dict[str, list[Package]] = {}
    os_type = ""
    for purl, name, version, comp_props in entries:
        got = _package(purl, name, version, comp_props)
        if got is None:
            continue
        kind, distro, pkg = got
        if kind == "os":
            os_packages.append(pkg)
            os_type = OS_PURL_TYPES[purl[4:].split("/", 1)[0]]
            if os_info is None:
                os_info = _os_from(distro, os_type)
        else:
            apps.setdefault(kind, []).append(pkg)
    applications = tuple(Application(t, t, tuple(p)) for t, p in sorted(apps.items()))
    if os_info is not None:
        os_type = os_info.family
    return Inventory(str(path), "sbom", os_info, os_type, tuple(os_packages), applications)
