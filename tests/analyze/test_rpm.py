"""The rpm analyzer on real rpm databases: SQLite and Berkeley DB made by rpm/libdb here, NDB committed."""

from __future__ import annotations

import random
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest
import rpmfixtures

from imagetools import Entry, layer_tar
from seawall.analyze.analyzer import default_analyzers
from seawall.analyze.analyzers.rpm import RpmAnalyzer, split_source_rpm
from seawall.analyze.analyzers.rpmqa import MANIFEST, RpmManifestAnalyzer
from seawall.analyze.merge import build_inventory, merge_layers
from seawall.analyze.rpmdb import detect_format, read_database
from seawall.analyze.rpmdb.header import RpmHeaderError, parse_header
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import FileFacts, LayerRef, Package

NDB_DIR = Path(__file__).parent / "data" / "rpm-ndb"


@pytest.fixture(scope="module")
def dbs() -> rpmfixtures.RpmDatabases:
    return rpmfixtures.databases()


def db_bytes(dbs: rpmfixtures.RpmDatabases, kind: str) -> bytes:
    path = {
        "sqlite": dbs.sqlite,
        "bdb_le": dbs.bdb_le,
        "bdb_be": dbs.bdb_be,
        "bdb_64k": dbs.bdb_64k,
        "bdb_chksum": dbs.bdb_chksum,
        "ndb": NDB_DIR / "Packages.db",
        "ndb_erased": NDB_DIR / "Packages-erased.db",
    }
    return path[kind].read_bytes()


def rpm_listing(dbs: rpmfixtures.RpmDatabases, kind: str) -> list[str]:
    """What rpm itself printed for the database (``ndb``: the rpm --enable-ndb build that wrote it)."""
    if kind in ("ndb", "ndb_erased"):
        name = "ndb.qa.txt" if kind == "ndb" else "ndb-erased.qa.txt"
        return sorted((NDB_DIR / name).read_text().splitlines())
    if kind == "bdb_chksum":  # rpm's bdb_ro cannot read libdb page checksums: the same data as bdb_le
        return dbs.listing("bdb_le")
    return dbs.listing(kind)


def line(p: Package) -> str:
    source = f"{p.src_name}-{p.src_version}-{p.src_release}.src.rpm" if p.src_name else "(none)"
    return f"{p.name} {p.epoch}:{p.version}-{p.release} {p.arch} {source}"


def analyze(data: bytes, path: str = "var/lib/rpm/Packages") -> FileFacts:
    facts = RpmAnalyzer().analyze(path, data)
    assert facts is not None
    return facts


KINDS = ["sqlite", "bdb_le", "bdb_be", "bdb_64k", "bdb_chksum", "ndb", "ndb_erased"]


@pytest.mark.parametrize("kind", KINDS)
def test_inventory_equals_rpm_qa(dbs: rpmfixtures.RpmDatabases, kind: str) -> None:
    facts = analyze(db_bytes(dbs, kind))
    expected = [x for x in rpm_listing(dbs, kind) if not x.startswith("gpg-pubkey ")]
    # ndb_erased: rpm -e removed zlib-mini and seawall-doc, then reinstalled seawall-doc (a reused slot).
    assert len(expected) == (10 if kind == "ndb_erased" else 11)
    assert sorted(line(p) for p in facts.os_packages) == expected
    assert facts.os_package_type == "redhat"
    assert facts.warnings == ()


def test_ndb_fixture_holds_the_packages_built_here(dbs: rpmfixtures.RpmDatabases) -> None:
    # The committed NDB file was written from the same specs: rpm lists the same packages for both.
    def strip(lines: list[str]) -> list[str]:
        return [x for x in lines if not x.startswith("gpg-pubkey ")]

    assert strip(rpm_listing(dbs, "ndb")) == strip(dbs.listing("sqlite"))


