"""The apk analyzer on an Alpine 3.20 installed database (see data/apk/README.md for its provenance)."""

from __future__ import annotations

import random
from pathlib import Path

from imagetools import Entry, layer_tar
from seawall.analyze.analyzer import default_analyzers
from seawall.analyze.analyzers.apk import ApkAnalyzer, parse_installed, split_licenses
from seawall.analyze.merge import build_inventory, merge_layers
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import FileFacts, LayerFacts, LayerRef, Package

INSTALLED = Path(__file__).parent / "data" / "apk" / "installed"
ALPINE_OS_RELEASE = (
    'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
    'HOME_URL="https://alpinelinux.org/"\n'
)


def packages() -> dict[str, Package]:
    facts = ApkAnalyzer().analyze("lib/apk/db/installed", INSTALLED.read_bytes())
    assert facts is not None and facts.warnings == ()
    assert facts.os_package_type == "alpine"
    return {p.name: p for p in facts.os_packages}


def records_in_file() -> list[tuple[str, str, str, str]]:
    """(name, version, arch, origin) straight from the P/V/A/o lines, record by record."""
    out = []
    for record in INSTALLED.read_text().split("\n\n"):
        fields = dict(line.split(":", 1) for line in record.splitlines() if line[1:2] == ":")
        if "P" in fields:
            out.append((fields["P"], fields["V"], fields["A"], fields["o"]))
    return out


def test_every_record_becomes_a_package() -> None:
    got = packages()
    expected = records_in_file()
    assert len(expected) == 14
    assert sorted((p.name, p.version, p.arch, p.src_name) for p in got.values()) == sorted(expected)
    for p in got.values():
        assert p.src_version == p.version
        assert p.release == "" and p.epoch == 0  # apk keeps -rN inside the version
        assert p.purl == ""  # written by the merge step, which knows the distribution


def test_package_fields() -> None:
    got = packages()
    libssl = got["libssl3"]
    assert (libssl.version, libssl.src_name, libssl.arch) == ("3.3.2-r0", "openssl", "x86_64")
    assert libssl.maintainer == "Ariadne Conill <ariadne@dereferenced.org>"
    assert libssl.licenses == ("Apache-2.0",)
    assert got["musl"].maintainer == "Timo Teräs <timo.teras@iki.fi>"  # UTF-8 kept
    assert got["ca-certificates-bundle"].licenses == ("MPL-2.0", "MIT")
    assert got["musl-utils"].licenses == ("MIT", "BSD-2-Clause", "GPL-2.0-or-later")
    assert got["busybox"].installed_files == (
        "bin/busybox",
        "etc/securetty",
        "etc/udhcpc/udhcpc.conf",
        "etc/logrotate.d/acpid",
        "usr/share/udhcpc/default.script",
    )
    assert got["musl"].installed_files == ("lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1")
    assert got["alpine-baselayout"].installed_files[0] == "etc/crontabs/root"  # F-only dirs are not files


def test_dependencies_resolve_through_names_and_provides() -> None:
    got = packages()

    def ids(*names: str) -> tuple[str, ...]:
        return tuple(sorted(f"{n}@{got[n].version}" for n in names))

    # D:musl>=1.2.3_git20230424 ca-certificates-bundle so:libc.musl... so:libcrypto.so.3 so:libssl.so.3 ...
    assert got["apk-tools"].depends_on == ids(
        "ca-certificates-bundle", "libcrypto3", "libssl3", "musl", "zlib"
    )
    # D:alpine-baselayout-data=3.6.5-r0 /bin/sh  (/bin/sh is provided by busybox-binsh)
    assert got["alpine-baselayout"].depends_on == ids("alpine-baselayout-data", "busybox-binsh")
    # D:!uclibc-utils scanelf so:libc...: the conflict is not a dependency
    assert got["musl-utils"].depends_on == ids("musl", "scanelf")
    assert got["musl"].depends_on == ()
    assert got["busybox"].depends_on == ("musl@1.2.5-r0",)


