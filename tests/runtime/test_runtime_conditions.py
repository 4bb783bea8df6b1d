"""The Falco condition grammar, operators, transformers, lists, macros, exceptions and overrides."""

from __future__ import annotations

from typing import Any

import pytest

from seawall.runtime.alerts import Priority
from seawall.runtime.engine import Engine
from seawall.runtime.rules.compiler import compile_spec, evttypes
from seawall.runtime.rules.loader import load_rule_texts
from seawall.runtime.rules.parser import ConditionSyntaxError, parse_condition

EXEC: dict[str, Any] = {
    "evt.type": "execve",
    "evt.dir": "<",
    "proc.name": "bash",
    "proc.exe": "/bin/bash",
    "proc.cmdline": "bash -c cat /etc/shadow",
    "proc.pname": "sshd",
    "proc.aname": ["sshd", "systemd"],
    "proc.pid": 4242,
    "proc.env": {"HOME": "/root"},
    "fd.name": "/etc/shadow",
    "fd.sip": "10.1.2.3",
    "fd.net": "10.1.2.3",
    "evt.arg.flags": "O_RDONLY|O_CLOEXEC",
    "evt.buffer": b"\x7fELF\x02",
    "user.uid": 0,
    "container.id": "abc123",
    "container.privileged": True,
    "container.mount_list": [["/var/run/docker.sock", "/run/docker.sock", "", True, "private"]],
}


def matches(condition: str, event: dict[str, Any] | None = None, extra: str = "") -> bool:
    """Compile ``condition`` as a one-rule file and run it on ``event``."""
    rule = f"- rule: r\n  desc: d\n  condition: {condition!r}\n  output: o %proc.name\n  priority: INFO\n"
    text = f"{extra}\n{rule}"
    rs = compile_spec(load_rule_texts([("t.yaml", text)]))
    assert not [d for d in rs.diagnostics if d.level == "error"], rs.diagnostics
    return bool(Engine(rs, hostname="h").process(dict(event or EXEC)))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("proc.name = bash", True),
        ("proc.name == bash", True),
        ("proc.name != bash", False),
        ("proc.pid > 4000 and proc.pid <= 4242 and proc.pid >= 4242 and proc.pid < 4243", True),
        ("proc.cmdline contains /etc/shadow", True),
        ("proc.cmdline icontains BASH", True),
        ("proc.cmdline startswith 'bash -c'", True),
        ("proc.exe endswith /bash", True),
        ("evt.buffer bcontains 454c46", True),
        ("evt.buffer bstartswith 7f454c46", True),
        ("fd.name glob '/etc/sh*'", True),
        ("fd.name iglob '/ETC/SH*'", True),
        ("fd.name regex '/etc/(shadow|gshadow)'", True),
        ("fd.name regex 'shadow'", False),
        ("proc.name in (sh, bash, zsh)", True),
        ("proc.aname intersects (systemd, init)", True),
        ("proc.aname in (systemd, init)", False),
        ("fd.name pmatch (/etc, /usr/lib)", True),
        ("fd.name pmatch (/et)", False),
        ("fd.net = 10.0.0.0/8", True),
        ("fd.net in (192.168.0.0/16, 10.1.0.0/16)", True),
        ("fd.sip = 10.1.2.3", True),
        ("container.privileged = true", True),
        ("proc.aname[1] = sshd and proc.aname[2] = systemd and proc.aname[0] = bash", True),
        ("proc.aname[3] exists", False),
        ("proc.aname = systemd", True),
        ("evt.arg.flags contains O_RDONLY and evt.arg[flags] contains CLOEXEC", True),
        ("proc.env[HOME] = /root", True),
        ("container.mount.dest[/var/run/docker.sock] = /run/docker.sock", True),
        ("tolower(proc.cmdline) contains BASH", False),
        ("toupper(proc.name) = BASH", True),
        ("basename(proc.exe) = bash", True),
        ("len(proc.name) = 4", True),
        ("proc.name = val(proc.pname)", False),
        ("proc.name != val(proc.pname)", True),
        ("fd.typechar = f", False),
        ("fd.typechar != f", False),
        ("not fd.typechar = f", True),
        ("fd.typechar exists", False),
        ("not (proc.name = sh or proc.name = zsh) and (evt.dir = < )", True),
    ],
)
def test_operators(condition: str, expected: bool) -> None:
    assert matches(condition) is expected