@pytest.mark.parametrize("kind", KINDS)
def test_gpg_pubkey_pseudo_packages_are_skipped(dbs: rpmfixtures.RpmDatabases, kind: str) -> None:
    data = db_bytes(dbs, kind)
    assert any(x.startswith("gpg-pubkey ") for x in rpm_listing(dbs, kind))
    assert any(h.name == "gpg-pubkey" for h in read_database(data).headers)
    assert all(p.name != "gpg-pubkey" for p in analyze(data).os_packages)


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [
        ("sqlite", "sqlite"),
        ("bdb_le", "bdb"),
        ("bdb_be", "bdb"),
        ("bdb_64k", "bdb"),
        ("bdb_chksum", "bdb"),
        ("ndb", "ndb"),
        ("ndb_erased", "ndb"),
    ],
)
def test_format_is_told_from_content(dbs: rpmfixtures.RpmDatabases, kind: str, fmt: str) -> None:
    assert detect_format(db_bytes(dbs, kind)) == fmt
    assert read_database(db_bytes(dbs, kind)).format == fmt


def test_installed_files_equal_rpm_file_lists(dbs: rpmfixtures.RpmDatabases) -> None:
    out = rpmfixtures.run("rpm", "-qa", "--dbpath", dbs.sqlite.parent, "--qf", "[%{=NAME} %{FILENAMES}\\n]")
    expected: dict[str, set[str]] = {}
    for row in out.splitlines():
        name, _, file = row.partition(" ")
        if name != "gpg-pubkey" and file != "(none)":
            expected.setdefault(name, set()).add(file.lstrip("/"))
    for kind in ("sqlite", "bdb_be"):
        got = {p.name: set(p.installed_files) for p in analyze(db_bytes(dbs, kind)).os_packages}
        assert got == expected
    assert expected["seawall-tools-devel"] == {"usr/include/seawall", "usr/include/seawall/seawall.h"}


def test_package_fields(dbs: rpmfixtures.RpmDatabases) -> None:
    packages = {p.name: p for p in analyze(db_bytes(dbs, "sqlite")).os_packages}
    doc = packages["seawall-doc"]
    assert (doc.src_name, doc.src_version, doc.src_release, doc.src_epoch) == (
        "seawall-tools",
        "1.4.2",
        "3.fc40",
        2,
    )
    assert doc.arch == "noarch"
    assert doc.licenses == ("MIT AND (Apache-2.0 OR BSD-3-Clause)",)
    assert doc.maintainer == "Fedora Project"
    assert doc.purl == ""  # the merge step writes it, knowing the OS (see test_merge_...)
    assert packages["seawall-tools-libs"].licenses == ("MIT",)  # a subpackage's own License tag
    tools = packages["seawall-tools"]
    # Requires: libseawall.so.1()(64bit) and /bin/sh resolve to the packages that provide them.
    assert tools.depends_on == ("bash-tiny@5.2.15-2.el9", "seawall-tools-libs@2:1.4.2-3.fc40")
    assert packages["seawall-tools-devel"].depends_on == ("seawall-tools-libs@2:1.4.2-3.fc40",)
    assert packages["bash-tiny"].epoch == 0 and packages["bash-tiny"].full_version == "5.2.15-2.el9"
    openssl = packages["openssl-small"]
    assert openssl.full_version == "1:3.0.7-27.el9_3.1"
    assert openssl.installed_files == ("etc/pki/tls/openssl-small.cnf", "usr/bin/openssl-small")


def test_source_rpm_names() -> None:
    assert split_source_rpm("glibc-2.34-100.el9_4.2.src.rpm") == ("glibc", "2.34", "100.el9_4.2")
    assert split_source_rpm("python3.11-pip-22.3.1-4.el9.nosrc.rpm") == ("python3.11-pip", "22.3.1", "4.el9")
    assert split_source_rpm("(none)") == ("", "", "")
    assert split_source_rpm("broken.src.rpm") == ("", "", "")


