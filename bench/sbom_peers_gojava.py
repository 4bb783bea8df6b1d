"""Go, Java and Rust-binary package lists of the test image, Seawall next to syft and Trivy.

The image is tests/analyze/lang/test_cli_gojava.py's (Debian minbase plus Go binaries built here and from
npm, uv's cargo-auditable ``uvx`` from PyPI, a WAR, a Spring Boot jar and a Debian JAR); the script runs
that test first when the image is not cached. Peers as in bench/lang_inventory_java.py. Prints, per
ecosystem, each package with the version each tool reports, so every difference is visible; then the
same for a source tree (``fs``: go.mod, go.sum, pom.xml, gradle.lockfile). The explanations are in
docs/sbom-comparison.md.

Run: ``.venv/bin/python bench/sbom_peers_gojava.py``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lang_inventory_java import CACHE, ROOT, peer_env, syft, trivy, trivy_args

IMAGE = CACHE / "lang-gojava-v1" / "lang-gojava.oci.tar"
DOCKER_ARCHIVE = CACHE / "lang-gojava-v1" / "lang-gojava.docker.tar"
ECOSYSTEMS = {"golang": "Go modules", "maven": "Java archives", "cargo": "Rust crates (cargo-auditable)"}

Row = tuple[str, str]  # (package name, where it was found)


def ensure_image() -> None:
    if not IMAGE.exists():
        test = ROOT / "tests" / "analyze" / "lang" / "test_cli_gojava.py"
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "pytest"), "-q", f"{test}::test_image_oci_archive"], check=True
        )


def seawall_packages() -> dict[str, dict[Row, str]]:
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "seawall"), "--cache-dir", cache, "-q", "image",
             f"oci-archive:{IMAGE}", "-f", "json", "--list-all-pkgs", "--scanners", ""],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
    found: dict[str, dict[Row, str]] = defaultdict(dict)
    kinds = {"gobinary": "golang", "jar": "maven", "rustbinary": "cargo"}
    for result in json.loads(out)["Results"]:
        eco = kinds.get(result.get("Type", ""))
        for p in result.get("Packages", []) if eco else ():
            found[eco][(_key(eco, p["Name"], p["Version"]), _outer(p.get("FilePath", "")))] = p["Version"]
    return found


def _key(eco: str, name: str, version: str) -> str:
    """Crates of one binary may repeat a name with several versions: key them by both."""
    return f"{name}@{version}" if eco == "cargo" else name


def _outer(path: str) -> str:
    """The outermost file (``a.war/WEB-INF/lib/x.jar`` -> ``a.war``): syft reports locations that way."""
    for suffix in (".war", ".jar", ".ear"):
        if suffix + "/" in path:
            return path.split(suffix + "/", 1)[0] + suffix
    return path.lstrip("/")


def syft_packages(scratch: Path) -> dict[str, dict[Row, str]]:
    out = subprocess.run(
        [str(syft()), f"oci-archive:{IMAGE}", "-o", "json", "-q"],
        env=peer_env(scratch),
        check=True,
        capture_output=True,
    ).stdout
    found: dict[str, dict[Row, str]] = defaultdict(dict)
    kinds = {"go-module": "golang", "java-archive": "maven", "rust-crate": "cargo"}
    for a in json.loads(out)["artifacts"]:
        eco = kinds.get(a["type"])
        if eco is None:
            continue
        group = a["purl"].split("/")[1] if eco == "maven" and a["purl"].count("/") >= 2 else ""
        name = f"{group}:{a['name']}" if group else a["name"]
        where = a["locations"][0]["path"].lstrip("/") if a["locations"] else ""
        found[eco][(_key(eco, name, a["version"]), where)] = a["version"]
    return found


def trivy_packages(scratch: Path) -> dict[str, dict[Row, str]]:
    report = scratch / "trivy.cdx.json"
    subprocess.run(
        [str(trivy()), "image", "--input", str(DOCKER_ARCHIVE), *trivy_args(scratch), "-f", "cyclonedx",
         "-o", str(report), "-q"],
        env=peer_env(scratch), check=True, capture_output=True,
    )  # fmt: skip
    bom: dict[str, Any] = json.loads(report.read_text())
    # Components hang under their application (binary or "Java") through the dependency graph.
    parents: dict[str, str] = {}
    names = {c["bom-ref"]: c for c in bom.get("components", [])}
    for dep in bom.get("dependencies", []):
        parent = names.get(dep["ref"])
        if parent is not None and parent.get("type") == "application":
            for child in dep.get("dependsOn", []):
                parents[child] = parent["name"]
    found: dict[str, dict[Row, str]] = defaultdict(dict)
    kinds = {"golang": "golang", "maven": "maven", "cargo": "cargo", "rustbinary": "cargo"}
    for c in bom.get("components", []):
        purl = c.get("purl", "")
        eco = kinds.get(purl[4:].split("/")[0]) if purl.startswith("pkg:") else None
        if eco is None:
            continue
        props = {p["name"]: p["value"] for p in c.get("properties", [])}
        name = f"{c['group']}:{c['name']}" if c.get("group") else c["name"]
        where = props.get("aquasecurity:trivy:FilePath") or parents.get(c["bom-ref"], "")
        found[eco][(_key(eco, name, c.get("version", "")), _outer(where))] = c.get("version", "")
    return found


GO_MOD = """module example.com/app

go 1.19

