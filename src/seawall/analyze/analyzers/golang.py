"""Go modules: build info in executables (``gobinary``), ``go.mod`` (``gomod``), ``go.sum`` (``gosum``).

Package naming follows Trivy: each dependency is reported under its ``=>`` replacement when it has
one, ``(devel)`` versions become empty (the main module then falls back to a semver stamped with
``-ldflags -X ...version=``), and the toolchain is the package ``stdlib`` (``1.19.8``).
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Sequence
from dataclasses import replace

from packageurl import PackageURL

from seawall.analyze.analyzer import Analyzer, is_executable
from seawall.analyze.analyzers.gobuildinfo import BuildInfo, BuildInfoError, read_build_info
from seawall.model import Application, FileFacts, Package

log = logging.getLogger(__name__)

DEVEL = "(devel)"
_SEMVER = re.compile(r"^v?\d+(\.\d+(\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)?)?$")
_LDFLAG_PREFIXES = frozenset({"main", "common", "version", "cmd"})
ELF_HEADER_SIZE = 64


def go_purl(module: str, version: str) -> str:
    """``pkg:golang/<module>@<version>``, lower-cased as Trivy does; none for a local-directory module."""
    if module.startswith((".", "/")):  # a `=> ../dir` replacement: no package URL can name it
        return ""
    namespace, _, name = module.lower().rpartition("/")
    return PackageURL(
        type="golang", namespace=namespace or None, name=name, version=version or None
    ).to_string()


def _package(name: str, version: str, file_path: str, depends_on: tuple[str, ...] = ()) -> Package:
    return Package(
        name=name, version=version, purl=go_purl(name, version), file_path=file_path, depends_on=depends_on
    )


def _check_version(version: str) -> str:
    return "" if version == DEVEL else version


class GoBinaryAnalyzer(Analyzer):
    """Go executables: the embedded module list, the main module and the toolchain version."""

    name = "gobinary"
    version = 2
    max_size = 256 * 1024 * 1024

    def claims(self, path: str, mode: int, size: int) -> bool:
        """Executables only (as Trivy): the bytes are checked for ELF and the Go magic in :meth:`analyze`."""
        return size >= ELF_HEADER_SIZE and is_executable(mode)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """The packages named by the build information of ``data``, or None for other files."""
        try:
            info = read_build_info(data)
        except BuildInfoError as exc:
            msg = f"{path}: unreadable Go build information: {exc}"
            log.debug("%s", msg)
            return FileFacts(path=path, warnings=(msg,))
        if info is None:
            return None
        packages = packages_from_build_info(info, path)
        return FileFacts(path=path, applications=(Application("gobinary", path, packages),))


def stdlib_version(go_version: str) -> str:
    """``go1.22.3 X:boringcrypto`` -> ``1.22.3``."""
    return go_version.removeprefix("go").split(" ", 1)[0]


def packages_from_build_info(info: BuildInfo, file_path: str) -> tuple[Package, ...]:
    """Trivy's package list for a Go binary: stdlib, every dependency (replacements applied), main."""
    packages = [_package("stdlib", stdlib_version(info.go_version), file_path)]
    for dep in info.deps:
        if not dep.path:  # very old toolchains list the main module as a pathless dep
            continue
        mod = dep.replace or dep
        packages.append(_package(mod.path, _check_version(mod.version), file_path))
    if info.main is not None and info.main.path:
        version = _check_version(info.main.version)
        stamped = version_from_ldflags(info.main.path, info.setting("-ldflags"))
        if not version or (version.startswith("v0.0.0") and stamped):
            version = stamped
        depends = tuple(sorted(p.id for p in packages))
        packages.append(_package(info.main.path, version, file_path, depends))
    return tuple(sorted(packages, key=lambda p: (p.name, p.version)))