def test_b64_transformer() -> None:
    assert matches("b64(proc.cmdline) = hello", {**EXEC, "proc.cmdline": "aGVsbG8="})


def test_lists_and_macros_resolve_after_all_files_and_nest() -> None:
    extra = (
        "- macro: shell\n  condition: proc.name in (shells)\n"
        "- list: shells\n  items: [sh, more_shells]\n"
        "- list: more_shells\n  items: [bash]\n"
    )
    assert matches("shell and evt.type = execve", extra=extra)


def test_missing_field_comparisons_are_false_but_negation_is_true() -> None:
    event = {"evt.type": "execve"}
    assert not matches("proc.name = bash", event)
    assert not matches("proc.name != bash", event)
    assert matches("not proc.name = bash", event)


@pytest.mark.parametrize(
    "bad",
    ["proc.name =", "proc.name = (a", "(proc.name = a", "proc.name in a", "proc.name ~ a", "'unterminated"],
)
def test_syntax_errors_name_the_column(bad: str) -> None:
    with pytest.raises(ConditionSyntaxError, match="column"):
        parse_condition(bad)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ConditionSyntaxError, match="deeply"):
        parse_condition("(" * 5000 + "a.b exists" + ")" * 5000)


def test_evttype_index() -> None:
    assert evttypes(parse_condition("evt.type in (open, openat) and proc.name = x")) == {"open", "openat"}
    assert evttypes(parse_condition("evt.type = execve or evt.type = execveat")) == {"execve", "execveat"}
    assert evttypes(parse_condition("evt.type = execve or proc.name = x")) is None
    assert evttypes(parse_condition("not evt.type = execve")) is None


def _load(text: str) -> Any:
    return compile_spec(load_rule_texts([("a.yaml", text)]))


def test_unknown_field_is_an_error_with_file_and_line_unless_skip_if_unknown_filter() -> None:
    text = (
        "- rule: ok\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n"
        "- rule: bad\n  desc: d\n  condition: proc.nope = x\n  output: o\n  priority: INFO\n"
        "- rule: lenient\n  desc: d\n  condition: proc.nope = x\n  output: o\n  priority: INFO\n"
        "  skip-if-unknown-filter: true\n"
    )
    rs = _load(text)
    errors = [str(d) for d in rs.diagnostics if d.level == "error"]
    warnings = [str(d) for d in rs.diagnostics if d.level == "warning"]
    assert errors == ["a.yaml:6: error: rule 'bad': unknown field proc.nope"]
    assert any(w.startswith("a.yaml:11: warning: rule 'lenient'") for w in warnings)
    assert [r.name for r in rs.rules] == ["ok"]


def test_plugin_fields_are_a_warning() -> None:
    text = (
        "- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n"
        "- rule: ct\n  desc: d\n  condition: ct.name = x\n  output: o\n  priority: INFO\n"
        "  source: aws_cloudtrail\n"
    )
    rs = _load(text)
    assert not [d for d in rs.diagnostics if d.level == "error"]
    assert any("cloudtrail" in str(d) for d in rs.diagnostics)
    assert "ct" in rs.skipped