def test_walker_reads_every_claimed_database_path(dbs: rpmfixtures.RpmDatabases, tmp_path: Path) -> None:
    tar = tmp_path / "layer.tar"
    tar.write_bytes(
        layer_tar(
            [
                Entry("var/lib/rpm", kind="dir"),
                Entry("var/lib/rpm/Packages", db_bytes(dbs, "bdb_le")),
                Entry("var/lib/rpm/Name", b"\0" * 4096),  # an rpm index file nobody claims
                Entry("usr/lib/sysimage/rpm/rpmdb.sqlite", db_bytes(dbs, "sqlite")),
                Entry("usr/lib/sysimage/rpm/Packages.db", db_bytes(dbs, "ndb")),
                Entry("opt/copy/var/lib/rpm/Packages", db_bytes(dbs, "bdb_le")),  # not a database path
            ]
        )
    )
    facts = analyze_layer(LayerSource(BlobRef(tar)), [RpmAnalyzer()], Limits())
    assert set(facts.files) == {
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/Packages.db",
    }
    for file in facts.files.values():
        assert len(file.os_packages) == 11
        assert file.os_package_type == "redhat"


ROCKY_OS_RELEASE = 'NAME="Rocky Linux"\nVERSION_ID="9.3"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'


def test_registered_analyzers_inventory_an_rpm_image(dbs: rpmfixtures.RpmDatabases, tmp_path: Path) -> None:
    # Registry, walker, merge: the OS family becomes the purl namespace and distro, as in Trivy.
    tar = tmp_path / "layer.tar"
    tar.write_bytes(
        layer_tar(
            [
                Entry("etc/os-release", ROCKY_OS_RELEASE.encode()),
                Entry("var/lib/rpm/rpmdb.sqlite", db_bytes(dbs, "sqlite")),
            ]
        )
    )
    ref = LayerRef(diff_id="sha256:" + "1" * 64)
    facts = analyze_layer(LayerSource(BlobRef(tar)), default_analyzers("image"), Limits())
    inventory = build_inventory(merge_layers([(ref, facts)]), "rocky-test", "container_image")
    assert inventory.os is not None and (inventory.os.family, inventory.os.name) == ("rocky", "9.3")
    assert inventory.os_package_type == "rocky"
    packages = {p.name: p for p in inventory.os_packages}
    assert len(packages) == 11
    assert packages["openssl-small"].purl == (
        "pkg:rpm/rocky/openssl-small@3.0.7-27.el9_3.1?arch=x86_64&distro=rocky-9.3&epoch=1"
    )
    assert packages["zlib-mini"].purl == "pkg:rpm/rocky/zlib-mini@1.2.13-1.el9?arch=x86_64&distro=rocky-9.3"
    assert packages["zlib-mini"].layer == ref


# --- damaged and hostile databases: a warning, never an exception -------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_database_gives_a_warning(dbs: rpmfixtures.RpmDatabases, kind: str) -> None:
    data = db_bytes(dbs, kind)
    for size in (len(data) // 2, len(data) - 100, 600):
        facts = analyze(data[:size])
        assert facts.warnings, f"{kind} cut to {size} bytes"
        # Whatever is still whole may be read (the cut-off end can be free pages), never more.
        assert len(facts.os_packages) <= 11
    assert analyze(data[:600]).os_packages == ()


def test_garbage_gives_a_warning() -> None:
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(8192))
    facts = analyze(garbage)
    assert facts.warnings and "not an rpm database" in facts.warnings[0]
    for magic in (b"SQLite format 3\0", b"RpmP"):
        assert analyze(magic + garbage).warnings
    assert analyze(b"").warnings


