"""Real language-ecosystem data made by the real tools, cached once per machine.

Everything here is produced from PyPI, the npm registry and Debian packages with the ordinary
clients (pip, npm, yarn, pnpm, uv, poetry, pip-compile, pdm, composer, bundler, apt-get), under
``$SEAWALL_TEST_CACHE/lang-*`` (default ``/var/tmp/seawall-tests``). A fresh machine rebuilds it all;
later runs only read it. Each builder takes a file lock, so parallel pytest workers build once.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from realimages import TEST_CACHE, BuiltImage, extend, locked, minbase
from seawall.analyze.analyzer import Analyzer
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import LayerFacts, Package

VERSION = "1"  # bump to rebuild the cached data after changing a builder

# The Python set the issue names, installed from real wheels/sdists.
PY_PINS = ("requests==2.19.0", "PyYAML==5.3", "Jinja2==2.10")
# A small real npm project: prod deps with a transitive (debug -> ms) and a scoped package; dev deps
# where mkdirp@0.5.1 needs minimist@0.0.8 while the root wants 1.2.0, so npm nests a second copy.
NPM_DEPS = {"lodash": "4.17.15", "debug": "2.6.9", "@tootallnate/once": "1.1.2"}
NPM_DEV_DEPS = {"minimist": "1.2.0", "mkdirp": "0.5.1"}
NPM_TOOLS = {
    "npm6": "npm@6.14.18",
    "yarn": "yarn@1.22.22",
    "berry": "@yarnpkg/cli-dist@4.5.3",
    "pnpm7": "pnpm@7.33.7",
    "pnpm8": "pnpm@8.15.9",
    "pnpm9": "pnpm@9.15.9",
}
# One venv per tool: their own dependencies conflict (poetry and pdm pin different installer versions).
PY_TOOLS = {
    "uv": ("uv==0.5.11",),
    "poetry": ("poetry==2.0.1",),
    "pip-tools": ("pip==24.2", "pip-tools==7.4.1"),
    "pdm": ("pdm==2.29.4", "hishel[httpx2]==1.4.0"),
    "setuptools": ("setuptools==69.5.1",),
}


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        TMPDIR=str(home),
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
        COREPACK_ENABLE_STRICT="0",
        YARN_ENABLE_TELEMETRY="0",
        PYTHONWARNINGS="ignore",
    )
    return env


def run(*cmd: str | Path, cwd: Path | None = None, home: Path | None = None) -> None:
    """Run a tool; on failure show its output (the cache step must say why it broke)."""
    home = home or TEST_CACHE / f"lang-home-v{VERSION}"
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=_env(home),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )


def cached(name: str, build: Callable[[Path], None]) -> Path:
    """``$TEST_CACHE/lang-<name>-v<VERSION>``, built by ``build(dir)`` once per machine."""
    root = TEST_CACHE / f"lang-{name}-v{VERSION}"
    with locked(f"lang-{name}"):
        if (root / "done").exists():
            return root
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        build(root)
        (root / "done").write_text("ok")
    return root


# ------------------------------------------------------------------------------------------ tools


def npm_tools() -> Path:
    """npm 6 (lockfile v1), yarn classic and berry, pnpm 7/8/9, each in its own npm prefix."""

    def build(root: Path) -> None:
        for name, spec in NPM_TOOLS.items():
            run("npm", "install", "--prefix", root / name, "--no-save", spec)

    return cached("npm-tools", build)


def py_tools() -> Path:
    """Venvs with uv, poetry, pip-tools, pdm and setuptools (test tools, outside the project venv)."""

    def build(root: Path) -> None:
        for name, pins in PY_TOOLS.items():
            run(sys.executable, "-m", "venv", root / name)
            run(root / name / "bin" / "pip", "install", "-q", *pins)

    return cached("py-tools", build)


def debian_files(package: str) -> Path:
    """A Debian package's files (``apt-get download`` + ``dpkg-deb -x``), e.g. ruby-rack, python3-yaml."""

    def build(root: Path) -> None:
        run("apt-get", "download", package, cwd=root)
        deb = next(root.glob("*.deb"))
        run("dpkg-deb", "-x", deb, root / "tree")
        deb.unlink()

    return cached(f"deb-{package}", build) / "tree"


# --------------------------------------------------------------------------------------- python


