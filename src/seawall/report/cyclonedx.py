"""CycloneDX 1.6 JSON SBOM.

Written directly (orjson) rather than through cyclonedx-python-lib's object model: the document is
simple, and building it directly keeps a warm re-scan well under a second. The test suite validates
every document with cyclonedx-python-lib's JSON validator.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from packageurl import PackageURL

from seawall import __version__
from seawall.model import Package
from seawall.report.document import Report
from seawall.report.licenses import is_spdx_id

SPEC_VERSION = "1.6"


def _root_component(report: Report) -> dict[str, Any]:
    comp: dict[str, Any] = {"bom-ref": str(uuid.uuid4()), "name": report.artifact_name}
    props: list[dict[str, str]] = []
    if report.image is not None:
        comp["type"] = "container"
        img = report.image
        if img.repo_digests:
            repo, _, digest = img.repo_digests[0].partition("@")
            purl = PackageURL(
                type="oci", name=repo.rpartition("/")[2].lower(), version=digest,
                qualifiers={"repository_url": repo.lower()},
            )  # fmt: skip
            comp["purl"] = purl.to_string()
            comp["bom-ref"] = comp["purl"]
        props.append({"name": "seawall:ImageID", "value": img.image_id})
        props.extend({"name": "seawall:DiffID", "value": d} for d in img.diff_ids)
        props.extend({"name": "seawall:RepoTag", "value": t} for t in img.repo_tags)
        props.extend({"name": "seawall:RepoDigest", "value": d} for d in img.repo_digests)
        props.append({"name": "seawall:SchemaVersion", "value": "2"})
    else:
        comp["type"] = "application"
    if props:
        comp["properties"] = props
    return comp


def _licenses(p: Package) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in p.licenses:
        out.append({"license": {"id": name} if is_spdx_id(name) else {"name": name}})
    return out


def _component(p: Package, pkg_type: str, ref: str) -> dict[str, Any]:
    comp: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": p.name, "version": p.full_version}
    if p.purl:
        comp["purl"] = p.purl
    if p.maintainer:
        comp["supplier"] = {"name": p.maintainer}
    lic = _licenses(p)
    if lic:
        comp["licenses"] = lic
    props = [{"name": "seawall:PkgType", "value": pkg_type}]
    if p.src_name:
        props.append({"name": "seawall:SrcName", "value": p.src_name})
        props.append({"name": "seawall:SrcVersion", "value": p.src_full_version})
    if p.layer.diff_id:
        props.append({"name": "seawall:LayerDiffID", "value": p.layer.diff_id})
    if p.layer.digest:
        props.append({"name": "seawall:LayerDigest", "value": p.layer.digest})
    if p.file_path:
        props.append({"name": "seawall:FilePath", "value": p.file_path})
    if p.dev:
        props.append({"name": "seawall:Dev", "value": "true"})
    comp["properties"] = props
    return comp


def build(report: Report) -> dict[str, Any]:
    """The CycloneDX document for a report's packages (and OS), with dependency relationships."""
    root = _root_component(report)
    components: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    root_deps: list[str] = []
    used_refs: set[str] = {root["bom-ref"]}

    def unique(ref: str) -> str:
        if ref in used_refs:
            ref = f"{ref}#{uuid.uuid4().hex[:8]}"
        used_refs.add(ref)
        return ref

    for result in report.results:
        if not result.packages:
            continue
        parent_children: list[str] = []
        if result.result_class == "os-pkgs" and report.os is not None:
            parent = unique(str(uuid.uuid4()))
            components.append(
                {
                    "bom-ref": parent,
                    "type": "operating-system",
                    "name": report.os.family,
                    "version": report.os.name,
                    "properties": [
                        {"name": "seawall:Class", "value": "os-pkgs"},
                        {"name": "seawall:Type", "value": result.type},
                    ],
                }
            )
        else:
            parent = unique(str(uuid.uuid4()))
            components.append(
                {
                    "bom-ref": parent,
                    "type": "application",
                    "name": result.target,
                    "properties": [
                        {"name": "seawall:Class", "value": result.result_class},
                        {"name": "seawall:Type", "value": result.type},
                    ],
                }
            )
        root_deps.append(parent)
        by_id: dict[str, str] = {}
        pending: list[tuple[str, Package]] = []
        for p in result.packages:
            ref = unique(p.purl or f"{result.type}:{p.name}@{p.full_version}")
            for key in (f"{p.name}@{p.full_version}", f"{p.name}@{p.version}", p.name):
                by_id.setdefault(key, ref)
            components.append(_component(p, result.type, ref))
            parent_children.append(ref)
            pending.append((ref, p))
        dependencies.append({"ref": parent, "dependsOn": parent_children})
        for ref, p in pending:
            deps = sorted({by_id[d] for d in p.depends_on if d in by_id and by_id[d] != ref})
            dependencies.append({"ref": ref, "dependsOn": deps})
    dependencies.insert(0, {"ref": root["bom-ref"], "dependsOn": root_deps})
    timestamp = report.created_at or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [
                    {"type": "application", "group": "seawall", "name": "seawall", "version": __version__}
                ]
            },
            "component": root,
        },
        "components": components,
        "dependencies": dependencies,
    }


def render(report: Report) -> bytes:
    from seawall.report.cyclonedx_vulns import add_vulnerabilities

    doc = build(report)
    add_vulnerabilities(doc, report)
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
