"""Dockerfile checks (DS*): what hadolint, Trivy DS and Checkov CKV_DOCKER users expect, multi-stage aware.

Checks about what ends up in the image (user, caches, installed tools, health check) look only at the
final stage and the stages it is built FROM; a builder stage whose files are copied selectively does
not make the image run as root or carry apt lists.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from seawall.misconfig.checks.shell import Command, commands
from seawall.misconfig.dockerfile import Dockerfile, Instruction, Stage, assignments
from seawall.misconfig.model import DOCKER_CIS, ConfigObject, Evaluate, Hit, ScanContext
from seawall.misconfig.registry import check
from seawall.model import Severity

HADOLINT = "https://github.com/hadolint/hadolint/wiki/"
DOCKER_REF = "https://docs.docker.com/reference/dockerfile/"
BEST = "https://docs.docker.com/build/building/best-practices/"

SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth[_-]?key)"
)
_NOT_SECRET_NAME = re.compile(r"(?i)(_file|_path|_dir|_url|_host|_user(name)?|_length|_id|_type)$")
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tar\.lz|tzst)$", re.I)
_URL = re.compile(r"^(https?|ftp)://|^git@|\.git(#.*)?$", re.I)

PRODUCTION_UNNEEDED = {
    "shell": {"bash", "dash", "zsh", "busybox", "ksh", "tcsh"},
    "package manager": {"apt", "dpkg", "apk-tools", "yum", "dnf", "microdnf", "rpm", "zypper", "tdnf"},
    "compiler": {"gcc", "g++", "clang", "make", "build-essential", "build-base", "cmake", "gcc-c++"},
    "debugger": {"gdb", "strace", "ltrace", "valgrind", "lsof"},
    "network tool": {
        "curl",
        "wget",
        "netcat",
        "netcat-openbsd",
        "netcat-traditional",
        "ncat",
        "nmap",
        "nmap-ncat",
        "socat",
        "telnet",
        "tcpdump",
        "openssh-client",
        "openssh-server",
        "ftp",
    },
}


def _df(obj: ConfigObject) -> Dockerfile:
    data = obj.data
    if not isinstance(data, Dockerfile):
        raise TypeError("not a parsed Dockerfile")
    return data


def _hit(instr: Instruction, message: str) -> Hit:
    return Hit(message, instr.json_path, instr.start_line, instr.end_line)


def _image_instructions(df: Dockerfile) -> Iterator[Instruction]:
    """Instructions of the final stage and the stages it is built FROM, in build order."""
    for stage in reversed(df.final_chain()):
        yield from stage.instructions


def _runs(df: Dockerfile, image_only: bool) -> Iterator[tuple[Instruction, list[Command]]]:
    source: Iterable[Instruction] = _image_instructions(df) if image_only else df.instructions
    for instr in source:
        if instr.cmd == "RUN":
            yield instr, commands(instr.script)


def _is_stage_ref(df: Dockerfile, stage: Stage) -> bool:
    return stage.parent is not None or stage.base.lower() == "scratch"


def _cache_mount(instr: Instruction, *targets: str) -> bool:
    for key, value in instr.flags:
        if key == "mount" and "type=cache" in value and any(t in value for t in targets):
            return True
    return False


def _dockerfile_check(
    id: str,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    refs: Iterable[str] = (),
    cis: str = "",
) -> Callable[[Evaluate], Evaluate]:
    compliance = [(DOCKER_CIS, cis)] if cis else []
    return check(
        id,
        title,
        severity,
        description,
        remediation,
        target="dockerfile",
        references=refs,
        compliance=compliance,
    )


def _user_is_root(value: str) -> bool:
    user = value.split(":", 1)[0].strip()
    return user in ("root", "0")


@_dockerfile_check(
    "DS001",
    "Image runs as root: the last USER is root",
    Severity.HIGH,
    "The last USER instruction of the image switches to root, so the container runs with uid 0.",
    "Switch to an unprivileged user with USER after the steps that need root.",
    [DOCKER_REF + "#user"],
    cis="4.1",
)
def _ds001(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    users = [i for i in _image_instructions(_df(obj)) if i.cmd == "USER"]
    if users and _user_is_root(users[-1].args):
        yield _hit(users[-1], f"The last USER is '{users[-1].args}'")


@_dockerfile_check(
    "DS002",
    "No USER instruction: the image runs as the base image's user (usually root)",
    Severity.MEDIUM,
    "Without a USER instruction the container runs as the base image's user, which is root for almost "
    "every base image.",
    "Create an unprivileged user and add USER <name> at the end of the Dockerfile.",
    [DOCKER_REF + "#user"],
    cis="4.1",
)
def _ds002(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    chain = df.final_chain()
    if not chain or any(i.cmd == "USER" for i in _image_instructions(df)):
        return
    base = chain[-1].base.lower()
    if base == "scratch" or "nonroot" in base or "rootless" in base:
        return
    final = chain[0]
    yield _hit(final.from_instruction, f"Stage '{final.alias or final.base}' never sets USER")


def _image_ref_parts(ref: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        name = name[: len(name) - len(tag) - 1]
    return name, tag, digest


def image_registry(ref: str) -> str:
    """The registry host of an image reference (``docker.io`` for Docker Hub short names)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