def python_site() -> Path:
    """``site-packages`` with requests 2.19.0, PyYAML 5.3 and Jinja2 2.10 from real PyPI files."""

    def build(root: Path) -> None:
        run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", root / "dl", *PY_PINS)
        run(
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--find-links",
            root / "dl",
            "--target",
            root / "site-packages",
            *PY_PINS,
        )
        shutil.rmtree(root / "site-packages" / "bin", ignore_errors=True)

    return cached("python-site", build) / "site-packages"


def python_egg() -> Path:
    """A real zipped ``.egg`` built by setuptools' bdist_egg from the six 1.16.0 sdist."""

    def build(root: Path) -> None:
        tools = py_tools() / "setuptools" / "bin"
        run(
            tools / "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            root / "dl",
            "six==1.16.0",
        )
        sdist = next((root / "dl").glob("six-*.tar.gz"))
        run("tar", "-xzf", sdist, "-C", root)
        src = next(p for p in root.glob("six-*") if p.is_dir())
        run(tools / "python", "setup.py", "-q", "bdist_egg", "--dist-dir", root / "eggs", cwd=src)

    return next((cached("python-egg", build) / "eggs").glob("*.egg"))


def python_locks() -> Path:
    """One small project locked by uv, poetry, pip-compile and pdm (requests 2.19.0; dev: iniconfig)."""

    def build(root: Path) -> None:
        tools = py_tools()
        pyproject = (
            '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            'dependencies = ["requests==2.19.0"]\n'
        )
        uvp = root / "uv"
        uvp.mkdir()
        (uvp / "pyproject.toml").write_text(
            pyproject + '\n[tool.uv]\ndev-dependencies = ["iniconfig==2.0.0"]\n'
        )
        run(tools / "uv" / "bin" / "uv", "lock", "--quiet", cwd=uvp)
        pdmp = root / "pdm"
        pdmp.mkdir()
        (pdmp / "pyproject.toml").write_text(
            pyproject
            + '\n[tool.pdm.dev-dependencies]\ntest = ["iniconfig==2.0.0"]\n[tool.pdm]\ndistribution = false\n'
        )
        run(tools / "pdm" / "bin" / "pdm", "lock", cwd=pdmp)
        poetryp = root / "poetry"
        poetryp.mkdir()
        (poetryp / "pyproject.toml").write_text(
            '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\ndescription = ""\n'
            'authors = ["t <t@example.com>"]\n'
            '[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "2.19.0"\n'
            '[tool.poetry.group.dev.dependencies]\niniconfig = "2.0.0"\n'
            # Only PyPI's simple index is reachable from CI machines, not its JSON API.
            '[[tool.poetry.source]]\nname = "pypi-simple"\nurl = "https://pypi.org/simple/"\n'
            'priority = "primary"\n'
        )
        run(tools / "poetry" / "bin" / "poetry", "lock", "--no-interaction", cwd=poetryp)
        pipc = root / "pip-compile"
        pipc.mkdir()
        (pipc / "requirements.in").write_text("requests[security]==2.19.0\n")
        run(
            tools / "pip-tools" / "bin" / "pip-compile",
            "--quiet",
            "--generate-hashes",
            "--output-file",
            "requirements.txt",
            "requirements.in",
            cwd=pipc,
        )

    return cached("python-locks", build)


# ----------------------------------------------------------------------------------------- node


def _package_json(path: Path) -> None:
    doc = {
        "name": "demo-app",
        "version": "1.0.0",
        "private": True,
        "dependencies": NPM_DEPS,
        "devDependencies": NPM_DEV_DEPS,
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / "package.json").write_text(json.dumps(doc, indent=2) + "\n")


def node_app() -> Path:
    """``/app`` of the issue: ``npm install lodash@4.17.15 minimist@1.2.0`` (real npm, lockfile v3)."""

    def build(root: Path) -> None:
        app = root / "app"
        app.mkdir()
        (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true}\n')
        run("npm", "install", "--no-audit", "--no-fund", "lodash@4.17.15", "minimist@1.2.0", cwd=app)

    return cached("node-app", build) / "app"


