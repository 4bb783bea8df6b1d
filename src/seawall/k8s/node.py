"""CIS Kubernetes node checks from kube-bench-style YAML definitions.

A benchmark directory (``cfg/cis-1.12``, ``cfg/eks-1.7.0`` ...) holds control files (``master.yaml``,
``etcd.yaml``, ``node.yaml``): groups of checks, each with an ``audit`` (what to read), optional
``audit_config`` (a config file), and ``tests`` (``flag``/``path``/``env`` items with ``set`` and
``compare``). ``cfg/config.yaml`` names each component's binaries and files.

Audits are shell command lines in kube-bench; Seawall never runs them. It recognises the few shapes
the catalogue uses (process command lines, ``stat`` of permissions and ownership, ``find | stat``,
``cat``) and answers them from the node's ``/proc`` and filesystem under ``root``. Anything else is
reported as WARN ("audit not supported"), never guessed.
"""

from __future__ import annotations

import logging
import os
import re
import stat as statmod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from seawall.errors import SeawallError, UsageError
from seawall.model import Severity
from seawall.report.document import FindingSummary, Report, Result
from seawall.yamlsafe import load_yaml

log = logging.getLogger("seawall.k8s.node")

TARGETS = ("master", "etcd", "node")
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_FIND_ENTRIES = 10_000


class NodeCheckError(UsageError):
    """The benchmark definitions are missing or malformed."""


@dataclass(frozen=True, slots=True)
class Process:
    """A running process: its argv and environment."""

    pid: int
    argv: tuple[str, ...]
    env: Mapping[str, str]

    @property
    def command(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True, slots=True)
class ControlResult:
    """The verdict on one control, with the evidence that decided it."""

    id: str
    text: str
    section: str
    status: str  # PASS, FAIL, WARN, INFO
    scored: bool
    remediation: str
    evidence: tuple[str, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Text": self.text,
            "Section": self.section,
            "Status": self.status,
            "Scored": self.scored,
            "Evidence": list(self.evidence),
            "Reason": self.reason,
            "Remediation": self.remediation,
        }


@dataclass(slots=True)
class NodeReport:
    """All controls of the chosen targets."""

    benchmark: str
    root: str
    controls: list[ControlResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for c in self.controls if c.status == s) for s in ("PASS", "FAIL", "WARN", "INFO")}
        return {
            "Benchmark": self.benchmark,
            "Root": self.root,
            "Summary": counts,
            "Controls": [c.to_json() for c in self.controls],
        }


# --- the node: processes and files under a root -------------------------------------------------