@_dockerfile_check(
    "DS003",
    "Base image uses the 'latest' tag or no tag",
    Severity.MEDIUM,
    "An untagged or 'latest' base image changes under you: builds are not reproducible and can pick up "
    "a broken or compromised release.",
    "Pin the base image to a specific version tag, ideally with a digest (image:1.2.3@sha256:...).",
    [HADOLINT + "DL3006", HADOLINT + "DL3007"],
)
def _ds003(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    for stage in df.stages:
        if _is_stage_ref(df, stage) or "$" in stage.base or not stage.base:
            continue
        _, tag, digest = _image_ref_parts(stage.base)
        if digest:
            continue
        if not tag:
            yield _hit(stage.from_instruction, f"Base image '{stage.base}' has no tag (implies 'latest')")
        elif tag == "latest":
            yield _hit(stage.from_instruction, f"Base image '{stage.base}' uses the 'latest' tag")


def _add_sources(instr: Instruction) -> list[str]:
    words = instr.words
    return words[:-1] if len(words) >= 2 else []


@_dockerfile_check(
    "DS004",
    "ADD used to copy local files: use COPY",
    Severity.LOW,
    "ADD also extracts archives and fetches URLs; for plain local files COPY is explicit and safer.",
    "Replace ADD with COPY for local files and directories.",
    [HADOLINT + "DL3020"],
    cis="4.9",
)
def _ds004(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd != "ADD" or instr.heredocs:
            continue
        local = [s for s in _add_sources(instr) if not _URL.search(s) and not _ARCHIVE.search(s)]
        if local:
            yield _hit(instr, f"ADD copies local files ({', '.join(local[:3])}); use COPY")


@_dockerfile_check(
    "DS005",
    "ADD fetches a remote URL without a checksum",
    Severity.MEDIUM,
    "ADD <url> downloads content at build time without verifying it; a changed or hijacked URL "
    "silently changes the image.",
    "Use ADD --checksum=sha256:... (or curl with a checksum check) for remote files, or vendor them.",
    [DOCKER_REF + "#add---checksum"],
    cis="4.9",
)
def _ds005(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd != "ADD" or instr.flag("checksum") is not None:
            continue
        urls = [s for s in _add_sources(instr) if _URL.search(s)]
        if urls:
            yield _hit(instr, f"ADD downloads {urls[0]} without --checksum")


_SHELLS = frozenset({"sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python3", "perl", "ruby", "node"})


@_dockerfile_check(
    "DS006",
    "Downloaded script piped into a shell",
    Severity.MEDIUM,
    "curl|sh runs whatever the server returns at build time, without any integrity check.",
    "Download the script, verify its checksum or signature, then run it.",
    ["https://www.seancassidy.me/dont-pipe-to-your-shell.html"],
)
def _ds006(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        for prev, cur in itertools.pairwise(cmds):
            if cur.piped_from and prev.name in ("curl", "wget") and cur.name in _SHELLS:
                yield _hit(instr, f"'{prev.name} ... | {cur.name}' runs a downloaded script unverified")
                break


_PKG_MANAGERS = frozenset({"apt-get", "apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


def _pkg_install(cmd: Command) -> str:
    """The package manager if ``cmd`` installs packages, else ``""``."""
    if cmd.name not in _PKG_MANAGERS:
        return ""  # most commands: decided without copying the arguments (called ~100k times per corpus)
    args = cmd.arguments
    if cmd.name in ("apt-get", "apt") and "install" in args:
        return cmd.name
    if cmd.name == "apk" and "add" in args:
        return "apk"
    if cmd.name in ("yum", "dnf", "microdnf", "tdnf") and ("install" in args or "groupinstall" in args):
        return cmd.name
    if cmd.name == "zypper" and ({"install", "in"} & set(args)):
        return "zypper"
    return ""


def _packages(cmd: Command) -> list[str]:
    """Package arguments of an install command (flags, option values and local files dropped)."""
    out: list[str] = []
    seen_verb = False
    skip_next = False
    for word in cmd.words[1:]:
        if skip_next:
            skip_next = False
            continue
        if word.startswith("-"):
            # Options that take a separate value.
            if word in ("-t", "--target-release", "-o", "--option", "--repository", "-X", "--enablerepo"):
                skip_next = True
            continue
        if not seen_verb:
            seen_verb = word in ("install", "add", "in", "groupinstall")
            continue
        if "/" in word or word.endswith((".deb", ".rpm", ".apk")) or "$" in word or word.startswith("<"):
            continue
        out.append(word)
    return out


@_dockerfile_check(
    "DS007",
    "Package install without the non-interactive yes flag",
    Severity.LOW,
    "apt-get/yum/dnf/zypper install without -y waits for confirmation, which fails or hangs a build.",
    "Add -y (apt-get, yum, dnf) or -n / --non-interactive (zypper).",
    [HADOLINT + "DL3014", HADOLINT + "DL3030"],
)
def _ds007(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        for cmd in cmds:
            pm = _pkg_install(cmd)
            if pm in ("apt-get", "yum", "dnf", "tdnf"):
                ok = cmd.has("-y", "--yes", "--assume-yes", "-qq", "--assumeyes") or any(
                    w.startswith("--yes") or w == "-qy" for w in cmd.words
                )
                if not ok:
                    yield _hit(instr, f"'{pm} install' without -y")
            elif pm == "zypper" and not any(
                w in ("-n", "--non-interactive", "-y", "--no-confirm") for w in cmd.raw
            ):
                yield _hit(instr, "'zypper install' without -n/--non-interactive")


@_dockerfile_check(
    "DS008",
    "apt-get install without --no-install-recommends",
    Severity.LOW,
    "Recommended packages add size and attack surface the application rarely needs.",
    "Add --no-install-recommends to apt-get install.",
    [HADOLINT + "DL3015"],
)
def _ds008(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        for cmd in cmds:
            if _pkg_install(cmd) == "apt-get" and not any(
                "no-install-recommends" in w or "Install-Recommends=false" in w for w in cmd.words
            ):
                yield _hit(instr, "'apt-get install' without --no-install-recommends")
                break


def _removes(cmds: list[Command], *paths: str) -> bool:
    if "/var/lib/apt/lists" in paths and any(c.name == "apt-get" and "dist-clean" in c.args() for c in cmds):
        return True
    for cmd in cmds:
        if cmd.name == "rm" and any(any(w.rstrip("/*").startswith(p) for p in paths) for w in cmd.args()):
            return True
    return False


@_dockerfile_check(
    "DS009",
    "apt lists left in the image",
    Severity.LOW,
    "apt-get update downloads package lists; left in the layer they only add size.",
    "End the RUN that installs packages with 'rm -rf /var/lib/apt/lists/*' (or use a cache mount).",
    [HADOLINT + "DL3009"],
)
def _ds009(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        updates = any(c.name in ("apt-get", "apt") and "update" in c.args() for c in cmds)
        if not updates or _cache_mount(instr, "/var/lib/apt"):
            continue
        if not _removes(cmds, "/var/lib/apt/lists", "/var/lib/apt"):
            yield _hit(instr, "apt-get update without removing /var/lib/apt/lists in the same RUN")


_UPDATE = {"apt-get": "update", "apt": "update", "apk": "update", "yum": "makecache", "dnf": "makecache"}


@_dockerfile_check(
    "DS010",
    "Package index update without an install in the same RUN",
    Severity.MEDIUM,
    "A RUN that only updates the package index is cached as its own layer; later installs then use a "
    "stale index and miss security updates.",
    "Combine the update and the install in one RUN: apt-get update && apt-get install -y ...",
    [BEST + "#apt-get"],
    cis="4.7",
)
def _ds010(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        for index, cmd in enumerate(cmds):
            verb = _UPDATE.get(cmd.name)
            if verb is None or verb not in cmd.args():
                continue
            later = cmds[index + 1 :]
            if not any(_pkg_install(c) or (c.args()[:1] == ["upgrade"]) for c in later):
                yield _hit(instr, f"'{cmd.name} {verb}' is not followed by an install in the same RUN")
                break


def _unpinned(cmd: Command, pinned: re.Pattern[str]) -> list[str]:
    return [p for p in _packages(cmd) if not pinned.search(p)]


@_dockerfile_check(
    "DS011",
    "apt-get install without version pins",
    Severity.LOW,
    "Unpinned packages make builds non-reproducible. Pinning is a hint, not a vulnerability: many "
    "teams rely on rebuilding to get security updates instead.",
    "Pin versions (apt-get install pkg=1.2.3-1) or accept rebuild-driven updates and skip this check.",
    [HADOLINT + "DL3008"],
)
def _ds011(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        for cmd in cmds:
            if _pkg_install(cmd) == "apt-get":
                loose = _unpinned(cmd, re.compile(r"=|\*"))
                if loose:
                    yield _hit(instr, f"Unpinned packages: {', '.join(loose[:8])}")
                    break


@_dockerfile_check(
    "DS012",
    "apk add without --no-cache",
    Severity.LOW,
    "apk add keeps its index cache in the layer unless --no-cache is given.",
    "Use 'apk add --no-cache' (or remove /var/cache/apk/* in the same RUN).",
    [HADOLINT + "DL3019"],
)
def _ds012(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        if _cache_mount(instr, "/var/cache/apk", "/etc/apk/cache") or _removes(cmds, "/var/cache/apk"):
            continue
        for cmd in cmds:
            if _pkg_install(cmd) == "apk" and not cmd.has("--no-cache"):
                yield _hit(instr, "'apk add' without --no-cache")
                break


@_dockerfile_check(
    "DS013",
    "apk add without version pins",
    Severity.LOW,
    "Unpinned apk packages make builds non-reproducible (a hint; rebuilding for updates is a valid choice).",
    "Pin versions (apk add pkg=1.2.3-r0) or skip this check.",
    [HADOLINT + "DL3018"],
)
def _ds013(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        for cmd in cmds:
            if _pkg_install(cmd) == "apk" and not cmd.has("--virtual", "-t"):
                loose = _unpinned(cmd, re.compile(r"[=~<>]"))
                if loose:
                    yield _hit(instr, f"Unpinned packages: {', '.join(loose[:8])}")
                    break


def _cleanup_check(managers: tuple[str, ...], cache: str) -> Evaluate:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        for instr, cmds in _runs(_df(obj), image_only=True):
            installs = [c for c in cmds if _pkg_install(c) in managers]
            if not installs or _cache_mount(instr, cache):
                continue
            cleaned = any(c.name in managers and "clean" in c.args() for c in cmds) or _removes(cmds, cache)
            if not cleaned:
                yield _hit(instr, f"'{installs[0].name} install' without '{installs[0].name} clean all'")

    return evaluate


_ds014 = _dockerfile_check(
    "DS014",
    "yum install without yum clean all",
    Severity.LOW,
    "yum keeps downloaded packages and metadata in /var/cache/yum unless cleaned in the same RUN.",
    "Add '&& yum clean all' (or rm -rf /var/cache/yum) to the RUN that installs.",
    [HADOLINT + "DL3032"],
)(_cleanup_check(("yum",), "/var/cache/yum"))
_ds015 = _dockerfile_check(
    "DS015",
    "dnf/microdnf install without dnf clean all",
    Severity.LOW,
    "dnf keeps downloaded packages and metadata in /var/cache/dnf unless cleaned in the same RUN.",
    "Add '&& dnf clean all' (or rm -rf /var/cache/dnf) to the RUN that installs.",
    [HADOLINT + "DL3040"],
)(_cleanup_check(("dnf", "microdnf", "tdnf"), "/var/cache/dnf"))
_ds016 = _dockerfile_check(
    "DS016",
    "zypper install without zypper clean",
    Severity.LOW,
    "zypper keeps its cache in /var/cache/zypp unless cleaned in the same RUN.",
    "Add '&& zypper clean' to the RUN that installs.",
    [HADOLINT + "DL3036"],
)(_cleanup_check(("zypper",), "/var/cache/zypp"))


@_dockerfile_check(
    "DS017",
    "pip install without --no-cache-dir",
    Severity.LOW,
    "pip keeps downloaded wheels in ~/.cache/pip, adding size to the layer.",
    "Use 'pip install --no-cache-dir' or set ENV PIP_NO_CACHE_DIR=1.",
    [HADOLINT + "DL3042"],
)
def _ds017(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    if any(i.cmd == "ENV" and "PIP_NO_CACHE_DIR" in i.args for i in _image_instructions(df)):
        return
    for instr, cmds in _runs(df, image_only=True):
        if _cache_mount(instr, "pip"):
            continue
        for cmd in cmds:
            pip = cmd.name in ("pip", "pip3") or (
                cmd.name.startswith("python") and cmd.words[1:3] == ("-m", "pip")
            )
            if pip and "install" in cmd.words and not cmd.has("--no-cache-dir"):
                yield _hit(instr, "'pip install' without --no-cache-dir")
                break


@_dockerfile_check(
    "DS018",
    "sudo used in RUN",
    Severity.MEDIUM,
    "sudo in a Dockerfile has unpredictable TTY and signal behaviour, and its presence in the image lets "
    "any process that reaches a sudoer become root.",
    "Run the step as root (USER root ... USER app) instead of sudo, and do not install sudo.",
    [HADOLINT + "DL3004"],
)
def _ds018(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        if any(c.raw and c.raw[0] == "sudo" for c in cmds):
            yield _hit(instr, "RUN uses sudo")


def looks_secret(name: str, value: str) -> bool:
    """A variable whose name says it holds a secret and whose value is a literal (not a reference)."""
    if not SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name):
        return False
    value = value.strip().strip("'\"")
    return (
        bool(value) and not value.startswith("$") and value.lower() not in ("true", "false", "none", "null")
    )


@_dockerfile_check(
    "DS019",
    "Secret stored in ENV or ARG default",
    Severity.HIGH,
    "ENV values and ARG defaults are stored in the image config and history, readable by anyone who "
    "can pull the image.",
    "Pass secrets at build time with RUN --mount=type=secret and at run time from a secret store.",
    [DOCKER_REF + "#run---mounttypesecret"],
    cis="4.10",
)
def _ds019(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd not in ("ENV", "ARG"):
            continue
        for name, value in assignments(instr.args, legacy_env=instr.cmd == "ENV"):
            if looks_secret(name, value):
                yield _hit(instr, f"{instr.cmd} {name} holds a literal secret value")


@_dockerfile_check(
    "DS020",
    "Secret passed as a build argument",
    Severity.MEDIUM,
    "Build arguments used by RUN are recorded in the image history, so a secret passed with "
    "--build-arg leaks to everyone who can pull the image.",
    "Use RUN --mount=type=secret,id=... instead of ARG for secrets.",
    [DOCKER_REF + "#run---mounttypesecret"],
    cis="4.10",
)
def _ds020(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd != "ARG":
            continue
        for name, value in assignments(instr.args):
            if not value and SECRET_NAME.search(name) and not _NOT_SECRET_NAME.search(name):
                yield _hit(instr, f"ARG {name} looks like a secret passed with --build-arg")


def _ports(instr: Instruction) -> list[tuple[str, str]]:
    out = []
    for word in instr.words:
        port, _, proto = word.partition("/")
        out.append((port, proto.lower() or "tcp"))
    return out


@_dockerfile_check(
    "DS021",
    "Port 22 (SSH) exposed",
    Severity.MEDIUM,
    "Running sshd in a container adds a remote login service and credentials to manage; use "
    "'docker exec' or 'kubectl exec' instead.",
    "Remove EXPOSE 22 and the SSH server.",
    [DOCKER_REF + "#expose"],
    cis="5.7",
)
def _ds021(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _image_instructions(_df(obj)):
        if instr.cmd == "EXPOSE":
            for port, _proto in _ports(instr):
                low, _, high = port.partition("-")
                if low.isdigit() and (port == "22" or (high.isdigit() and int(low) <= 22 <= int(high))):
                    yield _hit(instr, f"EXPOSE {port} exposes SSH")


@_dockerfile_check(
    "DS022",
    "No HEALTHCHECK instruction",
    Severity.LOW,
    "Without a health check the engine cannot tell a hung container from a healthy one.",
    "Add HEALTHCHECK CMD ... (orchestrators with their own probes, such as Kubernetes, may skip this).",
    [DOCKER_REF + "#healthcheck"],
    cis="4.6",
)
def _ds022(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    chain = df.final_chain()
    if not chain or (chain[-1].base.lower() == "scratch" and len(chain[0].instructions) <= 1):
        return
    if not any(i.cmd == "HEALTHCHECK" for i in _image_instructions(df)):
        yield _hit(chain[0].from_instruction, "The image defines no HEALTHCHECK")


def _duplicate_check(cmd_name: str) -> Evaluate:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        for stage in _df(obj).stages:
            found = [i for i in stage.instructions if i.cmd == cmd_name]
            for extra in found[:-1]:
                yield _hit(
                    extra, f"{cmd_name} at line {extra.start_line} is overridden by a later {cmd_name}"
                )

    return evaluate


_ds023 = _dockerfile_check(
    "DS023",
    "Multiple CMD instructions in one stage",
    Severity.MEDIUM,
    "Only the last CMD takes effect; earlier ones are dead code that misleads readers.",
    "Keep one CMD per stage.",
    [HADOLINT + "DL4003"],
)(_duplicate_check("CMD"))
_ds024 = _dockerfile_check(
    "DS024",
    "Multiple ENTRYPOINT instructions in one stage",
    Severity.MEDIUM,
    "Only the last ENTRYPOINT takes effect; earlier ones are dead code that misleads readers.",
    "Keep one ENTRYPOINT per stage.",
    [HADOLINT + "DL4004"],
)(_duplicate_check("ENTRYPOINT"))


@_dockerfile_check(
    "DS025",
    "WORKDIR is a relative path",
    Severity.LOW,
    "A relative WORKDIR depends on the previous WORKDIR and breaks when instructions move.",
    "Use an absolute path in WORKDIR.",
    [HADOLINT + "DL3000"],
)
def _ds025(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd != "WORKDIR":
            continue
        path = instr.args.strip().strip("'\"")
        if path and not path.startswith(("/", "$")) and not re.match(r"^[A-Za-z]:[\\/]", path):
            yield _hit(instr, f"WORKDIR '{path}' is relative")


_WORLD_WRITABLE = re.compile(r"^(0?[0-7]?[0-7][2367]|[0-7]*777)$")


@_dockerfile_check(
    "DS026",
    "chmod makes files world-writable",
    Severity.MEDIUM,
    "World-writable files (chmod 777, o+w) let any process in the container modify them.",
    "Grant write access to the owning user or group only (e.g. chmod 755 / 775 with chown).",
    ["https://wiki.debian.org/Permissions"],
)
def _ds026(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        for cmd in cmds:
            if cmd.name != "chmod":
                continue
            args = [w for w in cmd.words[1:] if not w.startswith("-")]
            mode = args[0] if args else ""
            targets = args[1:]
            removed = {w for c in cmds if c.name == "rm" for w in c.args()}
            if targets and all(t in removed or t.rstrip("/") in ("/tmp", "/var/tmp") for t in targets):
                continue  # a scratch directory deleted in the same RUN, or the sticky temp dirs
            symbolic = re.match(r"^[ugoa]*[+=][rwxXst]*$", mode) and (
                ("o" in mode.split("+")[0].split("=")[0] or mode.startswith(("a", "+", "="))) and "w" in mode
            )
            # A sticky world-writable directory (1777, +t) is the /tmp pattern images use on purpose for
            # "run as an arbitrary user" (the official php images); only plain world-writable is reported.
            sticky = (len(mode) == 4 and mode[0] in "1357") or "t" in mode
            if (_WORLD_WRITABLE.match(mode) or symbolic) and not sticky:
                yield _hit(instr, f"'chmod {mode}' makes files world-writable")
                break
    for instr in _image_instructions(_df(obj)):
        if instr.cmd in ("COPY", "ADD"):
            mode = instr.flag("chmod") or ""
            if _WORLD_WRITABLE.match(mode):
                yield _hit(instr, f"{instr.cmd} --chmod={mode} makes files world-writable")


@_dockerfile_check(
    "DS027",
    "RUN --security=insecure",
    Severity.HIGH,
    "RUN --security=insecure runs the build step without sandboxing, like a privileged container.",
    "Remove --security=insecure; grant the specific capability the step needs some other way.",
    [DOCKER_REF + "#run---security"],
)
def _ds027(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd == "RUN" and instr.flag("security") == "insecure":
            yield _hit(instr, "RUN --security=insecure runs the step privileged")


@_dockerfile_check(
    "DS028",
    "COPY followed by chown: use COPY --chown",
    Severity.LOW,
    "chown in a later RUN duplicates every copied file in a new layer.",
    "Use COPY --chown=user:group instead of a separate RUN chown.",
    [DOCKER_REF + "#copy---chown---chmod"],
)
def _ds028(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for stage in _df(obj).stages:
        copied: dict[str, Instruction] = {}
        for instr in stage.instructions:
            if instr.cmd in ("COPY", "ADD") and instr.flag("chown") is None and len(instr.words) >= 2:
                copied[instr.words[-1].rstrip("/") or "/"] = instr
            elif instr.cmd == "RUN":
                for cmd in commands(instr.script):
                    if cmd.name != "chown":
                        continue
                    targets = [w.rstrip("/") for w in cmd.args()[1:]]
                    match = next((t for t in targets if t in copied and t not in ("", "/")), None)
                    if match:
                        yield _hit(instr, f"chown of {match} copied at line {copied[match].start_line}")
                        copied.pop(match)


@_dockerfile_check(
    "DS029",
    "MAINTAINER is deprecated",
    Severity.LOW,
    "MAINTAINER is deprecated; the LABEL form is what tools read.",
    'Use LABEL org.opencontainers.image.authors="..." instead.',
    [HADOLINT + "DL4000"],
)
def _ds029(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd == "MAINTAINER":
            yield _hit(instr, "MAINTAINER is deprecated")


@_dockerfile_check(
    "DS030",
    "Duplicate stage name",
    Severity.MEDIUM,
    "Two stages with the same AS name make COPY --from and FROM references ambiguous; BuildKit refuses it.",
    "Give every stage a unique name.",
    [HADOLINT + "DL3024"],
)
def _ds030(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    seen: dict[str, Stage] = {}
    for stage in _df(obj).stages:
        alias = stage.alias.lower()
        if alias and alias in seen:
            yield _hit(
                stage.from_instruction,
                f"Stage name '{stage.alias}' is already used at line "
                f"{seen[alias].from_instruction.start_line}",
            )
        elif alias:
            seen[alias] = stage


@_dockerfile_check(
    "DS031",
    "apt used instead of apt-get",
    Severity.LOW,
    "apt is meant for interactive use and warns that its command-line interface is not stable.",
    "Use apt-get (or apt-cache) in scripts.",
    [HADOLINT + "DL3027"],
)
def _ds031(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        if any(c.name == "apt" and c.args()[:1] and c.args()[0] not in ("-h", "--help") for c in cmds):
            yield _hit(instr, "RUN uses apt; use apt-get")


@_dockerfile_check(
    "DS032",
    "cd used to change directory for later instructions",
    Severity.LOW,
    "A RUN that consists only of 'cd' has no effect on later instructions; WORKDIR does.",
    "Use WORKDIR to change the working directory.",
    [HADOLINT + "DL3003"],
)
def _ds032(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    # Only a RUN whose last command is cd is a mistake; 'cd dir && make' is a normal idiom.
    for instr, cmds in _runs(_df(obj), image_only=False):
        if cmds and cmds[-1].name == "cd" and not instr.heredocs:
            yield _hit(instr, "RUN ends with 'cd', which does not carry over to later instructions")


@_dockerfile_check(
    "DS033",
    "COPY --from refers to its own or a later stage",
    Severity.MEDIUM,
    "A stage cannot copy from itself or from a stage defined after it; the build fails or copies from "
    "an image of the same name instead.",
    "Point COPY --from at an earlier stage.",
    [HADOLINT + "DL3022", HADOLINT + "DL3023"],
)
def _ds033(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    index = {s.alias.lower(): s.index for s in df.stages if s.alias}
    for instr in df.instructions:
        source = instr.flag("from") if instr.cmd == "COPY" else None
        if not source or instr.stage < 0:
            continue
        target = int(source) if source.isdigit() else index.get(source.lower())
        if target is not None and target >= instr.stage:
            yield _hit(instr, f"COPY --from={source} refers to stage {target}, not an earlier one")


_INSECURE_RUN = [
    (("curl",), ("-k", "--insecure"), "curl -k disables TLS certificate verification"),
    (("wget",), ("--no-check-certificate",), "wget --no-check-certificate disables TLS verification"),
    (("pip", "pip3"), ("--trusted-host",), "pip --trusted-host disables TLS verification for a host"),
]


@_dockerfile_check(
    "DS034",
    "TLS certificate verification disabled in a download",
    Severity.HIGH,
    "Downloads without certificate verification can be replaced by anyone on the network path.",
    "Keep certificate verification on; add the CA to the trust store if a private CA is used.",
    ["https://curl.se/docs/sslcerts.html"],
)
def _ds034(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        for cmd in cmds:
            message = _insecure_download(cmd)
            if message:
                yield _hit(instr, message)
                break


def _insecure_download(cmd: Command) -> str:
    for names, flags, message in _INSECURE_RUN:
        if cmd.name in names and cmd.has(*flags):
            return message
    lowered = [w.lower() for w in cmd.words]
    if cmd.name == "git" and (
        any("sslverify=false" in w for w in lowered) or ("http.sslverify" in lowered and "false" in lowered)
    ):
        return "git is configured with http.sslVerify=false"
    if cmd.name in ("npm", "yarn", "pnpm") and "set" in lowered:
        for index, word in enumerate(lowered):
            key, _, value = word.partition("=")
            if key.strip("'\"") != "strict-ssl":
                continue
            value = value or (lowered[index + 1] if index + 1 < len(lowered) else "")
            if value.strip("'\"") == "false":
                return f"{cmd.name} strict-ssl is set to false"
    if cmd.name in ("yum-config-manager", "dnf-config-manager", "dnf", "yum", "microdnf") and any(
        re.search(r"sslverify=(0|false|no)", w) for w in lowered
    ):
        return f"{cmd.name} sslverify is disabled"
    return ""


@_dockerfile_check(
    "DS035",
    "Package signature verification disabled",
    Severity.HIGH,
    "Installing packages without signature checks accepts tampered or unauthenticated packages.",
    "Remove --allow-untrusted / --allow-unauthenticated / --force-yes / --nogpgcheck / rpm --nosignature; "
    "import the repository key instead.",
    ["https://wiki.debian.org/SecureApt"],
    cis="4.11",
)
def _ds035(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    rules = [
        (("apk",), ("--allow-untrusted",)),
        (("apt-get", "apt"), ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories")),
        (("yum", "dnf", "tdnf", "microdnf", "zypper"), ("--nogpgcheck", "--no-gpg-checks")),
        (("rpm",), ("--nodigest", "--nosignature", "--nosig", "--noverify")),
    ]
    for instr, cmds in _runs(_df(obj), image_only=False):
        for cmd in cmds:
            bad = next(
                (f for names, flags in rules if cmd.name in names for f in flags if f in cmd.words), ""
            )
            if not bad and cmd.name in ("apt-get", "apt"):
                bad = next((w for w in cmd.words if "AllowUnauthenticated=true" in w), "")
            if bad:
                yield _hit(instr, f"{cmd.name} {bad} skips package signature verification")
                break


# Variable name -> the values that disable verification (None: any value does).
_TLS_ENV: dict[str, tuple[str, ...] | None] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": ("0",),
    "PYTHONHTTPSVERIFY": ("0",),
    "GIT_SSL_NO_VERIFY": None,
    "NPM_CONFIG_STRICT_SSL": ("false", "0", "no"),
    "PIP_TRUSTED_HOST": None,
}


def _tls_env_disables(name: str, value: str) -> bool:
    upper = name.upper()
    if upper not in _TLS_ENV:
        return False
    bad = _TLS_ENV[upper]
    # ``value`` is already unquoted by the word splitter; a value such as 0" is not 0.
    return bad is None or value.lower() in bad


@_dockerfile_check(
    "DS036",
    "Environment variable disables TLS certificate verification",
    Severity.HIGH,
    "NODE_TLS_REJECT_UNAUTHORIZED=0, PYTHONHTTPSVERIFY=0, GIT_SSL_NO_VERIFY, NPM_CONFIG_STRICT_SSL=false "
    "and PIP_TRUSTED_HOST turn off certificate checks for every later download, at build and run time.",
    "Remove the variable; trust a private CA by adding it to the system store.",
    ["https://nodejs.org/api/cli.html#node_tls_reject_unauthorizedvalue"],
)
def _ds036(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd not in ("ENV", "ARG"):
            continue
        for name, value in assignments(instr.args, legacy_env=instr.cmd == "ENV"):
            if (instr.cmd == "ENV" or value) and _tls_env_disables(name, value):
                yield _hit(instr, f"{instr.cmd} {name}={value} disables certificate verification")
    for instr, cmds in _runs(_df(obj), image_only=False):
        pairs = [(n, v) for c in cmds for n, v in c.assignments]
        pairs += [w.partition("=")[::2] for c in cmds if c.name == "export" for w in c.words[1:]]
        bad = next(((n, v) for n, v in pairs if _tls_env_disables(n, v)), None)
        if bad:
            yield _hit(instr, f"{bad[0]}={bad[1]} disables certificate verification")


@_dockerfile_check(
    "DS037",
    "Password set with chpasswd",
    Severity.MEDIUM,
    "chpasswd in a Dockerfile puts a password in the image history and a usable login in the image.",
    "Do not set passwords in images; lock accounts and use keys or an identity provider.",
    ["https://man7.org/linux/man-pages/man8/chpasswd.8.html"],
)
def _ds037(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=False):
        if any(c.name == "chpasswd" for c in cmds):
            yield _hit(instr, "RUN sets a password with chpasswd")


def untrusted_registry(ref: str, trusted: Iterable[str]) -> str:
    """The registry of ``ref`` when it is not in ``trusted`` (suffix match on host names), else ``""``."""
    registry = image_registry(ref)
    for allowed in trusted:
        allowed = allowed.lower().rstrip("/")
        if registry == allowed or registry.endswith("." + allowed) or registry.split(":")[0] == allowed:
            return ""
    return registry


@_dockerfile_check(
    "DS038",
    "Base image from a registry outside the trusted list",
    Severity.MEDIUM,
    "Base images should come from registries your organisation trusts (the seed's trusted-image practice).",
    "Use a base image from a trusted registry, or add the registry to --trusted-registries.",
    ["https://docs.docker.com/build/building/best-practices/#from"],
    cis="4.2",
)
def _ds038(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    for stage in df.stages:
        if _is_stage_ref(df, stage) or "$" in stage.base or not stage.base:
            continue
        registry = untrusted_registry(stage.base, ctx.trusted_registries)
        if registry:
            yield _hit(
                stage.from_instruction, f"Base image '{stage.base}' comes from untrusted registry {registry}"
            )


def unneeded_tools(names: Iterable[str]) -> dict[str, list[str]]:
    """Group package names that production images rarely need by category."""
    found: dict[str, list[str]] = {}
    for name in names:
        base = name.split("=", 1)[0].split(":", 1)[0]
        for category, members in PRODUCTION_UNNEEDED.items():
            if base in members:
                found.setdefault(category, []).append(base)
    return found


@_dockerfile_check(
    "DS039",
    "Image carries tools production rarely needs",
    Severity.LOW,
    "Shells, package managers, compilers, debuggers and network tools (curl, wget, nc) in the final "
    "image help an attacker who gets in. Hardening advice, not a vulnerability.",
    "Build in a separate stage and copy only the artefacts into a slim or distroless final image, or "
    "remove the tools in the same RUN.",
    ["https://github.com/GoogleContainerTools/distroless"],
    cis="4.3",
)
def _ds039(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr, cmds in _runs(_df(obj), image_only=True):
        installed: list[str] = []
        removed: set[str] = set()
        for cmd in cmds:
            if _pkg_install(cmd):
                installed.extend(_packages(cmd))
            elif cmd.args()[:1] and cmd.args()[0] in ("purge", "remove", "del", "autoremove", "erase"):
                removed.update(cmd.args()[1:])
        found = unneeded_tools(p for p in installed if p.split("=")[0] not in removed)
        if found:
            listed = "; ".join(f"{cat}s: {', '.join(sorted(set(p)))}" for cat, p in sorted(found.items()))
            yield _hit(instr, f"Final image installs {listed}")


@_dockerfile_check(
    "DS040",
    "CMD or ENTRYPOINT in shell form",
    Severity.LOW,
    "In shell form the process runs under /bin/sh -c and does not receive SIGTERM, so stops are slow "
    "and unclean.",
    'Use the JSON (exec) form: CMD ["executable", "arg"].',
    [HADOLINT + "DL3025"],
)
def _ds040(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    final = _df(obj).final_stage
    if final is None:
        return
    for name in ("ENTRYPOINT", "CMD"):
        last = [i for i in final.instructions if i.cmd == name][-1:]
        if last and last[0].json_form is None and last[0].args.strip():
            yield _hit(last[0], f"{name} uses shell form")


@_dockerfile_check(
    "DS041",
    "Download piped without pipefail",
    Severity.LOW,
    "Without 'set -o pipefail' a failed curl/wget before a pipe is ignored and the build goes on with "
    "empty input.",
    'Add SHELL ["/bin/bash", "-o", "pipefail", "-c"] or start the RUN with set -o pipefail.',
    [HADOLINT + "DL4006"],
)
def _ds041(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    df = _df(obj)
    for stage in df.stages:
        pipefail = False
        for instr in stage.instructions:
            if instr.cmd == "SHELL":
                pipefail = "pipefail" in instr.args
            if instr.cmd != "RUN" or pipefail or instr.json_form is not None:
                continue
            script = instr.script
            if "pipefail" in script:
                continue
            # Only a download on the left of a pipe is reported: a failed download then silently feeds
            # empty input on (the case that breaks builds); '| sort', '| grep' noise is left out.
            cmds = commands(script)
            for prev, cur in itertools.pairwise(cmds):
                if cur.piped_from and prev.name in ("curl", "wget") and cur.name not in _SHELLS:
                    yield _hit(instr, f"'{prev.name} ... | {cur.name}' without 'set -o pipefail'")
                    break


@_dockerfile_check(
    "DS042",
    "Private key or credentials file copied into the image",
    Severity.HIGH,
    "Keys and credential files copied into a layer stay in the image even if deleted later.",
    "Mount the file as a build secret (RUN --mount=type=secret) or provide it at run time.",
    [DOCKER_REF + "#run---mounttypesecret"],
    cis="4.10",
)
def _ds042(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    pattern = re.compile(
        r"(^|/)(id_rsa|id_dsa|id_ecdsa|id_ed25519|\.netrc|\.npmrc|\.pypirc|\.git-credentials|"
        r"credentials(\.json)?|\.env|\.aws|\.ssh|[^/]*\.(pem|key|p12|pfx))/?$",
        re.I,
    )
    for instr in _df(obj).instructions:
        if instr.cmd not in ("COPY", "ADD") or instr.heredocs:
            continue
        for source in instr.words[:-1]:
            if pattern.search(source) and not source.endswith(".pub"):
                yield _hit(instr, f"{instr.cmd} copies {source} into the image")
                break


@_dockerfile_check(
    "DS043",
    "COPY of several sources to a destination that is not a directory",
    Severity.LOW,
    "With more than one source, the destination must end with '/'; otherwise the build fails.",
    "End the destination with '/'.",
    [HADOLINT + "DL3021"],
)
def _ds043(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd in ("COPY", "ADD") and not instr.heredocs:
            words = instr.words
            if len(words) > 2 and not words[-1].endswith(("/", "\\")) and "$" not in words[-1]:
                yield _hit(instr, f"{len(words) - 1} sources copied to '{words[-1]}' without a trailing '/'")


@_dockerfile_check(
    "DS044",
    "FROM with a fixed --platform",
    Severity.LOW,
    "A hard-coded --platform makes the image build for one architecture even when others are requested.",
    "Use --platform=$BUILDPLATFORM or $TARGETPLATFORM, or drop the flag.",
    [HADOLINT + "DL3029"],
)
def _ds044(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for stage in _df(obj).stages:
        if stage.platform and "$" not in stage.platform:
            yield _hit(stage.from_instruction, f"FROM --platform={stage.platform} is fixed")


@_dockerfile_check(
    "DS045",
    "Multiple HEALTHCHECK instructions in one stage",
    Severity.LOW,
    "Only the last HEALTHCHECK takes effect.",
    "Keep one HEALTHCHECK per stage.",
    [DOCKER_REF + "#healthcheck"],
)
def _ds045(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    evaluate = _duplicate_check("HEALTHCHECK")
    yield from evaluate(obj, ctx)


@_dockerfile_check(
    "DS046",
    "EXPOSE with an invalid port",
    Severity.LOW,
    "Ports must be numbers from 1 to 65535 (or ranges), optionally with /tcp or /udp.",
    "Fix the port number.",
    [HADOLINT + "DL3011"],
)
def _ds046(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for instr in _df(obj).instructions:
        if instr.cmd != "EXPOSE":
            continue
        for port, proto in _ports(instr):
            if "$" in port or ":" in port:
                continue
            parts = port.split("-")
            if proto not in ("tcp", "udp", "sctp") or not all(
                p.isdigit() and 0 < int(p) < 65536 for p in parts
            ):
                yield _hit(instr, f"EXPOSE {port}/{proto} is not a valid port")
