"""Read speed of the rpm and apk analyzers on large package databases.

Real rpm headers (the test packages plus one with 2,000 files, built by rpmbuild and installed by rpm)
are repeated to 2,000 packages; ``rpmdb --rebuilddb`` turns them into a complete SQLite rpmdb, which is
also stored as Berkeley DB hash (written by db5.3_load) and NDB (written here in rpm's layout, since
Debian's rpm cannot write it). The apk case repeats the test database's records under new names. Peer: ``rpm -qa``
on the same SQLite and Berkeley DB files. Prints a markdown table; needs rpm, rpmbuild, db5.3_load.
"""

from __future__ import annotations

import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "analyze"))

import rpmfixtures  # noqa: E402

from seawall.analyze.analyzers.apk import ApkAnalyzer  # noqa: E402
from seawall.analyze.analyzers.rpm import RpmAnalyzer  # noqa: E402
from seawall.analyze.rpmdb.header import parse_header  # noqa: E402

PACKAGES = 2000
RUNS = 3

BIG_SPEC = """%global debug_package %{nil}
Name: bench-big
Version: 1.0
Release: 1
Summary: many files
License: MIT
%description
Many files.
%install
for d in $(seq 1 40); do mkdir -p %{buildroot}/usr/share/bench/dir$d
  for f in $(seq 1 50); do echo x > %{buildroot}/usr/share/bench/dir$d/file-number-$f.txt; done; done
%files
/usr/share/bench
"""


def median_time(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ndb_image(blobs: list[bytes]) -> bytes:
    """An NDB ``Packages.db`` holding ``blobs`` (slots first, then 16-byte-aligned checksummed blobs)."""
    slot_pages = (32 + 16 * len(blobs) + 4095) // 4096
    slots = bytearray(b"Slot" + b"\0" * 12) * (slot_pages * 256)
    area = bytearray()
    first_block = slot_pages * 4096 // 16
    for i, blob in enumerate(blobs, 1):
        blkcnt = (16 + len(blob) + 12 + 15) // 16
        offset = first_block + len(area) // 16
        body = struct.pack("<4sIII", b"BlbS", i, 1, len(blob)) + blob
        body += b"\0" * (blkcnt * 16 - 12 - len(body))
        area += body + struct.pack("<II4s", zlib.adler32(body), len(blob), b"BlbE")
        struct.pack_into("<4sIII", slots, 32 + 16 * (i - 1), b"Slot", i, offset, blkcnt)
    struct.pack_into("<4sIIII", slots, 0, b"RpmP", 0, 1, slot_pages, len(blobs) + 1)
    return bytes(slots + area)


def main() -> None:
    dbs = rpmfixtures.databases()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spec = work / "big.spec"
        spec.write_text(BIG_SPEC)
        rpmfixtures.run("rpmbuild", "-bb", "--nodeps", "--quiet", "--define", f"_topdir {work / 'top'}", spec)
        big_db = work / "bigdb"
        big_rpm = next((work / "top" / "RPMS").rglob("*.rpm"))
        rpmfixtures.install_justdb(big_db, [big_rpm], rpmfixtures.make_signing_key(work))
        with sqlite3.connect(dbs.sqlite) as conn:
            blobs = [bytes(b) for (b,) in conn.execute("SELECT blob FROM Packages")]
        with sqlite3.connect(big_db / "rpmdb.sqlite") as conn:
            blobs += [bytes(b) for (b,) in conn.execute("SELECT blob FROM Packages")]
        blobs = [b for b in blobs if parse_header(b).name != "gpg-pubkey"]
        many = [blobs[i % len(blobs)] for i in range(PACKAGES)]

        sqlite_dir = work / "sqlite"
        sqlite_dir.mkdir()
        with sqlite3.connect(sqlite_dir / "rpmdb.sqlite") as conn:
            conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
            conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in many])
        conn.close()
        # rpm rebuilds a complete database (indexes included) from the Packages table: the SQLite file
        # measured below is rpm's own.
        rpmfixtures.run("rpmdb", "--rebuilddb", "--dbpath", sqlite_dir)
        rpm_sqlite = sqlite_dir / "rpmdb.sqlite"
        rpmfixtures.write_bdb(rpm_sqlite, work / "bdb" / "Packages", 1234, 4096)
        files = {
            "sqlite": rpm_sqlite.read_bytes(),
            "bdb": (work / "bdb" / "Packages").read_bytes(),
            "ndb": ndb_image(many),
        }
        rows = []
        analyzer = RpmAnalyzer()
        for kind, data in files.items():
            facts = analyzer.analyze("var/lib/rpm/Packages", data)
            assert facts is not None and not facts.warnings, kind
            count = len(facts.os_packages)
            nfiles = sum(len(p.installed_files) for p in facts.os_packages)
            seconds = median_time(lambda data=data: analyzer.analyze("var/lib/rpm/Packages", data))
            rows.append((f"seawall rpm, {kind}", count, nfiles, len(data), seconds))
        for kind, path, backend in (("sqlite", sqlite_dir, "sqlite"), ("bdb", work / "bdb", "bdb_ro")):
            qf = "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n"
            cmd = ["rpm", "-qa", "--dbpath", str(path), "--define", f"_db_backend {backend}", "--qf", qf]

            def peer(cmd: list[str] = cmd) -> None:
                subprocess.run(cmd, check=True, capture_output=True)

            seconds = median_time(peer)
            rows.append((f"rpm -qa (peer), {kind}", PACKAGES, 0, len(files[kind]), seconds))

        text = (ROOT / "tests" / "analyze" / "data" / "apk" / "installed").read_text()
        records = [r for r in text.split("\n\n") if r.strip()]
        big = "\n\n".join(
            records[i % len(records)].replace("\nP:", f"\nP:n{i}-", 1) for i in range(PACKAGES)
        ).encode()
        apk = ApkAnalyzer()
        facts = apk.analyze("lib/apk/db/installed", big)
        assert facts is not None
        nfiles = sum(len(p.installed_files) for p in facts.os_packages)
        seconds = median_time(lambda: apk.analyze("lib/apk/db/installed", big))
        rows.append(("seawall apk", len(facts.os_packages), nfiles, len(big), seconds))

    print("| case | packages | files | database MB | median of 3 (s) | packages/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, nfiles, size, seconds in rows:
        files_col = str(nfiles) if nfiles else "-"
        print(
            f"| {name} | {count} | {files_col} | {size / 1e6:.1f} | {seconds:.3f} | {count / seconds:,.0f} |"
        )


if __name__ == "__main__":
    main()
