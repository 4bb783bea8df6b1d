"""Recall and false positives of the secret scanner on the detect-secrets and gitleaks test corpora.

Expected findings come from the corpora themselves: detect-secrets' ``baseline.file`` (each expected
secret is located on its current line by its SHA-1), and for gitleaks' test data every line holding
one of its planted secrets (AWS keys, private keys, the ``DB_PASSWORD`` in ``.env.prod``), found here
with independent patterns, including inside zip, tar and gzip archives. Run as a script to print the
tables recorded in docs/secrets.md.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from seawall.analyze.pipeline import AnalysisOptions, scan_directory

SHARED = Path(__file__).resolve().parents[3] / "shared"
DETECT_SECRETS = SHARED / "corpus/secrets/detect-secrets/test_data"
GITLEAKS = SHARED / "corpus/secrets/gitleaks/testdata"
_SPLITS = (r"[\s'\"=:,@]+", r"[\s'\"=,]+", r"[\s'\"=:,@/]+", r"[\s'\"]+")
_PLANTED = re.compile(r"AKIA[A-Z2-7]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|PASSWORD=\S{8,}")
# gitleaks' tool configuration, expected reports and git internals are not scan targets.
GITLEAKS_SKIP = ("config/", "expected/", "baseline/", "report/")


@dataclass
class Measurement:
    corpus: str
    expected: set[tuple[str, int]]
    reported: list[tuple[str, int, int, str]]  # (file, first line, last line, rule id)

    def _covers(self, key: tuple[str, int]) -> str:
        return next((r for p, a, b, r in self.reported if p == key[0] and a <= key[1] <= b), "")

    @property
    def hits(self) -> set[tuple[str, int]]:
        return {e for e in self.expected if self._covers(e)}

    @property
    def missed(self) -> set[tuple[str, int]]:
        return self.expected - self.hits

    @property
    def false_positives(self) -> list[tuple[str, int, int, str]]:
        return [
            (p, a, b, r)
            for p, a, b, r in self.reported
            if not any((p, n) in self.expected for n in range(a, b + 1))
        ]

    @property
    def recall(self) -> float:
        return len(self.hits) / len(self.expected) if self.expected else 1.0


def scan(root: Path) -> list[tuple[str, int, int, str]]:
    """Every secret finding in a tree (fs mode: archives opened)."""
    inventory = scan_directory(root, "fs", AnalysisOptions(scanners=("secret",)))
    return sorted(
        (
            lf.finding.path,
            lf.finding.start_line,
            max(lf.finding.end_line, lf.finding.start_line),
            lf.finding.rule_id,
        )
        for lf in inventory.findings
        if lf.finding.kind == "secret"
    )


def detect_secrets_expected(root: Path = DETECT_SECRETS) -> set[tuple[str, int]]:
    """(file, line) of every secret in detect-secrets' baseline, on the line where it is now."""
    baseline = json.loads((root / "baseline.file").read_text())
    expected: set[tuple[str, int]] = set()
    for name, entries in baseline["results"].items():
        lines = (root / name).read_text(errors="replace").split("\n")
        for entry in entries:
            expected.add((name, _locate(lines, entry["hashed_secret"]) or entry["line_number"]))
    return expected


def _locate(lines: list[str], sha1: str) -> int:
    for number, line in enumerate(lines, 1):
        tokens = {line.strip()}
        for split in _SPLITS:
            tokens.update(re.split(split, line))
        if any(hashlib.sha1(t.encode()).hexdigest() == sha1 for t in tokens):
            return number
    return 0


def gitleaks_expected(root: Path = GITLEAKS) -> set[tuple[str, int]]:
    """(file, line) of every planted secret in gitleaks' test data, archive members as ``a.zip!m``."""
    expected: set[tuple[str, int]] = set()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or path.is_symlink() or rel.startswith(GITLEAKS_SKIP) or "/dotGit/" in rel:
            continue
        for name, data in _expand(rel, path.read_bytes(), 0):
            for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
                if _PLANTED.search(line):
                    expected.add((name, number))
    return expected


def _expand(name: str, data: bytes, depth: int) -> list[tuple[str, bytes]]:
    if depth > 3:
        return []
    lower = name.lower()
    try:
        if lower.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return [
                    item
                    for i in z.infolist()
                    if not i.is_dir()
                    for item in _expand(f"{name}!{i.filename}", z.read(i), depth + 1)
                ]
        if lower.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                out = []
                for m in t.getmembers():
                    handle = t.extractfile(m) if m.isreg() else None
                    if handle is not None:
                        out.extend(_expand(f"{name}!{m.name}", handle.read(), depth + 1))
                return out
        if lower.endswith(".gz"):
            return _expand(
                f"{name}!{name.rsplit('/', 1)[-1].rsplit('!', 1)[-1][:-3]}", gzip.decompress(data), depth + 1
            )
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError):
        return []
    return [(name, data)]


def measure_detect_secrets() -> Measurement:
    return Measurement("detect-secrets test_data", detect_secrets_expected(), scan(DETECT_SECRETS))


def measure_gitleaks() -> Measurement:
    reported = [r for r in scan(GITLEAKS) if not r[0].startswith(GITLEAKS_SKIP)]
    return Measurement("gitleaks testdata", gitleaks_expected(), reported)


def table(m: Measurement) -> str:
    rows = [
        f"### {m.corpus}",
        "",
        f"Recall: {len(m.hits)}/{len(m.expected)} = {m.recall:.0%}; false positives: {len(m.false_positives)}",
        "",
        "| file:line | outcome | rule |",
        "|---|---|---|",
    ]
    for key in sorted(m.expected):
        outcome = "found" if key in m.hits else "missed"
        rows.append(f"| `{key[0]}:{key[1]}` | {outcome} | {m._covers(key)} |")
    for path, first, _, rule in m.false_positives:
        rows.append(f"| `{path}:{first}` | false positive | {rule} |")
    return "\n".join(rows)


if __name__ == "__main__":
    for measurement in (measure_detect_secrets(), measure_gitleaks()):
        sys.stdout.write(table(measurement) + "\n\n")