def test_licence_splitting() -> None:
    assert split_licenses("( Apache-2.0 OR MIT ) AND MPL-2.0") == ("Apache-2.0", "MIT", "MPL-2.0")
    assert split_licenses("MPL 2.0 GPL2+") == ("MPL2.0", "GPL2+")
    assert split_licenses("GPL-2.0-or-later WITH Linux-syscall-note") == (
        "GPL-2.0-or-later",
        "Linux-syscall-note",
    )
    assert split_licenses("") == ()


def _layer(tmp_path: Path, name: str, entries: list[Entry]) -> LayerFacts:
    tar = tmp_path / f"{name}.tar"
    tar.write_bytes(layer_tar(entries))
    return analyze_layer(LayerSource(BlobRef(tar)), default_analyzers("image"), Limits())


def test_image_inventory_through_walker_and_merge(tmp_path: Path) -> None:
    base = _layer(
        tmp_path,
        "base",
        [
            Entry("etc/os-release", ALPINE_OS_RELEASE.encode()),
            Entry("lib/apk/db/installed", INSTALLED.read_bytes()),
            Entry("opt/backup/lib/apk/db/installed", INSTALLED.read_bytes()),  # not the database path
        ],
    )
    assert set(base.files) >= {"lib/apk/db/installed"}
    assert "opt/backup/lib/apk/db/installed" not in base.files
    # An upper layer upgrades zlib and removes scanelf: the whole database file is rewritten.
    text = INSTALLED.read_text().replace("P:zlib\nV:1.3.1-r1", "P:zlib\nV:1.3.1-r2")
    text = "\n\n".join(r for r in text.split("\n\n") if "\nP:scanelf\n" not in "\n" + r)
    upper = _layer(tmp_path, "upper", [Entry("lib/apk/db/installed", text.encode())])
    refs = [LayerRef(diff_id="sha256:" + c * 64) for c in "12"]
    inventory = build_inventory(
        merge_layers(list(zip(refs, [base, upper], strict=True))), "a", "container_image"
    )
    assert inventory.os is not None and (inventory.os.family, inventory.os.name) == ("alpine", "3.20.3")
    assert inventory.os_package_type == "alpine"
    got = {p.name: p for p in inventory.os_packages}
    assert len(got) == 13 and "scanelf" not in got
    assert got["musl"].purl == "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3"
    assert got["musl"].layer == refs[0]
    assert got["zlib"].version == "1.3.1-r2" and got["zlib"].layer == refs[1]


def test_usr_lib_location_is_claimed(tmp_path: Path) -> None:
    facts = _layer(tmp_path, "usrlib", [Entry("usr/lib/apk/db/installed", INSTALLED.read_bytes())])
    assert len(facts.files["usr/lib/apk/db/installed"].os_packages) == 14


# --- damaged and hostile input -------------------------------------------------------------------------


def test_bad_records_are_skipped_with_a_warning() -> None:
    text = "P:noversion\nA:x86_64\n\nP:badversion\nV:not a version\n\n" + INSTALLED.read_text()
    got, warnings = parse_installed(text)
    assert len(got) == 14
    assert len(warnings) == 2 and "line 1" in warnings[0]


def test_duplicate_names_keep_the_first_record() -> None:
    text = INSTALLED.read_text() + "\nP:musl\nV:9.9.9-r0\nA:x86_64\n"
    got, _ = parse_installed(text)
    assert [p.version for p in got if p.name == "musl"] == ["1.2.5-r0"]


def test_garbage_never_raises() -> None:
    rng = random.Random(3)
    analyzer = ApkAnalyzer()
    assert analyzer.analyze("lib/apk/db/installed", b"") is None
    blob = bytes(rng.randrange(256) for _ in range(100_000))
    facts = analyzer.analyze("lib/apk/db/installed", blob)
    assert facts is None or facts.os_packages == ()
    data = bytearray(INSTALLED.read_bytes())
    for _ in range(100):
        damaged = bytearray(data)
        for _ in range(rng.randrange(1, 30)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        result = analyzer.analyze("lib/apk/db/installed", bytes(damaged))
        assert result is None or isinstance(result, FileFacts)


def test_many_bad_records_give_bounded_warnings() -> None:
    text = "P:x\n\n" * 50_000
    got, warnings = parse_installed(text)
    assert got == ()
    assert len(warnings) == 11 and "49990 more" in warnings[-1]