def test_exceptions_overrides_and_appends_across_files() -> None:
    base = (
        "- list: allowed\n  items: [a]\n"
        "- macro: m\n  condition: proc.name = bash\n"
        "- rule: R\n  desc: d\n  condition: m\n  output: o\n  priority: WARNING\n  tags: [t1]\n"
        "  exceptions:\n  - name: by_parent\n    fields: [proc.pname, proc.cmdline]\n"
        "    comps: ['=', startswith]\n"
        "  - name: by_names\n    fields: proc.pname\n    comps: in\n"
    )
    later = (
        "- rule: R\n  exceptions:\n  - name: by_parent\n    values: [[cron, 'bash -c']]\n"
        "  - name: by_names\n    values: [systemd]\n  override:\n    exceptions: append\n"
        "- rule: R\n  priority: critical\n  tags: [t2]\n"
        "  override:\n    priority: replace\n    tags: append\n"
        "- list: allowed\n  items: [b]\n  override:\n    items: append\n"
    )
    rs = compile_spec(load_rule_texts([("base.yaml", base), ("later.yaml", later)]))
    assert not rs.diagnostics, rs.diagnostics
    (rule,) = rs.rules
    assert rule.priority is Priority.CRITICAL and rule.tags == ("t1", "t2")
    engine = Engine(rs, hostname="h")
    assert engine.process(dict(EXEC))
    assert not engine.process({**EXEC, "proc.pname": "cron"})
    assert not engine.process({**EXEC, "proc.pname": "systemd"})
    more = "- rule: R\n  condition: and proc.pid = 1\n  append: true\n"
    rs2 = compile_spec(load_rule_texts([("base.yaml", base), ("later.yaml", later), ("more.yaml", more)]))
    assert not Engine(rs2, hostname="h").process(dict(EXEC))


def test_override_errors_name_file_and_line() -> None:
    text = "- list: l\n  items: [a]\n\n- rule: Missing\n  condition: x.y = 1\n"
    text += "  override:\n    condition: append\n"
    spec = load_rule_texts([("o.yaml", text)])
    assert [str(d) for d in spec.errors] == [
        "o.yaml:4: error: rule 'Missing': override of a rule that is not defined yet"
    ]


def test_enabled_and_priorities() -> None:
    text = "".join(
        f"- rule: r{p}\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: {p}\n"
        for p in (
            "emergency",
            "Alert",
            "CRITICAL",
            "error",
            "warning",
            "notice",
            "info",
            "informational",
            "debug",
        )
    )
    text += "- rule: rdebug\n  enabled: false\n"
    rs = _load(text)
    assert len(rs.rules) == 9
    engine = Engine(rs, min_priority=Priority.NOTICE, rule_matching="all", hostname="h")
    names = [a.rule for a in engine.process(dict(EXEC))]
    assert names == ["remergency", "rAlert", "rCRITICAL", "rerror", "rwarning", "rnotice"]


def test_alert_is_falco_json() -> None:
    text = (
        "- rule: Shadow\n  desc: d\n  condition: fd.name = /etc/shadow\n"
        "  output: read (file=%fd.name user=%user.uid miss=%proc.tty anc=%proc.aname[2])\n"
        "  priority: WARNING\n  tags: [filesystem, mitre]\n"
    )
    (alert,) = Engine(_load(text), hostname="node1").process({**EXEC, "evt.time": 1_700_000_000_123_456_789})
    d = alert.to_dict()
    assert d["rule"] == "Shadow" and d["priority"] == "Warning" and d["source"] == "syscall"
    assert d["hostname"] == "node1" and d["tags"] == ["filesystem", "mitre"]
    assert d["time"] == "2023-11-14T22:13:20.123456789Z"
    assert d["output"] == (
        "22:13:20.123456789: Warning read (file=/etc/shadow user=0 miss=<NA> anc=systemd)"
        " container_id=abc123 container_name=<NA> container_image_repository=<NA> container_image_tag=<NA>"
    )
    assert d["output_fields"] == {
        "fd.name": "/etc/shadow",
        "user.uid": 0,
        "proc.tty": None,
        "proc.aname[2]": "systemd",
        "container.id": "abc123",
        "container.name": None,
        "container.image.repository": None,
        "container.image.tag": None,
    }