def version_from_ldflags(module: str, ldflags: str) -> str:
    """A semver stamped with ``-X <pkg>.version=...``; empty when absent or ambiguous.

    Keys under ``<module>/cmd/`` win over the conventional ``main``/``common``/``version``/``cmd``
    packages, which win over any other ``*.version``/``*.ver`` key, as in Trivy.
    """
    if not ldflags:
        return ""
    try:
        words = shlex.split(ldflags)
    except ValueError:
        return ""
    found: list[list[str]] = [[], [], []]
    values: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        arg = ""
        if word in ("-X", "--X"):
            arg = words[i + 1] if i + 1 < len(words) else ""
            i += 1
        elif word.startswith(("-X=", "--X=")):
            arg = word.split("=", 1)[1]
        elif word.startswith("-X") and not word.startswith("--"):
            arg = word[2:]
        i += 1
        key, sep, value = arg.partition("=")
        if sep:
            values[key.strip("'\"")] = value.strip("'\"")
    for key, value in values.items():
        lower = key.lower()
        if not (lower.endswith(".version") or lower.endswith(".ver")) or not _SEMVER.match(value):
            continue
        prefix = key.rpartition("/")[2].split(".", 1)[0].lower()
        if key.startswith(module + "/cmd/"):
            found[0].append(value)
        elif prefix in _LDFLAG_PREFIXES:
            found[1].append(value)
        else:
            found[2].append(value)
    for versions in found:
        if len(versions) == 1:
            return versions[0]
        if versions:
            return ""
    return ""


# go.mod -------------------------------------------------------------------------------------------------


class GoModAnalyzer(Analyzer):
    """``go.mod``: the main module, ``require`` lines (indirect marked) and ``replace`` directives."""

    name = "gomod"
    version = 1
    basenames = frozenset({"go.mod"})
    max_size = 8 * 1024 * 1024
    targets = frozenset({"fs"})

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Packages required by the go.mod in ``data``."""
        try:
            mod = parse_go_mod(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            msg = f"{path}: not a go.mod file: {exc}"
            log.debug("%s", msg)
            return FileFacts(path=path, warnings=(msg,))
        packages = gomod_packages(mod, path)
        if not packages:
            return None
        return FileFacts(path=path, applications=(Application("gomod", path, packages),))


class GoModFile:
    """The directives of one go.mod that matter for an inventory."""

    __slots__ = ("go", "module", "replaces", "requires")

    def __init__(self) -> None:
        self.module = ""
        self.go = ""
        self.requires: list[tuple[str, str, bool]] = []  # path, version, indirect
        self.replaces: list[tuple[str, str, str, str]] = []  # old path, old version, new path, new version


def _tokens(line: str) -> tuple[list[str], str]:
    """Split one go.mod line into tokens (quoted strings unquoted) and its trailing ``//`` comment."""
    tokens: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c in " \t\r":
            i += 1
        elif line.startswith("//", i):
            return tokens, line[i + 2 :].strip()
        elif c in '"`':
            end = line.find(c, i + 1)
            while c == '"' and end > 0 and line[end - 1] == "\\":
                end = line.find(c, end + 1)
            if end < 0:
                raise ValueError(f"unterminated string in {line.strip()!r}")
            tokens.append(line[i + 1 : end].replace('\\"', '"'))
            i = end + 1
        elif c in "()":
            tokens.append(c)
            i += 1
        else:
            j = i
            while j < n and line[j] not in ' \t\r()"`' and not line.startswith("//", j):
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens, ""


def parse_go_mod(text: str) -> GoModFile:
    """Parse go.mod syntax: single-line and parenthesized ``require``/``replace`` blocks, comments."""
    mod = GoModFile()
    block = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        tokens, comment = _tokens(line)
        if not tokens:
            continue
        if block:
            if tokens == [")"]:
                block = ""
                continue
            _directive(mod, block, tokens, comment, lineno)
            continue
        verb, args = tokens[0], tokens[1:]
        if args == ["("]:
            block = verb
            continue
        _directive(mod, verb, args, comment, lineno)
    if block:
        raise ValueError(f"unterminated {block} block")
    return mod


def _directive(mod: GoModFile, verb: str, args: list[str], comment: str, lineno: int) -> None:
    if verb == "module" and args:
        mod.module = args[0]
    elif verb == "go" and args:
        mod.go = args[0]
    elif verb == "require":
        if len(args) != 2:
            raise ValueError(f"line {lineno}: require needs a module path and a version")
        indirect = comment == "indirect" or comment.startswith("indirect;")
        mod.requires.append((args[0], args[1], indirect))
    elif verb == "replace":
        if "=>" not in args:
            raise ValueError(f"line {lineno}: replace without '=>'")
        k = args.index("=>")
        old, new = args[:k], args[k + 1 :]
        if len(old) not in (1, 2) or len(new) not in (1, 2):
            raise ValueError(f"line {lineno}: malformed replace directive")
        mod.replaces.append(
            (old[0], old[1] if len(old) == 2 else "", new[0], new[1] if len(new) == 2 else "")
        )