require (
\tgithub.com/pkg/errors v0.9.1
\tgolang.org/x/net v0.7.0 // indirect
\texample.com/local v1.0.0
)

replace golang.org/x/net v0.7.0 => golang.org/x/net v0.17.0

replace example.com/local => ../local
"""
GO_SUM = "github.com/pkg/errors v0.9.1 h1:a=\ngithub.com/pkg/errors v0.9.1/go.mod h1:b=\ngolang.org/x/net v0.17.0 h1:c=\n"
GRADLE_LOCK = (
    "# Gradle dependency locks\n"
    "com.fasterxml.jackson.core:jackson-core:2.14.1=compileClasspath,runtimeClasspath\n"
    "junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n"
    "empty=annotationProcessor\n"
)


def fs_tree(root: Path) -> Path:
    """A source tree: go.mod/go.sum, the tests' pom.xml (properties, management, test scope), a lockfile."""
    sys.path.insert(0, str(ROOT / "tests" / "analyze" / "lang"))
    sys.path.insert(0, str(ROOT / "tests"))
    from test_java import POM

    for sub, name, text in (
        ("go", "go.mod", GO_MOD),
        ("go", "go.sum", GO_SUM),
        ("java", "pom.xml", POM.decode()),
        ("gradle", "gradle.lockfile", GRADLE_LOCK),
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / name).write_text(text)
    return root


def fs_comparison(scratch: Path) -> dict[str, dict[Row, str]]:
    """Per tool, (package, file) -> version for the source tree."""
    tree = fs_tree(scratch / "project")
    tools: dict[str, dict[Row, str]] = {}
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "seawall"), "--cache-dir", cache, "-q", "fs", str(tree), "-f", "json",
             "--list-all-pkgs", "--scanners", ""],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
    tools["seawall"] = {
        (p["Name"] + (" (dev)" if p.get("Dev") else ""), r["Target"]): p["Version"]
        for r in json.loads(out)["Results"]
        for p in r.get("Packages", [])
    }
    out = subprocess.run(
        [str(syft()), f"dir:{tree}", "-o", "json", "-q"],
        env=peer_env(scratch),
        check=True,
        capture_output=True,
    ).stdout
    rows: dict[Row, str] = {}
    for a in json.loads(out)["artifacts"]:
        group = a["purl"].split("/")[1] if a["purl"].startswith("pkg:maven/") else ""
        name = f"{group}:{a['name']}" if group else a["name"]
        rows[(name, a["locations"][0]["path"].lstrip("/"))] = a["version"]
    tools["syft 1.18"] = rows
    report = scratch / "trivy-fs.cdx.json"
    subprocess.run(
        [str(trivy()), "fs", *trivy_args(scratch), "-f", "cyclonedx", "-o", str(report), "-q", str(tree)],
        env=peer_env(scratch), check=True, capture_output=True,
    )  # fmt: skip
    bom: dict[str, Any] = json.loads(report.read_text())
    parents: dict[str, str] = {}
    comps = {c["bom-ref"]: c for c in bom.get("components", [])}
    for dep in bom.get("dependencies", []):
        parent = comps.get(dep["ref"])
        if parent is not None and parent.get("type") == "application":
            for child in dep.get("dependsOn", []):
                parents[child] = parent["name"]
    tools["trivy 0.44"] = {
        (c["name"], parents.get(c["bom-ref"], "")): c.get("version", "")
        for c in bom.get("components", [])
        if c.get("type") == "library"
    }
    return tools


def main() -> None:
    ensure_image()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        tools = {
            "seawall": seawall_packages(),
            "syft 1.18": syft_packages(scratch),
            "trivy 0.44": trivy_packages(scratch),
        }
    for eco, title in ECOSYSTEMS.items():
        rows = sorted(set().union(*(tools[t].get(eco, {}).keys() for t in tools)))
        print(f"\n### {title}\n")
        print("| tool | packages |")
        print("|---|---:|")
        for t, pkgs in tools.items():
            print(f"| {t} | {len(pkgs.get(eco, {}))} |")
        if eco == "cargo":
            a, b = (set(tools[t].get(eco, {}).items()) for t in ("seawall", "syft 1.18"))
            print(f"\nseawall vs syft: {len(a - b)} only in seawall, {len(b - a)} only in syft")
            c = {n for n, _ in tools["trivy 0.44"].get(eco, {})}
            print(f"seawall vs trivy (name@version): {len({n for (n, _), _ in a} ^ c)} differ")
            continue
        print(f"\n| package | found in | {' | '.join(tools)} |")
        print(f"|---|---|{'---|' * len(tools)}")
        for name, where in rows:
            cells = [tools[t].get(eco, {}).get((name, where), "—") or '""' for t in tools]
            print(f"| {name} | {where} | {' | '.join(cells)} |")
    with tempfile.TemporaryDirectory() as tmp:
        fs_tools = fs_comparison(Path(tmp))
    print("\n### Source tree (`fs`): go.mod, go.sum, pom.xml, gradle.lockfile\n")
    print(f"| package | file | {' | '.join(fs_tools)} |")
    print(f"|---|---|{'---|' * len(fs_tools)}")
    for name, where in sorted(set().union(*(t.keys() for t in fs_tools.values()))):
        cells = [fs_tools[t].get((name, where), "—") or '""' for t in fs_tools]
        print(f"| {name} | {where} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