class Node:
    """Read-only view of a node (or a mounted node root): processes, files, users."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._procs: list[Process] | None = None
        self._users = self._names("etc/passwd")
        self._groups = self._names("etc/group")

    def path(self, path: str) -> Path:
        """``path`` inside the root (absolute paths of the node are taken relative to it)."""
        if ".." in Path(path).parts:
            # Paths come from the catalogue and from process flags; none may climb out of the root.
            return self.root / "nonexistent-path-outside-root"
        return self.root / path.lstrip("/")

    def _names(self, rel: str) -> dict[int, str]:
        out: dict[int, str] = {}
        try:
            text = (self.root / rel).read_text(errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                out.setdefault(int(parts[2]), parts[0])
        return out

    def processes(self) -> list[Process]:
        """Every process with a readable command line."""
        if self._procs is None:
            procs = []
            proc = self.root / "proc"
            try:
                entries = [e for e in os.listdir(proc) if e.isdigit()]
            except OSError:
                entries = []
            for entry in entries:
                try:
                    raw = (proc / entry / "cmdline").read_bytes()[:65536]
                except OSError:
                    continue  # exited while we looked, or not ours to read
                argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
                if not argv:
                    continue
                env: dict[str, str] = {}
                try:
                    for item in (proc / entry / "environ").read_bytes()[:65536].split(b"\0"):
                        key, eq, value = item.decode(errors="replace").partition("=")
                        if eq:
                            env[key] = value
                except OSError:
                    pass
                procs.append(Process(int(entry), argv, env))
            self._procs = sorted(procs, key=lambda p: p.pid)
        return self._procs

    def find_processes(self, binary: str) -> list[Process]:
        """Processes whose executable (or ``hyperkube sub``) is ``binary``, as ``ps -C`` matches."""
        words = binary.split()
        out = []
        for p in self.processes():
            argv = [os.path.basename(p.argv[0]), *p.argv[1:]]
            if argv[: len(words)] == words:
                out.append(p)
        return out

    def owner(self, st: os.stat_result) -> str:
        return f"{self._users.get(st.st_uid, str(st.st_uid))}:{self._groups.get(st.st_gid, str(st.st_gid))}"

    def stat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(self.path(path))
        except OSError:
            return None

    def read(self, path: str) -> str | None:
        """A text file of the node (at most 4 MiB); None when absent, too big, or a link out of the root."""
        p = self.path(path)
        try:
            # A mounted node root holds absolute links (/var/lib/kubelet/config.yaml -> /etc/...) that
            # would resolve on the scanning host: follow them only while they stay inside the root.
            if not p.resolve().is_relative_to(self.root.resolve()):
                log.warning("%s: a link out of the node root %s, not read", path, self.root)
                return None
            if p.is_dir():
                return None
            with p.open("rb") as fh:
                data = fh.read(MAX_CONFIG_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_CONFIG_BYTES:
            log.warning("%s: over %d bytes, not read", path, MAX_CONFIG_BYTES)
            return None
        return data.decode(errors="replace")

    def find(self, path: str, pattern: str = "") -> list[str]:
        """Node paths under ``path`` (itself included), optionally by basename glob, as ``find`` does."""
        base = self.path(path)
        if not base.exists():
            return []
        out: list[str] = []
        candidates: Iterator[Path] = iter([base]) if not base.is_dir() else _walk(base)
        for p in candidates:
            if len(out) >= MAX_FIND_ENTRIES:
                break
            if not pattern or fnmatch(p.name, pattern):
                out.append("/" + str(p.relative_to(self.root)))
        return out


def _walk(base: Path) -> Iterator[Path]:
    yield base
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            yield Path(dirpath) / name


# --- definitions ---------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NodeCheckError(f"cannot read {path}: {exc}") from exc
    try:
        return load_yaml(text, str(path))
    except SeawallError as exc:
        raise NodeCheckError(str(exc)) from exc


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return override


def benchmarks(cfg_dir: Path) -> list[str]:
    """The benchmark directories of a kube-bench ``cfg`` tree."""
    return sorted(p.name for p in cfg_dir.iterdir() if p.is_dir() and (p / "config.yaml").exists())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def resolve_variables(config: Mapping[str, Any], target: str, node: Node) -> dict[str, str]:
    """``$kubeletbin``, ``$kubeletconf`` ... for a target's components, from what the node runs and holds."""
    section = config.get(target)
    if not isinstance(section, Mapping):
        return {}
    variables: dict[str, str] = {}
    for comp in _strings(section.get("components")):
        spec = section.get(comp)
        if not isinstance(spec, Mapping):
            continue
        bins = _strings(spec.get("bins"))
        running = next((b for b in bins if node.find_processes(b)), "")
        binary = running or (bins[0] if bins else "")
        if binary:
            variables[f"{comp}bin"] = binary
        for kind in ("conf", "kubeconfig", "svc", "cafile", "datadir"):
            candidates = _strings(spec.get(f"{kind}s" if kind != "kubeconfig" else "kubeconfig"))
            if kind == "datadir":
                candidates = _strings(spec.get("datadirs"))
            found = next((c for c in candidates if node.path(c).exists()), "")
            default = spec.get(f"default{kind}")
            value = found or (str(default) if default else "")
            if value:
                variables[f"{comp}{kind}"] = value
        # The running binary's own --config beats the catalogue's guesses (kube-bench reads a stale
        # file after upgrades that move the kubelet config).
        for p in node.find_processes(running) if running else []:
            flag = _flag_value(p.command, "--config")
            if flag:
                variables[f"{comp}conf"] = flag
                break
    return variables


def _substitute(text: str, variables: Mapping[str, str]) -> str:
    return re.sub(r"\$([a-z]+)", lambda m: variables.get(m.group(1), m.group(0)), text)


# --- audits ---------------------------------------------------------------------------------------

_PS = re.compile(r"ps\s+(?:-ef\s*\|\s*(?:/bin/)?grep\s+(?P<grep>\S+(?:\s\S+)?)\s*\||-fC\s+(?P<c>\S+))")
_STAT_ONE = re.compile(r"stat\s+-c\s+(?P<fmt>permissions=%a|%U:%G|%a)\s+(?P<path>/\S+?)(?:;|\s|$)")
_FIND = re.compile(
    r"find\s+(?P<path>/\S+)(?:\s+-name\s+'?(?P<name>[^'\s]+)'?)?\s*\|\s*xargs\s+stat\s+-c\s+(?P<fmt>permissions=%a|%U:%G)"
)
_CAT = re.compile(r"cat\s+(?P<path>/\S+?)(?:;|\s|$)")
_NOT_FOUND = re.compile(r'else\s+echo\s+\\?"(?P<msg>[^"\\]+)\\?"')


