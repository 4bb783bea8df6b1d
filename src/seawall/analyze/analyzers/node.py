"""Node.js: installed packages (``node_modules/**/package.json``) and lockfiles (package-lock.json v1-v3,
yarn.lock classic and berry, pnpm-lock.yaml v5/v6/v9)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    MANIFEST_MAX,
    YAML_MAX,
    BadInput,
    LangAnalyzer,
    as_dict,
    as_str,
    check_count,
    decode,
    dedupe,
    license_list,
    load_json_object,
    load_yaml_mapping,
    npm_purl,
    reachable,
    sort_packages,
)
from seawall.model import Package

_DEP_SECTIONS = ("dependencies", "optionalDependencies")


def npm_package(name: str, version: str, file_path: str, **extra: Any) -> Package:
    """An npm package with its purl."""
    return Package(name=name, version=version, purl=npm_purl(name, version), file_path=file_path, **extra)


def _is_installed_manifest(path: str) -> bool:
    """``.../node_modules/<name>/package.json`` or ``.../node_modules/@scope/<name>/package.json``.

    Other package.json files inside a package (``lib/package.json`` marking ESM folders, test fixtures)
    are not packages; the project's own package.json outside node_modules is the project, not a
    dependency.
    """
    parts = path.split("/")
    if len(parts) >= 3 and parts[-3] == "node_modules" and not parts[-2].startswith("@"):
        return True
    return len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@")


class NodePkgAnalyzer(LangAnalyzer):
    """``package.json`` of each installed package under ``node_modules`` (nested copies separately)."""

    name = "node-pkg"
    app_type = "node-pkg"
    max_size = MANIFEST_MAX

    def claims(self, path: str, mode: int, size: int) -> bool:
        return path.endswith("/package.json") and "node_modules/" in path and _is_installed_manifest(path)

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json_object(data)
        name, version = as_str(doc.get("name")), as_str(doc.get("version"))
        if not name or not version:
            return None  # placeholder manifests without both are not installable packages
        licenses = license_list(doc.get("license")) or license_list(doc.get("licenses"))
        return [npm_package(name, version, path, licenses=licenses)]


# ------------------------------------------------------------------------------------ package-lock


def _name_from_key(key: str) -> str:
    return key.rpartition("node_modules/")[2]


def _lock_id(key: str, entry: dict[str, Any]) -> tuple[str, str]:
    """(name, version) of a lockfile entry; an alias (v1: ``"version": "npm:string-width@4.2.3"``)
    gives the real package, which is what advisories name."""
    name = as_str(entry.get("name")) or _name_from_key(key)
    version = as_str(entry.get("version"))
    if version.startswith("npm:"):
        name, version = _split_spec(version[len("npm:") :])
    return name, version


def _resolve_node(key: str, dep: str, tree: Mapping[str, Any]) -> str | None:
    """Node's lookup: ``<key>/node_modules/<dep>``, then each enclosing node_modules, then the root's."""
    prefix = key
    while True:
        candidate = f"{prefix}/node_modules/{dep}" if prefix else f"node_modules/{dep}"
        if candidate in tree:
            return candidate
        if not prefix:
            return None
        cut = prefix.rfind("/node_modules/")
        prefix = prefix[:cut] if cut >= 0 else ""


class NpmLockAnalyzer(LangAnalyzer):
    """``package-lock.json`` v1 (nested ``dependencies``), v2 and v3 (flat ``packages``): dev flags,
    nested copies and depends_on resolved the way Node resolves ``require``."""

    name = "npm"
    app_type = "npm"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    max_size = LOCKFILE_MAX

    def claims(self, path: str, mode: int, size: int) -> bool:
        # node_modules/.package-lock.json is npm's hidden copy; the project's lockfile is the one to read.
        return path.endswith("package-lock.json") and path.rpartition("/")[2] == "package-lock.json"

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json_object(data)
        packages = as_dict(doc.get("packages"))
        tree = _flat_v2(packages) if packages else _flat_v1(as_dict(doc.get("dependencies")))
        out: list[Package] = []
        for key, entry in tree.items():
            name, version = _lock_id(key, entry)
            if not name or not version or version.startswith(("file:", "link:")):
                continue
            dep_names: list[str] = []
            for section in (*_DEP_SECTIONS, "requires"):
                dep_names.extend(k for k in as_dict(entry.get(section)) if isinstance(k, str))
            deps = set()
            for dep in dep_names:
                target = _resolve_node(key, dep, tree)
                if target is not None:
                    dep_name, dep_version = _lock_id(target, tree[target])
                    deps.add(f"{dep_name}@{dep_version}")
            out.append(
                npm_package(
                    name,
                    version,
                    path,
                    dev=entry.get("dev") is True,
                    licenses=license_list(entry.get("license")),
                    depends_on=tuple(sorted(deps)),
                )
            )
            check_count(out)
        return sort_packages(dedupe(out))


def _flat_v2(packages: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # Only installed copies: the root ("") and workspace folders are the project, links point at them.
    return {
        k: v
        for k, v in packages.items()
        if isinstance(k, str) and "node_modules/" in k and isinstance(v, dict) and not v.get("link")
    }


def _flat_v1(dependencies: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """v1's nested ``dependencies`` as v2-style ``node_modules/a/node_modules/b`` keys (iterative)."""
    tree: dict[str, dict[str, Any]] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", dependencies)]
    while stack:
        prefix, deps = stack.pop()
        for name, entry in deps.items():
            if not isinstance(name, str) or not isinstance(entry, dict):
                continue
            key = f"{prefix}/node_modules/{name}" if prefix else f"node_modules/{name}"
            tree[key] = {**entry, "name": name}
            nested = entry.get("dependencies")
            if isinstance(nested, dict) and nested:
                stack.append((key, nested))
        if len(tree) > 500_000:
            raise BadInput("package-lock.json lists too many packages")
    return tree