def _go_older_than_117(version: str) -> bool:
    parts = version.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return False
    return int(parts[0]) <= 1 and int(parts[1]) < 17


def gomod_packages(mod: GoModFile, file_path: str) -> tuple[Package, ...]:
    """Trivy's view: main module, requires (indirect ones only from go 1.17 on, where go.mod lists them
    all), replacements applied (a replacement by a local directory drops the module)."""
    # Before go 1.17 the indirect requirements in go.mod are incomplete (go.sum completes them).
    skip_indirect = _go_older_than_117(mod.go) if mod.go else True
    entries: dict[str, tuple[str, bool]] = {}
    for path, version, indirect in mod.requires:
        if skip_indirect and indirect:
            continue
        entries[path] = (version, indirect)
    for old_path, old_version, new_path, new_version in mod.replaces:
        if old_path not in entries:
            continue
        version, indirect = entries[old_path]
        if old_version and old_version != version:
            continue
        del entries[old_path]
        if new_version:
            entries[new_path] = (new_version, indirect)
    packages = [_package(p, v, file_path) for p, (v, _) in entries.items()]
    if mod.module:
        depends = tuple(sorted(p.id for p in packages))
        packages.append(_package(mod.module, "", file_path, depends))
    return tuple(sorted(packages, key=lambda p: (p.name, p.version)))


class GoSumAnalyzer(Analyzer):
    """``go.sum``: the modules whose content the build hashed (``h1:`` lines without ``/go.mod``).

    Reported as its own application (type ``gosum``); :func:`merge_go_sum` folds it into the go.mod
    beside it, which completes a pre-1.17 go.mod as Trivy does (go.mod lists every built module from
    go 1.17 on, so there it adds nothing).
    """

    name = "gosum"
    version = 2
    basenames = frozenset({"go.sum"})
    max_size = 16 * 1024 * 1024
    targets = frozenset({"fs"})

    def finish(self, applications: list[Application]) -> list[Application]:
        """Fold each go.sum result into the go.mod result beside it."""
        return merge_go_sum(applications)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """The modules built from, per the go.sum in ``data`` (the last listed version of each)."""
        text = data.decode("utf-8", errors="replace")
        latest: dict[str, str] = {}
        for line in text.splitlines():
            fields = line.split()
            # "/go.mod" lines only hash a module's go.mod, read while resolving versions: not built.
            if len(fields) < 3 or not fields[1].startswith("v") or fields[1].endswith("/go.mod"):
                continue
            latest[fields[0]] = fields[1]
        if not latest:
            return None
        packages = tuple(_package(p, v, path) for p, v in sorted(latest.items()))
        return FileFacts(path=path, applications=(Application("gosum", path, packages),))


def merge_go_sum(applications: Sequence[Application]) -> list[Application]:
    """Fold each ``gosum`` result into the ``gomod`` result of the same directory.

    Modules go.sum hashes but go.mod does not require are added to the go.mod result (an incomplete
    pre-1.17 go.mod); the go.sum result then goes. A go.sum without a go.mod beside it stays as it is.
    """
    gomods = {a.file_path.rpartition("/")[0]: i for i, a in enumerate(applications) if a.type == "gomod"}
    out = list(applications)
    folded: set[int] = set()
    for i, app in enumerate(applications):
        j = gomods.get(app.file_path.rpartition("/")[0]) if app.type == "gosum" else None
        if j is None:
            continue
        gomod = out[j]
        required = {p.name for p in gomod.packages}
        extra = tuple(
            replace(p, file_path=gomod.file_path, purl=go_purl(p.name, p.version))
            for p in app.packages
            if p.name not in required
        )
        packages = tuple(sorted(gomod.packages + extra, key=lambda p: (p.name, p.version)))
        out[j] = replace(gomod, packages=packages)
        folded.add(i)
    return [a for k, a in enumerate(out) if k not in folded]
