"""The CIS mapping document matches the checks, and every host check is wired to real controls."""

from __future__ import annotations

from pathlib import Path

from seawall.host.cis import BY_ID, CONTROLS
from seawall.host.mapping import host_mapping, mapping_markdown
from seawall.misconfig.checks.host import host_checks, registry_checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "cis-docker-mapping.md"


def test_mapping_document_is_current() -> None:
    assert DOC.read_text() == mapping_markdown(), (
        "regenerate docs/cis-docker-mapping.md from mapping_markdown()"
    )


def test_catalogue_matches_the_corpus(shared_dir: Path) -> None:
    listed = [
        line.split(" ", 1)[0]
        for line in (shared_dir / "corpus/cis-docker-1.6-docker-bench.txt").read_text().splitlines()
        if line.endswith(("(Automated)", "(Manual)", "(Scored)"))
    ]
    assert [c.id for c in CONTROLS] == listed
    assert len(CONTROLS) == 117 and sum(c.automated_by_docker_bench for c in CONTROLS) == 90


def test_every_host_check_maps_to_known_controls() -> None:
    for hc in host_checks().values():
        assert all(c in BY_ID for c in hc.controls), hc.meta.id
        assert hc.meta.title and hc.meta.description and hc.meta.remediation and hc.meta.references
        assert hc.meta.alias.startswith("SWL-HOST-")
    mapped = host_mapping()
    for section, expected in (("1", 19), ("2", 18), ("3", 24), ("5", 31), ("6", 2)):
        assert sum(1 for c in CONTROLS if c.section == section and c.id in mapped) == expected, section


def test_registry_view_of_host_checks() -> None:
    """Host checks also exist as registry checks (failures as hits) with their CIS compliance mapping."""
    checks = {c.meta.id: c for c in registry_checks()}
    assert checks["HOST064"].applies_to == ("host-container",)
    assert [(m.framework, m.control) for m in checks["HOST064"].meta.compliance] == [("docker-cis", "5.5")]
    assert checks["HOST040"].applies_to == ("host",)


def test_consistent_with_config_compliance() -> None:
    """`seawall host --compliance docker-cis` uses the control ids and titles of `seawall config`'s spec."""
    from seawall.misconfig.compliance_specs import SPECS
    from seawall.misconfig.model import DOCKER_CIS

    for cid, title in SPECS[DOCKER_CIS][1]:
        assert BY_ID[cid].title == title, cid