def node_locks() -> Path:
    """The demo project locked by npm 6 (v1), npm --lockfile-version 2 and 3, yarn classic and berry, pnpm 7
    (v5.4), 8 (v6) and 9 (v9); ``npm-v3`` also has its ``node_modules`` installed."""

    def build(root: Path) -> None:
        tools = npm_tools()
        npm6 = tools / "npm6" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        _package_json(root / "npm-v1")
        run("node", npm6, "install", "--package-lock-only", "--no-audit", cwd=root / "npm-v1")
        for v in ("2", "3"):
            _package_json(root / f"npm-v{v}")
            run("npm", "install", "--lockfile-version", v, "--no-audit", "--no-fund", cwd=root / f"npm-v{v}")
        _package_json(root / "yarn-classic")
        yarn = tools / "yarn" / "node_modules" / "yarn" / "bin" / "yarn.js"
        run(
            "node",
            yarn,
            "install",
            "--ignore-scripts",
            "--no-progress",
            "--non-interactive",
            "--cache-folder",
            root / ".yarn-cache",
            cwd=root / "yarn-classic",
        )
        _package_json(root / "yarn-berry")
        (root / "yarn-berry" / "yarn.lock").write_text("")
        (root / "yarn-berry" / ".yarnrc.yml").write_text(
            "nodeLinker: node-modules\nenableGlobalCache: false\n"
        )
        berry = tools / "berry" / "node_modules" / "@yarnpkg" / "cli-dist" / "bin" / "yarn.js"
        run("node", berry, "install", "--mode=update-lockfile", cwd=root / "yarn-berry")
        for major in ("7", "8", "9"):
            d = root / f"pnpm{major}"
            _package_json(d)
            pnpm = tools / f"pnpm{major}" / "node_modules" / "pnpm" / "bin" / "pnpm.cjs"
            run("node", pnpm, "install", "--lockfile-only", "--store-dir", root / ".pnpm-store", cwd=d)
        for junk in root.glob("*/.yarn"):
            shutil.rmtree(junk, ignore_errors=True)

    return cached("node-locks", build)


def node_bench_tree() -> Path:
    """A dependency-heavy ``npm install`` (about 1,500 packages) for the inventory benchmark."""

    def build(root: Path) -> None:
        deps = {
            "webpack": "5.94.0",
            "jest": "29.7.0",
            "eslint": "8.57.0",
            "@babel/core": "7.25.2",
            "@babel/preset-env": "7.25.4",
            "typescript": "5.5.4",
            "react": "18.3.1",
            "react-dom": "18.3.1",
            "express": "4.19.2",
            "aws-sdk": "2.1691.0",
            "lodash": "4.17.21",
            "moment": "2.30.1",
            "@angular/cli": "18.2.1",
            "gatsby": "5.13.7",
        }
        (root / "package.json").write_text(
            json.dumps({"name": "bench", "version": "1.0.0", "private": True, "dependencies": deps}, indent=2)
        )
        run("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps", cwd=root)

    return cached("node-bench", build)


# ----------------------------------------------------------------------------------- ruby, php


def ruby_lock() -> Path:
    """A Gemfile.lock made by Debian's bundler (``bundle lock --local``) against Debian's ruby-rack."""

    def build(root: Path) -> None:
        (root / "Gemfile").write_text('source "https://rubygems.org"\ngem "rack"\ngem "rake"\n')
        run("bundle", "lock", "--local", cwd=root)

    return cached("ruby-lock", build)


def composer_project() -> Path:
    """``composer install`` (Debian's composer) of a project using local path packages: a real
    composer.lock and vendor/composer/installed.json (v2) without reaching Packagist."""

    def build(root: Path) -> None:
        pkgs = {
            "acme/log": ("1.4.2", {}, "MIT"),
            "acme/http": ("2.1.0", {"acme/log": "^1.4"}, "Apache-2.0"),
            "acme/testkit": ("0.9.1", {"acme/log": "^1.0"}, "BSD-3-Clause"),
        }
        for name, (version, require, lic) in pkgs.items():
            d = root / "packages" / name.split("/")[1]
            d.mkdir(parents=True)
            (d / "composer.json").write_text(
                json.dumps(
                    {"name": name, "version": version, "license": lic, "require": {"php": ">=7.4", **require}}
                )
            )
        app = root / "app"
        app.mkdir()
        (app / "composer.json").write_text(
            json.dumps(
                {
                    "name": "acme/app",
                    "repositories": [
                        {"packagist.org": False},
                        {"type": "path", "url": "../packages/*", "options": {"symlink": False}},
                    ],
                    "require": {"acme/http": "^2.1"},
                    "require-dev": {"acme/testkit": "^0.9"},
                },
                indent=2,
            )
        )
        run("composer", "install", "--no-interaction", "--no-progress", cwd=app)

    return cached("composer", build) / "app"