@pytest.mark.parametrize("kind", KINDS)
def test_random_corruption_never_raises(dbs: rpmfixtures.RpmDatabases, kind: str) -> None:
    data = db_bytes(dbs, kind)
    rng = random.Random(kind)
    for _ in range(60):
        damaged = bytearray(data)
        for _ in range(rng.randrange(1, 40)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        facts = RpmAnalyzer().analyze("var/lib/rpm/Packages", bytes(damaged))
        assert facts is None or isinstance(facts, FileFacts)


def hostile_header() -> bytes:
    """A header claiming 2^31 index entries and 2^31 data bytes."""
    return struct.pack(">II", 1 << 31, 1 << 31) + b"\0" * 64


def test_header_claiming_2_31_entries_is_refused() -> None:
    with pytest.raises(RpmHeaderError, match="2147483648 index entries"):
        parse_header(hostile_header())
    # A plausible count with offsets and counts that point past the data store:
    entry = struct.pack(">iIiI", 1000, 6, 1 << 30, 1)
    with pytest.raises(RpmHeaderError, match="outside the data store"):
        parse_header(struct.pack(">II", 1, 4) + entry + b"abc\0")
    entry = struct.pack(">iIiI", 1117, 8, 0, (1 << 31) - 1)
    with pytest.raises(RpmHeaderError, match="count"):
        parse_header(struct.pack(">II", 1, 4) + entry + b"abc\0")


def test_hostile_header_in_sqlite_is_skipped_with_a_warning(
    dbs: rpmfixtures.RpmDatabases, tmp_path: Path
) -> None:
    db = tmp_path / "rpmdb.sqlite"
    db.write_bytes(db_bytes(dbs, "sqlite"))
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE Packages SET blob = ? "
            "WHERE hnum = (SELECT hnum FROM Packages ORDER BY hnum LIMIT 1 OFFSET 3)",
            (hostile_header(),),
        )
    conn.close()
    facts = analyze(db.read_bytes())
    assert len(facts.os_packages) == 10
    assert any("2147483648 index entries" in w for w in facts.warnings)


def test_hostile_header_in_bdb_is_skipped_with_a_warning(dbs: rpmfixtures.RpmDatabases) -> None:
    data = bytearray(db_bytes(dbs, "bdb_le"))
    with sqlite3.connect(f"file:{dbs.sqlite}?mode=ro", uri=True) as conn:
        blobs = [bytes(b) for (b,) in conn.execute("SELECT blob FROM Packages")]
    conn.close()
    blob = next(b for b in blobs if parse_header(b).name == "zlib-mini-devel")
    # The header's first bytes sit at the start of its first overflow page: make it claim 2^31 entries.
    start = data.find(blob[:64])
    assert start > 0
    data[start : start + 4] = struct.pack(">I", 1 << 31)
    facts = analyze(bytes(data))
    names = {p.name for p in facts.os_packages}
    assert "zlib-mini-devel" not in names and len(names) == 10
    assert any("2147483648 index entries" in w for w in facts.warnings)


def test_ndb_checksum_damage_skips_only_that_package(dbs: rpmfixtures.RpmDatabases) -> None:
    data = bytearray(db_bytes(dbs, "ndb"))
    at = data.find(b"tzdata-lite-java\0")
    data[at] = ord("T")
    facts = analyze(bytes(data))
    assert len(facts.os_packages) == 10
    assert any("checksum mismatch" in w for w in facts.warnings)


def test_sqlite_recursive_view_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "rpmdb.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE VIEW Packages AS WITH RECURSIVE n(hnum, blob) AS "
            "(SELECT 1, x'00' UNION ALL SELECT hnum + 1, blob FROM n) SELECT hnum, blob FROM n"
        )
    conn.close()
    facts = analyze(db.read_bytes(), "var/lib/rpm/rpmdb.sqlite")
    assert facts.os_packages == ()
    assert any("no Packages table" in w for w in facts.warnings)


def test_sqlite_endless_table_scan_is_bounded(tmp_path: Path) -> None:
    # A real table, but a trigger-free way to make the scan expensive is not possible; what remains is a
    # huge number of rows with tiny blobs: every one is counted against the record limit.
    db = tmp_path / "rpmdb.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
        conn.executemany("INSERT INTO Packages (blob) VALUES (?)", ((b"\0" * 16,) for _ in range(20_000)))
    conn.close()
    facts = analyze(db.read_bytes(), "var/lib/rpm/rpmdb.sqlite")
    assert facts.os_packages == ()
    assert len(facts.warnings) <= 12
    assert "more damaged package headers skipped" in facts.warnings[-1]


