"""The secret analyzers on real files: binary and size skips, archives with limits, scanner selection."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from seawall.analyze.analyzer import default_analyzers
from seawall.analyze.analyzers.secret import MAX_SECRET_FILE, SecretAnalyzer, SecretArchiveAnalyzer
from seawall.analyze.pipeline import AnalysisOptions, scan_directory
from seawall.scan.secrets import archives

KEY = "ghp_" + "Zq8" * 12
LINE = f"token = '{KEY}'\n".encode()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_secret_analyzers_run_only_when_the_secret_scanner_is_chosen():
    names = {a.name for a in default_analyzers("fs")}
    assert "secret" not in names and "malware" not in names
    names = {a.name for a in default_analyzers("fs", scanners=("secret",))}
    assert {"secret", "secret-archive"} <= names and "malware" not in names
    assert "secret-archive" not in {a.name for a in default_analyzers("image", scanners=("secret",))}


def test_binary_files_and_oversized_files_are_skipped():
    a = SecretAnalyzer()
    assert a.analyze("bin/tool", b"\x7fELF\x00\x00" + LINE) is None
    assert a.analyze("etc/app.conf", LINE) is not None
    assert not a.claims("big.log", 0o100644, MAX_SECRET_FILE + 1)
    assert not a.claims("lib/x.so", 0o100644, 100)
    assert a.claims("etc/app.conf", 0o100644, 100)


def test_archives_open_nested_members_and_name_them(tmp_path):
    inner = zip_bytes({"conf/app.env": LINE})
    outer = tar_gz({"bundle/inner.zip": inner, "bundle/notes.txt": b"nothing here\n"})
    (tmp_path / "release.tar.gz").write_bytes(outer)
    (tmp_path / "single.txt.gz").write_bytes(gzip.compress(LINE))
    inv = scan_directory(tmp_path, "fs", AnalysisOptions(scanners=("secret",)))
    paths = sorted(lf.finding.path for lf in inv.findings)
    assert paths == ["release.tar.gz!bundle/inner.zip!conf/app.env", "single.txt.gz!single.txt"]


def test_archive_limits_give_warnings_not_errors():
    a = SecretArchiveAnalyzer()
    bomb = zip_bytes({"zeros.txt": b"0" * (archives.RATIO_FLOOR * 5)})
    facts = a.analyze("bomb.zip", bomb)
    assert facts is not None and any("compression ratio" in w for w in facts.warnings)
    nested = LINE
    name = "x.txt"
    for level in range(archives.MAX_DEPTH + 3):
        nested = zip_bytes({name: nested})
        name = f"level{level}.zip"
    facts = a.analyze("deep.zip", nested)
    assert facts is not None and any("nested deeper" in w for w in facts.warnings)
    broken = a.analyze("broken.zip", b"PK\x03\x04 not really a zip")
    assert broken is not None and any("unreadable archive" in w for w in broken.warnings)
    gz_bomb = gzip.compress(b"\0" * (archives.MAX_TOTAL_BYTES + 10))
    facts = a.analyze("zeros.gz", gz_bomb)
    assert facts is not None and any("decompresses to more than" in w for w in facts.warnings)


def test_archives_are_not_opened_in_images():
    assert not SecretAnalyzer().claims("app/release.zip", 0o100644, 1000)