class Unsupported(Exception):
    """An audit command of a shape Seawall does not interpret."""


def _stat_line(node: Node, path: str, fmt: str) -> str:
    st = node.stat(path)
    if st is None:
        return ""
    if fmt.endswith("%a"):
        mode = format(statmod.S_IMODE(st.st_mode), "o")
        return f"permissions={mode}" if fmt.startswith("permissions") else mode
    return node.owner(st)


def run_audit(command: str, node: Node, variables: Mapping[str, str]) -> tuple[str, list[Process]]:
    """The output kube-bench's audit would print, computed from the node; Unsupported otherwise."""
    cmd = _substitute(command.strip(), variables)
    if "CAFILE=" in cmd and "--client-ca-file" in cmd:
        # The kubelet's --client-ca-file, else the catalogue's CA file, then stat of it.
        path = ""
        for p in node.find_processes(variables.get("kubeletbin", "kubelet")):
            path = _flag_value(p.command, "--client-ca-file") or ""
            if path:
                break
        path = path or variables.get("kubeletcafile", "")
        fmt = "permissions=%a" if "permissions=%a" in cmd else "%U:%G"
        return (_stat_line(node, path, fmt) if path else ""), []
    if "$" in cmd:
        raise Unsupported(f"unresolved variable in: {cmd}")
    m = _PS.search(cmd)
    if m:
        binary = (m.group("grep") or m.group("c") or "").strip("'\"")
        procs = node.find_processes(binary) or [
            p for p in node.processes() if binary in p.command and "grep" not in p.argv[0]
        ]
        return "\n".join(p.command for p in procs), procs
    m = _FIND.search(cmd)
    if m:
        lines = [
            _stat_line(node, p, m.group("fmt")) for p in node.find(m.group("path"), m.group("name") or "")
        ]
        return "\n".join(line for line in lines if line), []
    m = _STAT_ONE.search(cmd)
    if m and "find " not in cmd:
        out = _stat_line(node, m.group("path"), m.group("fmt"))
        if not out:
            nf = _NOT_FOUND.search(cmd)
            out = nf.group("msg") if nf else ""
        return out, []
    m = _CAT.search(cmd)
    if m and "|" not in cmd:
        return node.read(m.group("path")) or "", []
    raise Unsupported(f"audit not supported: {cmd[:200]}")


# --- tests ----------------------------------------------------------------------------------------


def _flag_value(output: str, flag: str) -> str | None:
    """The value of ``flag`` in a command line or ``key=value`` output; "true" for a bare flag."""
    m = re.search(r"(?:^|[\s,=])" + re.escape(flag) + r"(?:=(\S*)|\s+([^-\s]\S*)|(?=\s|$))", output, re.M)
    if m is None:
        return None
    value = m.group(1) if m.group(1) is not None else m.group(2)
    if value is None:
        # A bare --flag is a boolean switched on; a bare word ("root:root") is its own value.
        return "true" if flag.startswith("-") else flag
    if not flag.startswith("-"):
        value = value.split(",")[0]  # a feature gate inside --feature-gates=A=true,B=false
    return value.strip("'\"")


def _json_path(data: Any, path: str) -> str | None:
    """kubectl-style ``{.a.b}`` and ``{range .a[*]}{@}{','}{end}`` over parsed YAML/JSON."""
    ranged = re.match(r"\{range\s+\.([\w.]+)\[[*:]\]\}", path.strip())
    keys = (ranged.group(1) if ranged else path.strip().strip("{}").lstrip(".")).split(".")
    value = data
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    if ranged:
        return ",".join(_scalar(v) for v in value) if isinstance(value, list) else None
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar(v) for v in value)
    return str(value)


def compare(op: str, value: str, expected: Any) -> bool:
    """kube-bench's compare operations."""
    want = _scalar(expected)
    if op == "eq":
        return value == want
    if op == "noteq":
        return value != want
    if op in ("gt", "gte", "lt", "lte"):
        try:
            a, b = float(value), float(want)
        except ValueError:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op == "has":
        return want in value
    if op == "nothave":
        return want not in value
    if op == "regex":
        try:
            return re.search(want, value) is not None
        except re.error:
            return False
    if op == "valid_elements":
        allowed = {w.strip() for w in want.split(",")}
        return all(v.strip() in allowed for v in value.split(",") if v.strip())
    if op == "bitmask":
        try:
            mode, mask = int(value, 8), int(want, 8)
        except ValueError:
            return False
        return mode & ~mask == 0
    raise Unsupported(f"compare op {op!r} not supported")


