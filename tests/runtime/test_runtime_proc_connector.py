"""The netlink process connector source on this host's real kernel (root only)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from seawall.runtime.agent import Agent
from seawall.runtime.alerts import Alert
from seawall.runtime.engine import Engine
from seawall.runtime.rules.compiler import compile_spec
from seawall.runtime.rules.loader import load_rule_files, load_rule_texts
from seawall.runtime.sources.proc_connector import ProcConnectorSource

STABLE = Path(__file__).resolve().parents[3] / "shared/corpus/falco-rules/rules/falco_rules.yaml"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the process connector needs root")


def test_exec_events_carry_proc_fields_and_fire_exec_rules(tmp_path: Path) -> None:
    spec = load_rule_files([STABLE])
    extra = (
        "- rule: Marker exec\n  desc: d\n  condition: spawned_process and proc.cmdline contains seawall-marker-77"
        " and proc.name = sh\n  output: marker %proc.cmdline parent=%proc.pname uid=%user.uid\n"
        "  priority: NOTICE\n"
    )
    rs = compile_spec(load_rule_texts([("extra.yaml", extra)], spec))
    assert not rs.diagnostics or all(d.level == "warning" for d in rs.diagnostics)
    script = tmp_path / "seawall-marker-77.sh"
    script.write_text("/bin/sleep 0.5\ntrue\n")
    src = ProcConnectorSource()
    seen: list[Alert] = []

    class Collect:
        def emit(self, alert: Alert) -> None:
            seen.append(alert)
            src.stop()

        def close(self) -> None:
            pass

    def later() -> None:
        time.sleep(0.3)
        subprocess.run(["/bin/sh", str(script)], check=True)
        time.sleep(2)
        src.stop()

    t = threading.Thread(target=later)
    t.start()
    counters = Agent(src, Engine(rs, rule_matching="all", hostname="h"), [Collect()]).run()
    t.join()
    markers = [a for a in seen if a.rule == "Marker exec"]
    assert markers, counters
    fields = markers[0].output_fields
    assert fields["proc.cmdline"] == f"sh {script}"
    assert fields["proc.pname"] in ("pytest", "python", "python3") and fields["user.uid"] == 0
    assert fields["container.id"] is None  # no enrichment configured in this test
    assert counters["events_received"] >= 1
