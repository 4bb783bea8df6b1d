"""The JSON report: Trivy's report structure (SchemaVersion 2) plus Seawall's own fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from seawall.model import Package
from seawall.report.document import Report, Result


def package_json(p: Package) -> dict[str, Any]:
    """One ``Packages[]`` entry with Trivy's field names."""
    d: dict[str, Any] = {"ID": p.id.removesuffix(f":{p.arch}") if p.arch else p.id, "Name": p.name}
    ident: dict[str, Any] = {}
    if p.purl:
        ident["PURL"] = p.purl
    if ident:
        d["Identifier"] = ident
    d["Version"] = p.version
    if p.release:
        d["Release"] = p.release
    if p.epoch:
        d["Epoch"] = p.epoch
    if p.arch:
        d["Arch"] = p.arch
    if p.src_name:
        d["SrcName"] = p.src_name
        d["SrcVersion"] = p.src_version
        if p.src_release:
            d["SrcRelease"] = p.src_release
        if p.src_epoch:
            d["SrcEpoch"] = p.src_epoch
    if p.licenses:
        d["Licenses"] = list(p.licenses)
    if p.maintainer:
        d["Maintainer"] = p.maintainer
    if p.depends_on:
        d["DependsOn"] = list(p.depends_on)
    if p.dev:
        d["Dev"] = True
    if p.layer.diff_id or p.layer.digest:
        layer: dict[str, str] = {}
        if p.layer.digest:
            layer["Digest"] = p.layer.digest
        if p.layer.diff_id:
            layer["DiffID"] = p.layer.diff_id
        if p.layer.created_by:
            layer["CreatedBy"] = p.layer.created_by
        d["Layer"] = layer
    if p.file_path:
        d["FilePath"] = p.file_path
    if p.owned_by:
        d["OwnedBy"] = p.owned_by
    if p.installed_files:
        d["InstalledFiles"] = ["/" + f for f in p.installed_files]
    return d


def result_json(r: Result, list_all_pkgs: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"Target": r.target, "Class": r.result_class}
    if r.type:
        d["Type"] = r.type
    if list_all_pkgs and r.packages:
        d["Packages"] = [package_json(p) for p in r.packages]
    for key, findings in (
        ("Vulnerabilities", r.vulnerabilities),
        ("Misconfigurations", r.misconfigurations),
        ("Secrets", r.secrets),
        ("Malware", r.malware),
        ("ExperimentalModifiedFindings", r.modified_findings),
    ):
        if findings:
            d[key] = [f.to_json() for f in findings]
    return d


def report_json(report: Report, list_all_pkgs: bool = False) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    created = report.created_at or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    meta: dict[str, Any] = {}
    if report.os is not None:
        os_meta: dict[str, Any] = {"Family": report.os.family, "Name": report.os.name}
        if report.os.distroless:
            os_meta["Distroless"] = True
        meta["OS"] = os_meta
    if report.image is not None:
        img = report.image
        meta["ImageID"] = img.image_id
        meta["DiffIDs"] = list(img.diff_ids)
        if img.repo_tags:
            meta["RepoTags"] = list(img.repo_tags)
        if img.repo_digests:
            meta["RepoDigests"] = list(img.repo_digests)
        meta["ImageConfig"] = dict(img.config)
        meta["Size"] = img.size
        meta["Layers"] = [
            {"DiffID": layer.diff_id, **({"Digest": layer.digest} if layer.digest else {})}
            for layer in img.layers
        ]
    out: dict[str, Any] = {
        "SchemaVersion": 2,
        "CreatedAt": created,
        "ArtifactName": report.artifact_name,
        "ArtifactType": report.artifact_type,
        "Metadata": meta,
        "Results": [result_json(r, list_all_pkgs) for r in report.results],
    }
    if report.notes:
        out["Notes"] = list(report.notes)
    return out


def render(report: Report, list_all_pkgs: bool = False) -> bytes:
    """Serialise the report (indented, trailing newline)."""
    return orjson.dumps(report_json(report, list_all_pkgs), option=orjson.OPT_INDENT_2) + b"\n"