@dataclass(frozen=True, slots=True)
class _Outcome:
    passed: bool
    evidence: str


def _test_item(item: Mapping[str, Any], output: str, config: Any, procs: Sequence[Process]) -> _Outcome:
    flag = str(item.get("flag", ""))
    path = item.get("path")
    env = item.get("env")
    found: str | None = None
    source = ""
    # Command-line flags win over the config file (as the kubelet itself applies them).
    if flag:
        found = _flag_value(output, flag)
        if found is None and flag in output.splitlines():
            found = flag  # a line equal to the flag ("root:root", "File not found")
        source = f"{flag}" if found is not None else ""
    if found is None and isinstance(path, str) and config is not None:
        found = _json_path(config, path)
        source = f"config {path}" if found is not None else ""
    if found is None and isinstance(env, str):
        for p in procs:
            if env in p.env:
                found, source = p.env[env], f"env {env}"
                break
    want_set = item.get("set", True) is not False
    cmp = item.get("compare")
    if found is None:
        what = flag or path or env
        return _Outcome(not want_set, f"{what}: not set")
    if isinstance(cmp, Mapping) and cmp.get("op"):
        ok = compare(str(cmp["op"]), found, cmp.get("value"))
        return _Outcome(ok, f"{source} = {found!r} ({cmp['op']} {_scalar(cmp.get('value'))!r})")
    return _Outcome(want_set, f"{source} set ({found!r})")


def evaluate_check(
    check: Mapping[str, Any], section: str, node: Node, variables: Mapping[str, str]
) -> ControlResult:
    """One control: run its audits against the node and apply its tests."""
    cid = str(check.get("id", "?"))
    text = str(check.get("text", ""))
    scored = bool(check.get("scored", False))
    remediation = _substitute(str(check.get("remediation", "")).strip(), variables)
    kind = str(check.get("type", ""))
    base = ControlResult(cid, text, section, "WARN", scored, remediation)
    if kind in ("manual", "skip"):
        status = "INFO" if kind == "skip" else "WARN"
        return _replace(base, status=status, reason="manual check: review it by hand")
    tests = check.get("tests")
    if not isinstance(tests, Mapping) or not isinstance(tests.get("test_items"), list):
        return _replace(base, reason="no tests defined")
    try:
        output, procs = (
            run_audit(str(check.get("audit", "")), node, variables) if check.get("audit") else ("", [])
        )
        config: Any = None
        if check.get("audit_config"):
            cfg_text, _ = run_audit(str(check["audit_config"]), node, variables)
            if cfg_text.strip():
                try:
                    config = load_yaml(cfg_text, "config")
                except SeawallError as exc:
                    log.warning("control %s: config not parsed: %s", cid, exc)
        outcomes = [
            _test_item(i, output, config, procs) for i in tests["test_items"] if isinstance(i, Mapping)
        ]
    except Unsupported as exc:
        return _replace(base, reason=str(exc))
    if not outcomes:
        return _replace(base, reason="no tests defined")
    passed = (
        any(o.passed for o in outcomes) if tests.get("bin_op") == "or" else all(o.passed for o in outcomes)
    )
    evidence = tuple(o.evidence for o in outcomes)
    if not passed and output.strip() and not check.get("audit_config"):
        # What the node showed, for failures of file checks (process lines can be long: first one only).
        evidence = (f"audit: {output.strip().splitlines()[0][:300]}", *evidence)
    if passed:
        return _replace(base, status="PASS", evidence=evidence)
    # kube-bench reports unscored (Manual) controls that fail as WARN.
    return _replace(base, status="FAIL" if scored else "WARN", evidence=evidence)


def _replace(base: ControlResult, **changes: Any) -> ControlResult:
    from dataclasses import replace

    return replace(base, **changes)


