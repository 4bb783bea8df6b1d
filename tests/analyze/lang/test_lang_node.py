"""Node.js analyzers on real data: node_modules made by npm, and one project locked by npm 6 (v1),
npm --lockfile-version 2 and 3, yarn classic and berry, and pnpm 7, 8 and 9 (lockfile 5.4, 6.0, 9.0)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from langdata import name_versions, packages_of, tar_of, walk

from imagetools import files, layer_tar
from seawall.analyze.analyzers.node import (
    NodePkgAnalyzer,
    NpmLockAnalyzer,
    PnpmLockAnalyzer,
    YarnLockAnalyzer,
)
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import Package

# The demo project's full tree (langdata.NPM_DEPS / NPM_DEV_DEPS): mkdirp needs minimist 0.0.8 while the
# project wants 1.2.0, so every tool keeps two minimist versions.
TREE = {
    ("lodash", "4.17.15"),
    ("debug", "2.6.9"),
    ("ms", "2.0.0"),
    ("@tootallnate/once", "1.1.2"),
    ("minimist", "1.2.0"),
    ("mkdirp", "0.5.1"),
    ("minimist", "0.0.8"),
}
DEV = {("minimist", "1.2.0"), ("mkdirp", "0.5.1"), ("minimist", "0.0.8")}

LOCKFILES = [
    (NpmLockAnalyzer, "npm-v1/package-lock.json", True),
    (NpmLockAnalyzer, "npm-v2/package-lock.json", True),
    (NpmLockAnalyzer, "npm-v3/package-lock.json", True),
    (YarnLockAnalyzer, "yarn-classic/yarn.lock", False),  # yarn.lock does not record dev-only packages
    (YarnLockAnalyzer, "yarn-berry/yarn.lock", False),
    (PnpmLockAnalyzer, "pnpm7/pnpm-lock.yaml", True),
    (PnpmLockAnalyzer, "pnpm8/pnpm-lock.yaml", True),
    (PnpmLockAnalyzer, "pnpm9/pnpm-lock.yaml", True),
]


def _ids(pkgs: list[Package]) -> dict[str, Package]:
    return {f"{p.name}@{p.version}": p for p in pkgs}


@pytest.mark.parametrize(("cls", "rel", "has_dev"), LOCKFILES, ids=[r for _, r, _ in LOCKFILES])
def test_lockfiles_made_by_real_tools(node_locks: Path, cls: type, rel: str, has_dev: bool) -> None:
    analyzer = cls()
    assert analyzer.claims(rel, 0o644, 100) and analyzer.targets == frozenset({"fs"})
    facts = analyzer.analyze(rel, (node_locks / rel).read_bytes())
    assert facts is not None and not facts.warnings
    [app] = facts.applications
    assert app.type == analyzer.app_type and app.file_path == rel
    pkgs = _ids(list(app.packages))
    assert name_versions(list(app.packages)) == TREE
    assert pkgs["debug@2.6.9"].depends_on == ("ms@2.0.0",)
    assert pkgs["mkdirp@0.5.1"].depends_on == ("minimist@0.0.8",)  # the nested copy, not the root's
    assert pkgs["@tootallnate/once@1.1.2"].purl == "pkg:npm/%40tootallnate/once@1.1.2"
    assert all(p.file_path == rel for p in app.packages)
    if has_dev:
        assert {(p.name, p.version) for p in app.packages if p.dev} == DEV
    else:
        assert not any(p.dev for p in app.packages)


def test_package_lock_licences(node_locks: Path) -> None:
    facts = NpmLockAnalyzer().analyze(
        "package-lock.json", (node_locks / "npm-v3/package-lock.json").read_bytes()
    )
    assert facts is not None
    assert {p.licenses for p in facts.applications[0].packages} == {("MIT",)}


def test_installed_node_modules_nested_copies(tmp_path: Path, node_locks: Path) -> None:
    # npm's real node_modules: two minimist copies, each reported with its own package.json path.
    facts = walk(
        tmp_path, tar_of(node_locks / "npm-v3", prefix="app/"), [NodePkgAnalyzer(), NpmLockAnalyzer()]
    )
    pkgs = packages_of(facts, "node-pkg")
    assert name_versions(pkgs) == TREE
    paths = {(p.name, p.version): p.file_path for p in pkgs}
    assert paths[("minimist", "0.0.8")] == "app/node_modules/mkdirp/node_modules/minimist/package.json"
    assert paths[("minimist", "1.2.0")] == "app/node_modules/minimist/package.json"
    assert paths[("@tootallnate/once", "1.1.2")] == "app/node_modules/@tootallnate/once/package.json"
    assert {p.licenses for p in pkgs} == {("MIT",)}
    # The project's own package.json and npm's hidden node_modules/.package-lock.json are not packages.
    assert "app/package.json" not in facts.files
    assert "app/node_modules/.package-lock.json" not in facts.files
    assert len(packages_of(facts, "npm")) == 7  # app/package-lock.json read by the lockfile analyzer


def test_issue_app_lodash_minimist(tmp_path: Path, node_app: Path) -> None:
    facts = walk(tmp_path, tar_of(node_app, prefix="app/"), [NodePkgAnalyzer()])
    assert name_versions(packages_of(facts)) == {("lodash", "4.17.15"), ("minimist", "1.2.0")}
    lock = NpmLockAnalyzer().analyze("app/package-lock.json", (node_app / "package-lock.json").read_bytes())
    assert lock is not None
    assert name_versions(list(lock.applications[0].packages)) == {
        ("lodash", "4.17.15"),
        ("minimist", "1.2.0"),
    }


def test_claims() -> None:
    a = NodePkgAnalyzer()
    assert a.claims("usr/lib/node_modules/npm/package.json", 0o644, 10)
    assert a.claims("app/node_modules/@babel/core/node_modules/semver/package.json", 0o644, 10)
    assert not a.claims("app/package.json", 0o644, 10)
    assert not a.claims("app/node_modules/resolve/test/resolver/package.json", 0o644, 10)
    assert not a.claims("app/node_modules/@babel/package.json", 0o644, 10)
    assert not NpmLockAnalyzer().claims("app/node_modules/.package-lock.json", 0o644, 10)


def test_bad_package_json_and_size_cap(tmp_path: Path, node_app: Path) -> None:
    good = (node_app / "node_modules" / "lodash" / "package.json").read_bytes()
    layer = tmp_path / "big.tar"
    huge = 100 * 1024 * 1024
    with tarfile.open(layer, "w") as tar:
        for name, data in {
            "app/node_modules/lodash/package.json": good,
            "app/node_modules/broken/package.json": b"{ not json",
            "app/node_modules/list/package.json": b"[1, 2]",
            "app/node_modules/deep/package.json": b"[" * 5000 + b"]" * 5000,
            "app/node_modules/noversion/package.json": b'{"name": "noversion"}',
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("app/node_modules/huge/package.json")
        info.size = huge
        with (tmp_path / "zeros").open("wb") as z:
            z.truncate(huge)
        with (tmp_path / "zeros").open("rb") as z:
            tar.addfile(info, z)
    facts = analyze_layer(LayerSource(BlobRef(layer), label="t"), [NodePkgAnalyzer()], Limits())
    assert name_versions(packages_of(facts)) == {("lodash", "4.17.15")}
    warned = {p for p, f in facts.files.items() if f.warnings}
    assert warned == {
        "app/node_modules/broken/package.json",
        "app/node_modules/list/package.json",
        "app/node_modules/deep/package.json",
        "app/node_modules/huge/package.json",
    }
    assert "read limit" in facts.files["app/node_modules/huge/package.json"].warnings[0]


def test_hostile_lockfiles_warn() -> None:
    cases = [
        (NpmLockAnalyzer(), "package-lock.json", b'{"lockfileVersion": 3, "packages": ' + b"[" * 3000),
        (YarnLockAnalyzer(), "yarn.lock", b"__metadata:\n  version: 8\na: &a [*a, *a]\n" + b"b: [" * 300),
        (PnpmLockAnalyzer(), "pnpm-lock.yaml", b"lockfileVersion: banana\n"),
        (PnpmLockAnalyzer(), "pnpm-lock.yaml", b"- a\n- b\n"),
        (YarnLockAnalyzer(), "yarn.lock", b"\x00\x01 not a lockfile at all"),
    ]
    for analyzer, name, data in cases:
        facts = analyzer.analyze(name, data)
        assert facts is not None and facts.warnings and not facts.applications, (name, data[:40])


def test_alias_bomb_in_pnpm_lock_is_refused() -> None:
    # "Billion laughs": 9 levels of 10 aliases each expand to 10**9 nodes.
    lines = ["lockfileVersion: '9.0'", "packages:", "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    facts = PnpmLockAnalyzer().analyze("pnpm-lock.yaml", "\n".join(lines).encode())
    assert facts is not None and facts.warnings and not facts.applications
    assert "alias" in facts.warnings[0]


def test_yarn_and_lock_in_one_walk(tmp_path: Path, node_locks: Path) -> None:
    layer = layer_tar(
        files(
            {
                "src/yarn.lock": (node_locks / "yarn-classic/yarn.lock").read_bytes(),
                "src/web/pnpm-lock.yaml": (node_locks / "pnpm9/pnpm-lock.yaml").read_bytes(),
            }
        )
    )
    facts = walk(tmp_path, layer, [YarnLockAnalyzer(), PnpmLockAnalyzer()])
    assert name_versions(packages_of(facts, "yarn")) == TREE
    assert name_versions(packages_of(facts, "pnpm")) == TREE


def test_express_tree_matches_npm_ls(tmp_path: Path, node_express: Path) -> None:
    # npm's own listing of what it installed (path:name@version) is the oracle, nested copies included.
    expected = set()
    for line in (node_express / "npm-ls.txt").read_text().splitlines()[1:]:  # line 1: the project
        path, _, ident = line.rpartition(":")
        expected.add((str(Path(path).relative_to(node_express)), ident))
    assert len(expected) >= 60
    facts = walk(tmp_path, tar_of(node_express), [NodePkgAnalyzer(), NpmLockAnalyzer()])
    installed = {(p.file_path.rpartition("/package.json")[0], p.id) for p in packages_of(facts, "node-pkg")}
    assert installed == expected
    locked = {p.id for p in packages_of(facts, "npm")}
    assert locked == {ident for _, ident in expected}


@pytest.mark.parametrize(
    ("cls", "rel"),
    [
        (NpmLockAnalyzer, "npm-v1/package-lock.json"),
        (NpmLockAnalyzer, "npm-v3/package-lock.json"),
        (YarnLockAnalyzer, "yarn-classic/yarn.lock"),
        (PnpmLockAnalyzer, "pnpm9/pnpm-lock.yaml"),
    ],
)
def test_npm_alias_is_the_real_package(node_alias: Path, cls: type, rel: str) -> None:
    # "sw": "npm:string-width@4.2.3" installs string-width: that is the name advisories use.
    facts = cls().analyze(rel, (node_alias / rel).read_bytes())
    assert facts is not None
    pkgs = {p.id: p for p in facts.applications[0].packages}
    # string-width's own dependencies are ranges: their versions are whatever npm resolved that day.
    names = {p.name for p in pkgs.values()}
    assert names == {"string-width", "strip-ansi", "ansi-regex", "emoji-regex", "is-fullwidth-code-point"}
    assert pkgs["string-width@4.2.3"].purl == "pkg:npm/string-width@4.2.3"
    strip_ansi = next(p.id for p in pkgs.values() if p.name == "strip-ansi")
    assert strip_ansi in pkgs["string-width@4.2.3"].depends_on


@pytest.mark.parametrize(
    ("cls", "rel", "has_dev"),
    [
        (NpmLockAnalyzer, "npm/package-lock.json", True),
        (YarnLockAnalyzer, "berry/yarn.lock", False),
        (PnpmLockAnalyzer, "pnpm9/pnpm-lock.yaml", True),
    ],
)
def test_workspaces_are_the_project_not_packages(
    node_workspaces: Path, cls: type, rel: str, has_dev: bool
) -> None:
    # npm links node_modules/web -> packages/web, yarn resolves web@workspace:, pnpm links ../web: all are
    # the monorepo's own code; only lodash and minimist come from the registry.
    facts = cls().analyze(rel, (node_workspaces / rel).read_bytes())
    assert facts is not None and not facts.warnings
    pkgs = {p.id: p for p in facts.applications[0].packages}
    assert set(pkgs) == {"lodash@4.17.15", "minimist@1.2.0"}
    assert pkgs["minimist@1.2.0"].dev is has_dev and not pkgs["lodash@4.17.15"].dev