def test_bdb_overflow_loop_is_detected(dbs: rpmfixtures.RpmDatabases) -> None:
    data = bytearray(db_bytes(dbs, "bdb_be"))
    pagesize = 512
    # Point the first overflow page's next_pgno at itself.
    for pgno in range(1, len(data) // pagesize):
        base = pgno * pagesize
        if data[base + 25] == 7 and struct.unpack_from(">I", data, base + 16)[0]:
            data[base + 16 : base + 20] = struct.pack(">I", pgno)
            break
    facts = analyze(bytes(data))
    assert any("loops" in w or "bad length" in w for w in facts.warnings)
    assert len(facts.os_packages) < 11


def test_rpm_reads_the_bdb_files_it_is_compared_with(dbs: rpmfixtures.RpmDatabases) -> None:
    # The Berkeley DB files are libdb's, and rpm's own bdb_ro backend reads them (not our writer's guess).
    for path in (dbs.bdb_le, dbs.bdb_be, dbs.bdb_64k):
        out = subprocess.run(
            ["db5.3_stat", "-d", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert "Hash database information" in out or "hash" in out.lower()
        assert len(rpmfixtures.query_all(path.parent, "bdb_ro").splitlines()) == 12


def test_sqlite_generated_column_cannot_build_a_huge_value(tmp_path: Path) -> None:
    db = tmp_path / "rpmdb.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, "
            "blob BLOB GENERATED ALWAYS AS (zeroblob(900000000)) VIRTUAL)"
        )
        conn.execute("INSERT INTO Packages (hnum) VALUES (1)")
    conn.close()
    facts = analyze(db.read_bytes(), "var/lib/rpm/rpmdb.sqlite")
    assert facts.os_packages == ()
    assert any("too big" in w or "unsafe" in w for w in facts.warnings), facts.warnings


def test_string_budget_caps_hostile_file_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    # One header whose BASENAMES/DIRNAMES/DIRINDEXES all point at the same run of NUL bytes: half a
    # million files from a few megabytes. Many such headers would make billions; the database budget
    # stops it (lowered here so that the test stays quick).
    count = 1 << 19
    data = b"n\0" + b"\0" * count + b"\0" * (4 * count)
    entries = [
        (1000, 6, 0, 1),  # NAME "n"
        (1117, 8, 2, count),  # BASENAMES: a million empty strings
        (1118, 8, 2, 1),  # DIRNAMES: one empty string
        (1116, 4, 2 + count, count),  # DIRINDEXES: a million zeros
    ]
    blob = struct.pack(">II", len(entries), len(data))
    blob += b"".join(struct.pack(">iIiI", *e) for e in entries) + data
    assert len(parse_header(blob).files) == count
    from seawall.analyze import rpmdb

    monkeypatch.setattr(rpmdb, "MAX_STRINGS", 2 * count)
    rows = 4
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(blob,)] * rows)
    image = conn.serialize()
    conn.close()
    db = read_database(image)
    assert len(db.headers) == rows
    assert sum(len(h.files) for h in db.headers) == 2 * count
    assert any("file names and capabilities" in w for w in db.warnings)


# --- end to end: a real rpm install, scanned as an image and as a root filesystem ---------------------