def run_benchmark(cfg_dir: Path, benchmark: str, root: Path, targets: Sequence[str] = TARGETS) -> NodeReport:
    """Evaluate every control of ``targets`` in ``cfg_dir/benchmark`` against the node at ``root``."""
    bench_dir = cfg_dir / benchmark
    if not (bench_dir / "config.yaml").exists():
        known = ", ".join(benchmarks(cfg_dir)) if cfg_dir.is_dir() else "none (no such directory)"
        raise NodeCheckError(f"no benchmark {benchmark!r} in {cfg_dir}; known: {known}")
    config = _merge(_load(cfg_dir / "config.yaml") or {}, _load(bench_dir / "config.yaml") or {})
    if not isinstance(config, dict):
        raise NodeCheckError(f"{cfg_dir / 'config.yaml'}: not a mapping")
    node = Node(root)
    report = NodeReport(benchmark, str(root))
    for target in targets:
        file = bench_dir / f"{target}.yaml"
        if not file.exists():
            log.info("%s has no %s controls", benchmark, target)
            continue
        controls = _load(file)
        if not isinstance(controls, Mapping):
            raise NodeCheckError(f"{file}: not a mapping of controls")
        if not isinstance(controls.get("groups"), list):
            # Managed-service benchmarks ship control-plane files without checks (the provider runs it).
            log.info("%s: no groups of checks", file)
            continue
        variables = resolve_variables(config, target, node)
        absent = _not_running(config, target, node)
        for group in controls["groups"]:
            if not isinstance(group, Mapping):
                continue
            section = f"{group.get('id', '')} {group.get('text', '')}".strip()
            for check in group.get("checks") or ():
                if not isinstance(check, Mapping):
                    continue
                result = evaluate_check(check, section, node, variables)
                if absent:
                    result = _replace(result, status="INFO", evidence=(), reason=absent)
                report.controls.append(result)
    return report


PRIMARY = {"master": "apiserver", "controlplane": "apiserver", "etcd": "etcd", "node": "kubelet"}


def _not_running(config: Mapping[str, Any], target: str, node: Node) -> str:
    """Why a target does not apply to this node ("" when it does): its main component is not running.

    A root without processes (a mounted image of a node) is checked as it is: files only.
    """
    if not node.processes():
        return ""
    component = PRIMARY.get(target, "")
    spec = config.get(target, {}).get(component) if isinstance(config.get(target), Mapping) else None
    bins = _strings(spec.get("bins")) if isinstance(spec, Mapping) else []
    if not bins or any(node.find_processes(b) for b in bins):
        return ""
    return f"{component} is not running on this node: {target} controls do not apply"


def render_table(report: NodeReport) -> str:
    """kube-bench-like text: ``[PASS] 4.2.1 text`` lines, evidence for failures, then a summary."""
    lines = [f"CIS node checks: {report.benchmark} (root {report.root})", ""]
    for c in report.controls:
        lines.append(f"[{c.status}] {c.id} {c.text}")
        if c.status in ("FAIL", "WARN"):
            for e in c.evidence:
                lines.append(f"        {e}")
            if c.reason:
                lines.append(f"        {c.reason}")
    s = report.to_json()["Summary"]
    lines += ["", f"== Summary == {s['PASS']} PASS, {s['FAIL']} FAIL, {s['WARN']} WARN, {s['INFO']} INFO"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class NodeFinding:
    """A failed (or warned) control as a report finding, for the SARIF and JUnit writers."""

    control: ControlResult
    benchmark: str

    @property
    def severity(self) -> Severity:
        # kube-bench has no severities: a failed scored control is HIGH, a warning LOW.
        return Severity.HIGH if self.control.status == "FAIL" else Severity.LOW

    def to_json(self) -> dict[str, Any]:
        return self.control.to_json()

    def summary(self) -> FindingSummary:
        c = self.control
        return FindingSummary(
            rule_id=f"CIS-{c.id}",
            title=c.text,
            message="; ".join((*c.evidence, c.reason) if c.reason else c.evidence) or c.status,
            severity=self.severity,
            path=f"{self.benchmark} {c.section}",
            help_text=c.remediation,
            kind="misconfiguration",
        )


def to_report(report: NodeReport) -> Report:
    """FAIL and WARN controls as a report (one result per section) for the sarif and junit formats."""
    out = Report(artifact_name=f"{report.benchmark} {report.root}", artifact_type="node")
    by_section: dict[str, Result] = {}
    for c in report.controls:
        result = by_section.get(c.section)
        if result is None:
            result = by_section[c.section] = Result(target=c.section, result_class="config", type="cis-node")
            out.results.append(result)
        if c.status in ("FAIL", "WARN"):
            result.misconfigurations.append(NodeFinding(c, report.benchmark))
    return out