# ------------------------------------------------------------------------------------------ rust

RUST_CRATES = ("librust-aho-corasick-dev", "librust-memchr-dev", "librust-cfg-if-dev", "librust-itoa-dev")


def rust_lock() -> Path:
    """A Cargo.lock made by Debian's cargo, offline, against Debian's packaged crates (a directory
    source replacing crates.io): aho-corasick -> memchr, cfg-if, itoa."""

    def build(root: Path) -> None:
        debs = root / "debs"
        debs.mkdir()
        run("apt-get", "download", *RUST_CRATES, cwd=debs)
        for deb in debs.glob("*.deb"):
            run("dpkg-deb", "-x", deb, root / "tree")
        proj = root / "proj"
        (proj / "src").mkdir(parents=True)
        (proj / ".cargo").mkdir()
        (proj / "Cargo.toml").write_text(
            '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n'
            '[dependencies]\naho-corasick = "0.7"\ncfg-if = "1"\nitoa = "1"\n'
        )
        (proj / "src" / "main.rs").write_text("fn main() {}\n")
        registry = root / "tree" / "usr" / "share" / "cargo" / "registry"
        (proj / ".cargo" / "config.toml").write_text(
            f'[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "{registry}"\n'
        )
        run("/usr/bin/cargo", "generate-lockfile", "--offline", cwd=proj)
        shutil.rmtree(debs)

    return cached("rust-lock", build) / "proj"


def pipenv_lock() -> Path:
    """A Pipfile.lock made by pipenv (requests 2.19.0; dev: iniconfig 2.0.0)."""

    def build(root: Path) -> None:
        run(sys.executable, "-m", "venv", root / "venv")
        run(root / "venv" / "bin" / "pip", "install", "-q", "pipenv==2024.4.0")
        proj = root / "proj"
        proj.mkdir()
        (proj / "Pipfile").write_text(
            '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
            '[packages]\nrequests = "==2.19.0"\n\n[dev-packages]\niniconfig = "==2.0.0"\n\n'
            '[requires]\npython_version = "3.11"\n'
        )
        run(root / "venv" / "bin" / "pipenv", "lock", cwd=proj)

    return cached("pipenv-lock", build) / "proj"


# ---------------------------------------------------------------------------------------- helpers


def tar_of(root: Path, prefix: str = "") -> bytes:
    """A layer tar of a directory tree (symlinks kept as links), paths under ``prefix``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            tar.add(path, arcname=f"{prefix}{rel}", recursive=False)
    return buf.getvalue()


def walk(tmp_path: Path, layer: bytes, analyzers: Sequence[Analyzer]) -> LayerFacts:
    """Run analyzers over a layer tar through the real walker."""
    blob = tmp_path / f"layer-{len(list(tmp_path.glob('layer-*')))}.tar"
    blob.write_bytes(layer)
    return analyze_layer(LayerSource(BlobRef(blob), label="test"), analyzers, Limits())


def packages_of(facts: LayerFacts, app_type: str | None = None) -> list[Package]:
    """Every package of every application in a layer's facts (optionally of one type)."""
    return [
        p
        for f in facts.files.values()
        for a in f.applications
        if app_type is None or a.type == app_type
        for p in a.packages
    ]


def name_versions(packages: Sequence[Package]) -> set[tuple[str, str]]:
    """(name, version) pairs."""
    return {(p.name, p.version) for p in packages}