# -------------------------------------------------------------------------------------------- yarn


def _split_spec(spec: str) -> tuple[str, str]:
    """``@scope/name@^1.0`` -> (``@scope/name``, ``^1.0``); ``name@npm:^1`` -> (``name``, ``npm:^1``)."""
    at = spec.find("@", 1)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + 1 :]


class YarnLockAnalyzer(LangAnalyzer):
    """``yarn.lock``: classic (v1, yarn's own format) and berry (v2+, YAML); workspace entries skipped."""

    name = "yarn"
    app_type = "yarn"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"yarn.lock"})
    max_size = YAML_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        text = decode(data)
        if "__metadata:" in text[:4096]:
            entries = _yarn_berry(load_yaml_mapping(data, path))
        else:
            entries = _yarn_classic(text)
        index: dict[str, tuple[str, str]] = {}
        for specs, name, version, _ in entries:
            for spec in specs:
                index[spec] = (name, version)
        out = []
        for _, name, version, deps in entries:
            ids = {f"{index[s][0]}@{index[s][1]}" for s in deps if s in index}
            out.append(npm_package(name, version, path, depends_on=tuple(sorted(ids))))
            check_count(out)
        return sort_packages(dedupe(out))


_YarnEntry = tuple[list[str], str, str, list[str]]  # specs, name, version, dependency specs


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _yarn_classic(text: str) -> list[_YarnEntry]:
    """Parse yarn v1's indentation-based format (never evaluated, only split into fields)."""
    entries: list[_YarnEntry] = []
    specs: list[str] = []
    version = ""
    deps: list[str] = []
    in_deps = False

    def flush() -> None:
        if specs and version:
            name, rng = _split_spec(specs[0])
            if rng.startswith("npm:"):  # an alias, "sw@npm:string-width@4.2.3": the package is string-width
                name = _split_spec(rng[len("npm:") :])[0]
            entries.append((list(specs), name, version, list(deps)))

    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            flush()
            specs = [_unquote(s) for s in line.rstrip(":").split(",") if s.strip()]
            version, deps, in_deps = "", [], False
        elif indent == 2:
            in_deps = line.rstrip(":") in _DEP_SECTIONS and line.endswith(":")
            if line.startswith("version "):
                version = _unquote(line[len("version ") :])
        elif indent >= 4 and in_deps:
            name, _, rng = line.partition(" ")
            deps.append(f"{_unquote(name)}@{_unquote(rng)}")
        if len(entries) > 500_000:
            raise BadInput("yarn.lock lists too many packages")
    flush()
    if not entries and text.strip() and "yarn lockfile" not in text[:200]:
        raise BadInput("not a yarn lockfile")
    return entries


def _yarn_berry(doc: dict[str, Any]) -> list[_YarnEntry]:
    entries: list[_YarnEntry] = []
    for key, value in doc.items():
        entry = as_dict(value)
        if key == "__metadata" or not isinstance(key, str) or not entry:
            continue
        resolution = as_str(entry.get("resolution"))
        version = as_str(entry.get("version"))
        if (
            "@workspace:" in resolution
            or "@link:" in resolution
            or not version
            or version == "0.0.0-use.local"
        ):
            continue
        specs = [s.strip() for s in key.split(",") if s.strip()]
        name = _split_spec(resolution or specs[0])[0]
        deps = [
            f"{d}@{r}"
            for section in _DEP_SECTIONS
            for d, r in as_dict(entry.get(section)).items()
            if isinstance(r, str)
        ]
        # Berry keys carry the protocol ("npm:^1"); dependency ranges may omit it.
        deps += [f"{d}@npm:{r}" for section in _DEP_SECTIONS for d, r in as_dict(entry.get(section)).items()
                 if isinstance(r, str) and ":" not in r]  # fmt: skip
        entries.append((specs, name, version, deps))
    return entries


