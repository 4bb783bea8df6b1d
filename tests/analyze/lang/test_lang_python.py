"""Python analyzers on real data: wheels/sdists installed by pip, a Debian egg-info, a setuptools-built
.egg, and lockfiles written by uv, pdm, poetry, pip-compile and pipenv."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from langdata import name_versions, packages_of, tar_of, walk

from imagetools import files, layer_tar
from seawall.analyze.analyzers.langcommon import pep503
from seawall.analyze.analyzers.python import (
    PdmLockAnalyzer,
    PipfileLockAnalyzer,
    PoetryLockAnalyzer,
    PythonEggAnalyzer,
    PythonPackageAnalyzer,
    RequirementsAnalyzer,
    UvLockAnalyzer,
    requirement_lines,
)
from seawall.model import Package

# What requests==2.19.0 (plus dev: iniconfig) resolves to with the real resolvers.
LOCKED = {
    ("requests", "2.19.0"),
    ("chardet", "3.0.4"),
    ("idna", "2.7"),
    ("urllib3", "1.23"),
    ("iniconfig", "2.0.0"),
}


def _by_name(packages: list[Package]) -> dict[str, Package]:
    return {p.name.lower(): p for p in packages}


def _parse(
    analyzer: PythonPackageAnalyzer | PythonEggAnalyzer | RequirementsAnalyzer, path: str, data: bytes
) -> list[Package]:
    facts = analyzer.analyze(path, data)
    assert facts is not None and not facts.warnings, facts
    return list(facts.applications[0].packages)


def test_site_packages_installed_by_pip(tmp_path: Path, python_site: Path) -> None:
    layer = tar_of(python_site, prefix="usr/local/lib/python3.11/site-packages/")
    facts = walk(tmp_path, layer, [PythonPackageAnalyzer()])
    pkgs = _by_name(packages_of(facts, "python-pkg"))
    assert set(pkgs) == {"requests", "pyyaml", "jinja2"}
    assert pkgs["pyyaml"].name == "PyYAML" and pkgs["pyyaml"].version == "5.3"
    assert pkgs["pyyaml"].purl == "pkg:pypi/pyyaml@5.3"
    assert pkgs["jinja2"].purl == "pkg:pypi/jinja2@2.10"
    assert (
        pkgs["requests"].file_path
        == "usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"
    )
    # Licences: License field when short, else classifiers.
    assert pkgs["requests"].licenses == ("Apache 2.0",)
    assert pkgs["pyyaml"].licenses == ("MIT",)
    assert pkgs["jinja2"].licenses == ("BSD",)
    # RECORD, WHEEL, top_level.txt and the modules themselves are never read.
    assert all(path.endswith("/METADATA") for path in facts.files)


def test_debian_egg_info_directory(tmp_path: Path, debian_tree: object) -> None:
    tree = debian_tree("python3-six")  # type: ignore[operator]
    facts = walk(tmp_path, tar_of(tree), [PythonPackageAnalyzer()])
    pkgs = packages_of(facts)
    assert name_versions(pkgs) == {("six", "1.16.0")}
    assert pkgs[0].file_path == "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
    assert pkgs[0].licenses == ("MIT",)


def test_zipped_egg_built_by_setuptools(python_egg: Path) -> None:
    path = f"usr/lib/python3/site-packages/{python_egg.name}"
    assert PythonEggAnalyzer().claims(path, 0o644, python_egg.stat().st_size)
    assert not PythonPackageAnalyzer().claims(path, 0o644, python_egg.stat().st_size)
    pkgs = _parse(PythonEggAnalyzer(), path, python_egg.read_bytes())
    assert [(p.name, p.version, p.purl, p.file_path) for p in pkgs] == [
        ("six", "1.16.0", "pkg:pypi/six@1.16.0", path)
    ]


def test_egg_info_single_file_and_metadata_licence_expression() -> None:
    meta = (
        b"Metadata-Version: 2.4\nName: Zope.Interface\nVersion: 6.0\nLicense-Expression: ZPL-2.1\n"
        b"License: Zope Public License\nClassifier: License :: OSI Approved :: Zope Public License\n\nBody\n"
    )
    [pkg] = _parse(PythonPackageAnalyzer(), "usr/lib/python3/dist-packages/Zope.Interface-6.0.egg-info", meta)
    assert (pkg.name, pkg.purl, pkg.licenses) == (
        "Zope.Interface",
        "pkg:pypi/zope-interface@6.0",
        ("ZPL-2.1",),
    )


def test_broken_metadata_and_eggs_warn(tmp_path: Path, python_egg: Path, python_site: Path) -> None:
    good = (python_site / "requests-2.19.0.dist-info" / "METADATA").read_bytes()
    egg = python_egg.read_bytes()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", b"Name: x\nVersion: 1\n" + b"\0" * (64 * 1024 * 1024))
    layer = layer_tar(
        files(
            {
                "site/good-1.dist-info/METADATA": good,
                "site/broken-1.dist-info/METADATA": b"\x00\xff garbage without headers",
                "site/truncated.egg": egg[: len(egg) // 2],
                "site/bomb.egg": bomb.getvalue(),
                "site/huge-1.dist-info/METADATA": b"Name: huge\nVersion: 1\n\n" + b"x" * (9 * 1024 * 1024),
            }
        )
    )
    facts = walk(tmp_path, layer, [PythonPackageAnalyzer(), PythonEggAnalyzer()])
    assert name_versions(packages_of(facts)) == {("requests", "2.19.0")}
    warned = {path for path, f in facts.files.items() if f.warnings}
    assert warned == {
        "site/broken-1.dist-info/METADATA",
        "site/truncated.egg",
        "site/bomb.egg",
        "site/huge-1.dist-info/METADATA",  # over the 8 MiB metadata cap: skipped unread by the walker
    }
    assert "PKG-INFO" in facts.files["site/bomb.egg"].warnings[0]


def test_claims() -> None:
    py, req = PythonPackageAnalyzer(), RequirementsAnalyzer()
    assert py.claims("app/.venv/lib/python3.12/site-packages/flask-3.0.0.dist-info/METADATA", 0o644, 10)
    assert py.claims("opt/x/EGG-INFO/PKG-INFO", 0o644, 10)
    assert not py.claims("site-packages/flask-3.0.0.dist-info/RECORD", 0o644, 10)
    assert not py.claims("docs/METADATA", 0o644, 10)
    assert req.claims("src/requirements-dev.txt", 0o644, 10) and req.claims("requirements.txt", 0o644, 10)
    assert not req.claims("src/dev-requirements.in", 0o644, 10)
    assert req.targets == frozenset({"fs"}) and "image" in py.targets


def test_uv_pdm_poetry_locks(python_locks: Path) -> None:
    for analyzer, rel in (
        (UvLockAnalyzer(), "uv/uv.lock"),
        (PdmLockAnalyzer(), "pdm/pdm.lock"),
        (PoetryLockAnalyzer(), "poetry/poetry.lock"),
    ):
        facts = analyzer.analyze(rel, (python_locks / rel).read_bytes())
        assert facts is not None and not facts.warnings
        [app] = facts.applications
        assert app.type == analyzer.app_type and app.file_path == rel
        pkgs = _by_name(list(app.packages))
        got = {(p.name, p.version) for p in app.packages if p.name != "certifi"}
        assert got == LOCKED, (rel, got)
        assert "demo" not in pkgs  # the project itself is not a dependency
        assert pkgs["iniconfig"].dev and not pkgs["requests"].dev and not pkgs["urllib3"].dev, rel
        certifi = pkgs["certifi"]
        assert set(pkgs["requests"].depends_on) == {
            "chardet@3.0.4",
            "idna@2.7",
            "urllib3@1.23",
            f"certifi@{certifi.version}",
        }, rel


def test_pip_compile_with_hashes_and_extras(python_locks: Path) -> None:
    data = (python_locks / "pip-compile" / "requirements.txt").read_bytes()
    pkgs = _by_name(_parse(RequirementsAnalyzer(), "requirements.txt", data))
    # requests[security] pulls pyOpenSSL and cryptography; hashes and "# via" comments are not packages.
    assert {"requests", "urllib3", "idna", "chardet", "pyopenssl", "cryptography"} <= set(pkgs)
    assert pkgs["requests"].version == "2.19.0" and pkgs["urllib3"].version == "1.23"
    assert pkgs["pyopenssl"].purl == f"pkg:pypi/pyopenssl@{pkgs['pyopenssl'].version}"


def test_requirements_syntax() -> None:
    text = (
        "# comment\n-r base.txt\n--constraint constraints.txt\n-e git+https://x/y.git#egg=y\n"
        "Django==4.2.1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        'typing_extensions===4.7.0 ; python_version < "3.11"  # pinned\n'
        "requests[socks,security] == 2.31.0\n"
        "flask>=2.0\nnumpy==1.*\nsix==1.16.0,<2\nurllib3 @ https://x/urllib3.whl\n"
    )
    assert requirement_lines(text)[0] == "Django==4.2.1"
    facts = RequirementsAnalyzer().analyze("requirements.txt", text.encode())
    assert facts is not None
    got = {(p.name, p.version, p.purl) for p in facts.applications[0].packages}
    assert got == {
        ("Django", "4.2.1", "pkg:pypi/django@4.2.1"),
        ("typing_extensions", "4.7.0", "pkg:pypi/typing-extensions@4.7.0"),
        ("requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
    }
    assert any("base.txt not followed" in w for w in facts.warnings)
    assert any("constraints.txt not followed" in w for w in facts.warnings)


def test_pipfile_lock(pipenv_lock: Path) -> None:
    data = (pipenv_lock / "Pipfile.lock").read_bytes()
    facts = PipfileLockAnalyzer().analyze("Pipfile.lock", data)
    assert facts is not None and not facts.warnings
    pkgs = _by_name(list(facts.applications[0].packages))
    assert {(p.name, p.version) for p in pkgs.values() if p.name != "certifi"} == LOCKED
    assert pkgs["iniconfig"].dev and not pkgs["requests"].dev


def test_poetry_legacy_category_and_bad_lockfiles() -> None:
    old = b'[[package]]\nname = "pytest"\nversion = "7.0.0"\ncategory = "dev"\n[package.dependencies]\n'
    old += b'py = ">=1.8"\n[[package]]\nname = "py"\nversion = "1.11.0"\ncategory = "dev"\n'
    facts = PoetryLockAnalyzer().analyze("poetry.lock", old)
    assert facts is not None
    pkgs = _by_name(list(facts.applications[0].packages))
    assert pkgs["pytest"].dev and pkgs["pytest"].depends_on == ("py@1.11.0",)
    for analyzer, name in ((PoetryLockAnalyzer(), "poetry.lock"), (PipfileLockAnalyzer(), "Pipfile.lock")):
        bad = analyzer.analyze(name, b"[[package]\nname = {")
        assert bad is not None and bad.warnings and not bad.applications


def test_every_distribution_of_this_environment_matches_importlib_metadata() -> None:
    # The project's own venv: dozens of real wheels/sdists installed by pip. importlib.metadata is the oracle.
    import importlib.metadata

    analyzer = PythonPackageAnalyzer()
    checked = 0
    for dist in importlib.metadata.distributions():
        files = [
            f for f in dist.files or () if str(f).endswith((".dist-info/METADATA", ".egg-info/PKG-INFO"))
        ]
        if not files:
            continue
        path = Path(str(dist.locate_file(files[0])))
        if not path.exists():  # an editable install's record points into the source tree
            continue
        rel = str(path).lstrip("/")
        assert analyzer.claims(rel, 0o644, path.stat().st_size), rel
        [pkg] = _parse(analyzer, rel, path.read_bytes())
        assert (pkg.name, pkg.version) == (dist.metadata["Name"], dist.version), rel
        checked += 1
    assert checked >= 30


def test_app_venv_made_by_uv_matches_uv_pip_list(tmp_path: Path, uv_venv: Path) -> None:
    expected = {(d["name"], d["version"]) for d in json.loads((uv_venv / "uv-pip-list.json").read_text())}
    assert ("flask", "2.0.3") in expected and len(expected) >= 5
    facts = walk(
        tmp_path, tar_of(uv_venv / "app", prefix="app/"), [PythonPackageAnalyzer(), PythonEggAnalyzer()]
    )
    pkgs = packages_of(facts, "python-pkg")
    assert {(pep503(p.name), p.version) for p in pkgs} == expected
    assert {p.purl for p in pkgs} == {f"pkg:pypi/{n}@{v}" for n, v in expected}
    assert all(p.file_path.startswith("app/.venv/lib/python3.") for p in pkgs)