def dotnet_deps() -> Path:
    """A real ``*.deps.json``: Python.Runtime.deps.json from the pythonnet 3.0.3 wheel on PyPI (written
    by the .NET SDK when pythonnet was built; dotnet itself is not installable here)."""

    def build(root: Path) -> None:
        run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", root / "dl", "pythonnet==3.0.3")
        wheel = next((root / "dl").glob("pythonnet-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            zf.extract("pythonnet/runtime/Python.Runtime.deps.json", root)
        shutil.rmtree(root / "dl")

    return cached("dotnet-deps", build) / "pythonnet" / "runtime" / "Python.Runtime.deps.json"


# ----------------------------------------------------------------------------------------- image

IMAGE_NAME = "lang-app"
IMAGE_PATHS = {
    "python": "usr/local/lib/python3.11/site-packages",
    "node": "app",
    "composer": "var/www/app",
    "dotnet": "opt/dotnet/app",
}


def _copytree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)


def lang_image() -> BuiltImage:
    """Debian minbase plus one layer holding every ecosystem's installed packages (and, for the
    fs-only analyzers, lockfiles that image scans must ignore)."""
    site, app, composer = python_site(), node_app(), composer_project()
    egg, deps, six = python_egg(), dotnet_deps(), debian_files("python3-six")
    rack, rake = debian_files("ruby-rack"), debian_files("rake")
    cargo = rust_lock()

    def populate(rootfs: Path) -> None:
        _copytree(site, rootfs / IMAGE_PATHS["python"])
        dist = rootfs / "usr/lib/python3/dist-packages"
        _copytree(six / "usr/lib/python3/dist-packages/six-1.16.0.egg-info", dist / "six-1.16.0.egg-info")
        (rootfs / "opt/eggs").mkdir(parents=True)
        shutil.copy(egg, rootfs / "opt/eggs" / egg.name)
        _copytree(app, rootfs / IMAGE_PATHS["node"])
        specs = "usr/share/rubygems-integration/all/specifications"
        _copytree(rack / specs, rootfs / specs)
        _copytree(rake / specs, rootfs / specs)
        _copytree(composer, rootfs / IMAGE_PATHS["composer"])
        (rootfs / IMAGE_PATHS["dotnet"]).mkdir(parents=True)
        shutil.copy(deps, rootfs / IMAGE_PATHS["dotnet"] / deps.name)
        (rootfs / "src/rust").mkdir(parents=True)
        shutil.copy(cargo / "Cargo.lock", rootfs / "src/rust/Cargo.lock")

    return extend(minbase(), IMAGE_NAME, populate, "COPY language packages (seawall test)")


def top_layer(image: BuiltImage) -> Path:
    """The blob of the image's last layer, from its OCI layout."""
    layout = image.oci_dir
    index = json.loads((layout / "index.json").read_text())
    desc = next(
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == image.tag
    )
    manifest = json.loads((layout / "blobs" / "sha256" / desc["digest"].split(":")[1]).read_text())
    return layout / "blobs" / "sha256" / manifest["layers"][-1]["digest"].split(":")[1]


def node_express() -> Path:
    """``npm install express@4.19.2`` (about 65 packages, nested copies included) and npm's own view of the
    tree, ``npm ls --all --parseable --long`` (``path:name@version`` lines), as the oracle."""

    def build(root: Path) -> None:
        (root / "package.json").write_text('{"name": "web", "version": "1.0.0", "private": true}\n')
        run("npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "express@4.19.2", cwd=root)
        home = TEST_CACHE / f"lang-home-v{VERSION}"
        proc = subprocess.run(
            ["npm", "ls", "--all", "--parseable", "--long"], cwd=root, env=_env(home), capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        (root / "npm-ls.txt").write_text(proc.stdout)

    return cached("node-express", build)


def node_alias() -> Path:
    """An npm alias dependency (``"sw": "npm:string-width@4.2.3"``) locked by npm 6 (v1), npm 11 (v3),
    yarn classic and pnpm 9: lockfiles key it by the alias, the package is string-width."""

    def build(root: Path) -> None:
        tools = npm_tools()
        doc = json.dumps({"name": "alias-demo", "version": "1.0.0", "private": True,
                          "dependencies": {"sw": "npm:string-width@4.2.3"}})  # fmt: skip
        for name in ("npm-v1", "npm-v3", "yarn-classic", "pnpm9"):
            (root / name).mkdir()
            (root / name / "package.json").write_text(doc)
        npm6 = tools / "npm6" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        run("node", npm6, "install", "--package-lock-only", "--no-audit", cwd=root / "npm-v1")
        run("npm", "install", "--package-lock-only", "--no-audit", "--no-fund", cwd=root / "npm-v3")
        yarn = tools / "yarn" / "node_modules" / "yarn" / "bin" / "yarn.js"
        run("node", yarn, "install", "--ignore-scripts", "--non-interactive", "--cache-folder",
            root / ".yarn-cache", cwd=root / "yarn-classic")  # fmt: skip
        pnpm = tools / "pnpm9" / "node_modules" / "pnpm" / "bin" / "pnpm.cjs"
        run(
            "node",
            pnpm,
            "install",
            "--lockfile-only",
            "--store-dir",
            root / ".pnpm-store",
            cwd=root / "pnpm9",
        )
        shutil.rmtree(root / ".yarn-cache", ignore_errors=True)
        shutil.rmtree(root / "yarn-classic" / "node_modules", ignore_errors=True)

    return cached("node-alias", build)


def debian_gem_version(package: str, gem: str) -> str:
    """The version of ``gem`` that Debian's ``package`` ships (from its gemspec's file name): Debian
    stable updates ruby-rack for security fixes, so tests must not pin it."""
    specs = debian_files(package) / "usr/share/rubygems-integration/all/specifications"
    return next(specs.glob(f"{gem}-[0-9]*.gemspec")).name[len(gem) + 1 : -len(".gemspec")]


def uv_venv() -> Path:
    """``/app/.venv`` made by uv (``uv venv`` + ``uv pip install flask==2.0.3``) and uv's own listing of
    it (``uv pip list --format json``) as the oracle."""

    def build(root: Path) -> None:
        uv = py_tools() / "uv" / "bin" / "uv"
        venv = root / "app" / ".venv"
        run(uv, "venv", "--quiet", "--python", sys.executable, venv)
        run(uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "flask==2.0.3")
        home = TEST_CACHE / f"lang-home-v{VERSION}"
        proc = subprocess.run(
            [str(uv), "pip", "list", "--format", "json", "--python", str(venv / "bin" / "python")],
            env=_env(home), capture_output=True, text=True, check=True,
        )  # fmt: skip
        (root / "uv-pip-list.json").write_text(proc.stdout)

    return cached("uv-venv", build)


def node_workspaces() -> Path:
    """A monorepo with two workspaces (``packages/web`` needs lodash, ``packages/tools`` has minimist as a
    dev dependency and depends on ``web``), locked by npm 11 (v3), yarn berry and pnpm 9."""

    def build(root: Path) -> None:
        tools = npm_tools()
        web = {"name": "web", "version": "1.0.0", "dependencies": {"lodash": "4.17.15"}}
        tool = {"name": "tools", "version": "2.0.0", "dependencies": {"web": "*"},
                "devDependencies": {"minimist": "1.2.0"}}  # fmt: skip
        for name in ("npm", "berry", "pnpm9"):
            d = root / name
            for pkg in (web, tool):
                (d / "packages" / str(pkg["name"])).mkdir(parents=True)
                (d / "packages" / str(pkg["name"]) / "package.json").write_text(json.dumps(pkg))
            top: dict[str, object] = {"name": "mono", "version": "0.0.0", "private": True}
            if name == "pnpm9":
                (d / "pnpm-workspace.yaml").write_text("packages:\n  - 'packages/*'\n")
                tool["dependencies"] = {"web": "workspace:*"}
                (d / "packages" / "tools" / "package.json").write_text(json.dumps(tool))
            else:
                top["workspaces"] = ["packages/*"]
            (d / "package.json").write_text(json.dumps(top))
        run("npm", "install", "--package-lock-only", "--no-audit", "--no-fund", cwd=root / "npm")
        (root / "berry" / "yarn.lock").write_text("")
        (root / "berry" / ".yarnrc.yml").write_text("nodeLinker: node-modules\nenableGlobalCache: false\n")
        berry = tools / "berry" / "node_modules" / "@yarnpkg" / "cli-dist" / "bin" / "yarn.js"
        run("node", berry, "install", "--mode=update-lockfile", cwd=root / "berry")
        pnpm = tools / "pnpm9" / "node_modules" / "pnpm" / "bin" / "pnpm.cjs"
        run(
            "node",
            pnpm,
            "install",
            "--lockfile-only",
            "--store-dir",
            root / ".pnpm-store",
            cwd=root / "pnpm9",
        )
        shutil.rmtree(root / "berry" / ".yarn", ignore_errors=True)

    return cached("node-workspaces", build)