@pytest.fixture(scope="module")
def rocky_root(dbs: rpmfixtures.RpmDatabases, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root filesystem where rpm itself installed the packages (files and database) with ``--root``."""
    root = tmp_path_factory.mktemp("rocky") / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text(ROCKY_OS_RELEASE)
    rpm = ("rpm", "--root", root, "--dbpath", "/var/lib/rpm")
    rpmfixtures.run(*rpm, "--initdb")
    rpmfixtures.run(*rpm, "-i", "--nodeps", "--noscripts", "--notriggers", *dbs.rpms)
    return root


def report_lines(report: dict[str, object]) -> list[str]:
    results = report["Results"]
    assert isinstance(results, list)
    result = next(r for r in results if r["Class"] == "os-pkgs")
    assert result["Type"] == "rocky"
    out = []
    for p in result["Packages"]:
        source = f"{p['SrcName']}-{p['SrcVersion']}-{p['SrcRelease']}.src.rpm"
        out.append(f"{p['Name']} {p.get('Epoch', 0)}:{p['Version']}-{p['Release']} {p['Arch']} {source}")
    return sorted(out)


def test_cli_scans_a_real_rpm_install(
    rocky_root: Path, tmp_path: Path, cache_dir: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    import json
    import tarfile

    from imagetools import SyntheticImage, write_oci_archive
    from seawall.cli.main import main

    expected = sorted(
        rpmfixtures.run(
            "rpm", "--root", rocky_root, "--dbpath", "/var/lib/rpm", "-qa", "--qf", rpmfixtures.QUERY_FORMAT
        ).splitlines()
    )
    assert len(expected) == 11
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as tar:
        tar.add(rocky_root, arcname=".")
    archive = write_oci_archive(tmp_path / "rocky.oci.tar", SyntheticImage([layer.read_bytes()]))
    common = ["--format", "json", "--list-all-pkgs", "--scanners", "secret"]
    for args in (["image", "--input", str(archive)], ["rootfs", str(rocky_root)]):
        rc = main(["--quiet", "--cache-dir", str(cache_dir), *args, *common])
        captured = capsysbinary.readouterr()
        assert rc == 0, captured.err.decode()
        report = json.loads(captured.out)
        assert report_lines(report) == expected, args[0]
        assert report["Metadata"]["OS"]["Family"] == "rocky"


def bdb_value_kinds(data: bytes, order: str, pagesize: int) -> dict[int, int]:
    """Count the value items on the hash pages of a Berkeley DB file by kind (1 on-page, 3 overflow)."""
    kinds: dict[int, int] = {}
    for base in range(pagesize, len(data), pagesize):
        if data[base + 25] not in (2, 13):
            continue
        (entries,) = struct.unpack_from(order + "H", data, base + 20)
        offsets = struct.unpack_from(f"{order}{entries}H", data, base + 26)
        for i in range(1, entries, 2):
            if offsets[i - 1] - offsets[i] > 100 or data[base + offsets[i]] == 3:
                kind = data[base + offsets[i]]
                kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_bdb_variants_cover_on_page_and_overflow_headers(dbs: rpmfixtures.RpmDatabases) -> None:
    # 64 KiB pages keep whole headers on the hash pages; 512-byte pages push every header to overflow pages.
    assert bdb_value_kinds(db_bytes(dbs, "bdb_64k"), "<", 65536) == {1: 12}
    assert bdb_value_kinds(db_bytes(dbs, "bdb_be"), ">", 512) == {3: 12}


# --- the distroless rpm manifest (CBL-Mariner / Azure Linux) ------------------------------------------


def test_manifest_inventory_equals_rpm_qa(dbs: rpmfixtures.RpmDatabases) -> None:
    text = dbs.manifest.read_text()
    assert text.count("\t") == 9 * len(text.splitlines())  # rpm wrote ten fields per line
    facts = RpmManifestAnalyzer().analyze(MANIFEST, dbs.manifest.read_bytes())
    assert facts is not None and facts.warnings == ()
    expected = [x for x in dbs.listing("sqlite") if not x.startswith("gpg-pubkey ")]
    assert sorted(line(p) for p in facts.os_packages) == expected
    tools = next(p for p in facts.os_packages if p.name == "seawall-doc")
    assert (tools.epoch, tools.src_epoch, tools.maintainer) == (2, 2, "Fedora Project")


def test_manifest_is_claimed_by_the_walker_and_bad_lines_are_warnings(
    dbs: rpmfixtures.RpmDatabases, tmp_path: Path
) -> None:
    damaged = (
        b"just one field\n" + dbs.manifest.read_bytes() + b"a\tb\tc\td\te\tf\tg\th\t99999999999999999999\tj\n"
    )
    tar = tmp_path / "layer.tar"
    tar.write_bytes(layer_tar([Entry(MANIFEST, damaged)]))
    facts = analyze_layer(LayerSource(BlobRef(tar)), default_analyzers("image"), Limits())
    manifest = facts.files[MANIFEST]
    assert len(manifest.os_packages) == 11
    assert len(manifest.warnings) == 2 and "line 1 " in manifest.warnings[0]