# -------------------------------------------------------------------------------------------- pnpm


_PEER_SUFFIX = re.compile(r"[(_].*$")


def _pnpm_key(key: str, v5: bool) -> tuple[str, str]:
    """(name, version) from a pnpm package key of any lockfile version; ("", "") when not one."""
    key = key.lstrip("/")
    if v5:
        # "name/1.2.3_peer", "@scope/name/1.2.3", "registry.example/name/1.2.3"
        parts = key.split("/")
        if len(parts) >= 3 and parts[-3].startswith("@"):
            return f"{parts[-3]}/{parts[-2]}", _PEER_SUFFIX.sub("", parts[-1])
        if len(parts) >= 2:
            return parts[-2], _PEER_SUFFIX.sub("", parts[-1])
        return "", ""
    base = key.split("(", 1)[0]
    name, version = _split_spec(base)
    return name, version


def _pnpm_ref(name: str, ref: Any, v5: bool) -> str | None:
    """The package id a dependency reference points at, or None for links and workspace packages."""
    if isinstance(ref, dict):
        ref = ref.get("version")
    if not isinstance(ref, str) or ref.startswith(("link:", "file:", "workspace:")):
        return None
    if ref.startswith("/") or (not v5 and "@" in ref.split("(", 1)[0][1:]):
        dep_name, version = _pnpm_key(ref, v5)  # an alias: "/@other/pkg/1.0.0" or "other@1.0.0"
        return f"{dep_name}@{version}" if dep_name and version else None
    version = _PEER_SUFFIX.sub("", ref) if v5 else ref.split("(", 1)[0]
    return f"{name}@{version}" if version else None


class PnpmLockAnalyzer(LangAnalyzer):
    """``pnpm-lock.yaml`` v5, v6 and v9: dev from each package's ``dev`` flag (v5/v6) or, in v9, from
    reachability from the importers' non-dev dependencies."""

    name = "pnpm"
    app_type = "pnpm"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"pnpm-lock.yaml"})
    max_size = YAML_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_yaml_mapping(data, path)
        try:
            major = int(str(doc.get("lockfileVersion", "")).strip("'\"").split(".")[0])
        except ValueError:
            raise BadInput(f"unknown lockfileVersion {doc.get('lockfileVersion')!r}") from None
        v5 = major < 6
        packages = as_dict(doc.get("packages"))
        snapshots = as_dict(doc.get("snapshots")) if major >= 9 else packages
        edges: dict[str, set[str]] = {}
        meta: dict[str, dict[str, Any]] = {}
        for key, value in snapshots.items():
            entry = as_dict(value)
            name, version = _pnpm_key(str(key), v5)
            name = as_str(entry.get("name")) or name
            version = as_str(entry.get("version")) or version
            if not name or not version:
                continue
            ident = f"{name}@{version}"
            targets = edges.setdefault(ident, set())
            for section in _DEP_SECTIONS:
                for dep, ref in as_dict(entry.get(section)).items():
                    target = _pnpm_ref(str(dep), ref, v5)
                    if target:
                        targets.add(target)
            meta.setdefault(ident, {"name": name, "version": version, "dev": entry.get("dev")})
            if len(meta) > 500_000:
                raise BadInput("pnpm-lock.yaml lists too many packages")
        prod = _pnpm_prod(doc, v5) if major >= 9 else set()
        prod_reach = reachable(prod, edges) if prod else set()
        out = []
        for ident, m in meta.items():
            dev = m["dev"] is True if major < 9 else bool(prod) and ident not in prod_reach
            deps = tuple(sorted(t for t in edges.get(ident, ()) if t in meta))
            out.append(npm_package(m["name"], m["version"], path, dev=dev, depends_on=deps))
            check_count(out)
        return sort_packages(dedupe(out))


def _pnpm_prod(doc: dict[str, Any], v5: bool) -> set[str]:
    """Ids the importers (or a single project's top level) depend on outside devDependencies."""
    importers: Iterable[Any] = as_dict(doc.get("importers")).values() or [doc]
    roots: set[str] = set()
    for importer in importers:
        for section in _DEP_SECTIONS:
            for dep, ref in as_dict(as_dict(importer).get(section)).items():
                target = _pnpm_ref(str(dep), ref, v5)
                if target:
                    roots.add(target)
    return roots
