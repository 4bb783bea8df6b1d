"""Real rpm databases for the rpm analyzer tests, built once per machine with Debian's rpm tools.

``rpmbuild`` makes eleven small packages from the specs below (epochs, an explicit epoch 0, noarch,
subpackages whose source rpm has another name, a file provided to another package's requirement);
``rpm -i --justdb`` installs them into an SQLite rpmdb. Debian's rpm cannot write Berkeley DB, so the
BDB files are written by libdb's own ``db5.3_load`` from the header blobs of that rpmdb, keyed by header
number as rpm's BDB backend keyed them (plus rpm's key-0 instance counter), and are then read back by
rpm's ``bdb_ro`` backend: ``rpm -qa`` on them is the expected output. NDB is not compiled into
Debian's rpm; its fixture is committed (see ``data/rpm-ndb/README.md``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realimages import TEST_CACHE, locked

BUILD_VERSION = "4"  # bump after changing what databases() builds
QUERY_FORMAT = "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n"
# What CBL-Mariner/Azure Linux distroless images ship as var/lib/rpmmanifest/container-manifest-2.
MANIFEST_FORMAT = (
    "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{INSTALLTIME}\\t%{BUILDTIME}\\t%{VENDOR}\\t(none)\\t%{SIZE}\\t"
    "%{ARCH}\\t%{EPOCHNUM}\\t%{SOURCERPM}\\n"
)

_PREAMBLE = """%global debug_package %{nil}
%global _build_id_links none
"""

SPECS: dict[str, str] = {
    "seawall-tools": _PREAMBLE
    + """Name: seawall-tools
Epoch: 2
Version: 1.4.2
Release: 3.fc40
Summary: Seawall test tools
License: MIT AND (Apache-2.0 OR BSD-3-Clause)
Vendor: Fedora Project
Requires: libseawall.so.1()(64bit)
Requires: /bin/sh

%description
Test package.

%package libs
Summary: Seawall test library
License: MIT
Provides: libseawall.so.1()(64bit)
%description libs
Test library.

%package devel
Summary: Seawall test headers
Requires: %{name}-libs = %{epoch}:%{version}-%{release}
%description devel
Test headers.

%package -n seawall-doc
Summary: Seawall test documentation
BuildArch: noarch
%description -n seawall-doc
Test documentation.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64 %{buildroot}/usr/include/seawall
mkdir -p %{buildroot}/usr/share/doc/seawall
echo tool > %{buildroot}/usr/bin/seawall-tool
echo lib > %{buildroot}/usr/lib64/libseawall.so.1
echo hdr > %{buildroot}/usr/include/seawall/seawall.h
echo doc > %{buildroot}/usr/share/doc/seawall/README

%files
/usr/bin/seawall-tool

%files libs
/usr/lib64/libseawall.so.1

%files devel
%dir /usr/include/seawall
/usr/include/seawall/seawall.h

%files -n seawall-doc
/usr/share/doc/seawall/README
""",
    "zlib-mini": _PREAMBLE
    + """Name: zlib-mini
Version: 1.2.13
Release: 1.el9
Summary: Compression test package
License: Zlib
Vendor: Red Hat, Inc.

%description
Test package.

%package devel
Summary: Compression test headers
%description devel
Test headers.

%install
mkdir -p %{buildroot}/usr/lib64 %{buildroot}/usr/include
echo z > %{buildroot}/usr/lib64/libz-mini.so.1
echo h > %{buildroot}/usr/include/zlib-mini.h

%files
/usr/lib64/libz-mini.so.1

%files devel
/usr/include/zlib-mini.h
""",
    "tzdata-lite": _PREAMBLE
    + """Name: tzdata-lite
Version: 2024a
Release: 1.el9
Summary: Time zone test data
License: Public Domain
Vendor: Red Hat, Inc.
BuildArch: noarch

%description
Test package.

%package java
Summary: Time zone test data for Java
%description java
Test package.

%install
mkdir -p %{buildroot}/usr/share/zoneinfo/Europe %{buildroot}/usr/share/javazi
echo z > %{buildroot}/usr/share/zoneinfo/Europe/Paris
echo z > %{buildroot}/usr/share/zoneinfo/UTC
echo j > %{buildroot}/usr/share/javazi/tzdb.dat

%files
/usr/share/zoneinfo

%files java
/usr/share/javazi/tzdb.dat
""",
    "bash-tiny": _PREAMBLE
    + """Name: bash-tiny
Epoch: 0
Version: 5.2.15
Release: 2.el9
Summary: Shell test package
License: GPL-3.0-or-later
Vendor: Rocky Enterprise Software Foundation
Provides: /bin/sh

%description
Test package.

%install
mkdir -p %{buildroot}/usr/bin
echo sh > %{buildroot}/usr/bin/bash-tiny

%files
/usr/bin/bash-tiny
""",
    "openssl-small": _PREAMBLE
    + """Name: openssl-small
Epoch: 1
Version: 3.0.7
Release: 27.el9_3.1
Summary: TLS test package
License: Apache-2.0
Vendor: AlmaLinux

%description
Test package.

%package libs
Summary: TLS test library
%description libs
Test library.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64 %{buildroot}/etc/pki/tls
echo o > %{buildroot}/usr/bin/openssl-small
echo l > %{buildroot}/usr/lib64/libssl-small.so.3
echo c > %{buildroot}/etc/pki/tls/openssl-small.cnf

%files
/usr/bin/openssl-small
%config(noreplace) /etc/pki/tls/openssl-small.cnf

%files libs
/usr/lib64/libssl-small.so.3
""",
}


@dataclass(frozen=True)
class RpmDatabases:
    """One set of packages installed into databases of each format, with rpm's own listing of each."""

    root: Path
    rpms: tuple[Path, ...]
    sqlite: Path  # rpmdb.sqlite
    bdb_le: Path  # Packages, little-endian, 4096-byte pages
    bdb_be: Path  # Packages, big-endian, 512-byte pages (headers spill into overflow chains)
    bdb_64k: Path  # Packages, little-endian, 64 KiB pages (headers stored on the hash pages themselves)
    manifest: Path  # ``rpm -qa --qf MANIFEST_FORMAT`` of the SQLite database (a Mariner distroless manifest)
    bdb_chksum: Path  # Packages, little-endian, 4096-byte pages with libdb page checksums on

    def listing(self, name: str) -> list[str]:
        """``rpm -qa`` output recorded for database ``name`` (sqlite, bdb_le, bdb_be, bdb_64k), sorted."""
        return sorted((self.root / f"{name}.qa.txt").read_text().splitlines())


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, env=env or _env())
    return out.stdout


def _env() -> dict[str, str]:
    # rpm prints its "use Alien" notice on Debian; a fixed HOME keeps ~/.rpmmacros out of the build.
    return {**os.environ, "HOME": str(TEST_CACHE), "LC_ALL": "C"}


def query_all(dbpath: Path, backend: str) -> str:
    """``rpm -qa`` with the NEVRA + source rpm format, as rpm itself prints it."""
    return run("rpm", "-qa", "--dbpath", dbpath, "--define", f"_db_backend {backend}", "--qf", QUERY_FORMAT)


def build_rpms(dest: Path) -> list[Path]:
    """Build the test packages with rpmbuild; returns the binary .rpm paths."""
    top = dest / "rpmbuild"
    specs = dest / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    for name, text in SPECS.items():
        spec = specs / f"{name}.spec"
        spec.write_text(text)
        run("rpmbuild", "-bb", "--nodeps", "--quiet", "--define", f"_topdir {top}", spec)
    return sorted((top / "RPMS").rglob("*.rpm"))


def make_signing_key(dest: Path) -> Path:
    """An armored OpenPGP public key made by gpg; ``rpm --import`` stores it as a gpg-pubkey header."""
    home = dest / "gnupg"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**_env(), "GNUPGHOME": str(home)}
    uid = "Seawall Test Key <test@seawall.invalid>"
    run("gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never", env=env)
    key = dest / "RPM-GPG-KEY-seawall-test"
    key.write_text(run("gpg", "--batch", "--armor", "--export", uid, env=env))
    run("gpgconf", "--homedir", home, "--kill", "gpg-agent", env=env)  # gpg started it; leave none behind
    return key


def install_justdb(
    dbpath: Path, rpms: list[Path], key: Path, rpm: str = "rpm", backend: str = "sqlite"
) -> None:
    """Create a database with ``backend``, import ``key`` and record the packages (no files written)."""
    dbpath.mkdir(parents=True, exist_ok=True)
    define = ("--define", f"_db_backend {backend}")
    run(rpm, "--dbpath", dbpath, *define, "--initdb")
    run(rpm, "--dbpath", dbpath, *define, "--import", key)
    run(rpm, "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--dbpath", dbpath, *define, *rpms)


def write_bdb(sqlite_db: Path, dest: Path, lorder: int, pagesize: int, chksum: bool = False) -> None:
    """A Berkeley DB hash ``Packages`` made by db5.3_load from the header blobs of an SQLite rpmdb."""
    with sqlite3.connect(f"file:{sqlite_db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    conn.close()
    key_format = "<I" if lorder == 1234 else ">I"
    lines = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={pagesize}", "HEADER=END"]
    # rpm's BDB backend kept its next-instance counter under key 0 in the same database.
    lines += [" " + struct.pack(key_format, 0).hex(), " " + struct.pack(key_format, rows[-1][0] + 1).hex()]
    for hnum, blob in rows:
        lines += [" " + struct.pack(key_format, hnum).hex(), " " + bytes(blob).hex()]
    lines.append("DATA=END")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dump = dest.with_suffix(".dump")
    dump.write_text("\n".join(lines) + "\n")
    run("db5.3_load", "-c", f"db_lorder={lorder}", "-c", f"chksum={int(chksum)}", "-f", dump, dest)


def databases() -> RpmDatabases:
    """Build (once per machine) the rpms and the SQLite and Berkeley DB databases holding them."""
    root = TEST_CACHE / f"rpmdb-v{BUILD_VERSION}"
    dbs = RpmDatabases(
        root=root,
        rpms=(),
        sqlite=root / "sqlite" / "rpmdb.sqlite",
        bdb_le=root / "bdb_le" / "Packages",
        bdb_be=root / "bdb_be" / "Packages",
        bdb_64k=root / "bdb_64k" / "Packages",
        manifest=root / "container-manifest-2",
        bdb_chksum=root / "bdb_chksum" / "Packages",
    )
    with locked("rpmdb"):
        if not (root / "done").exists():
            for tool in ("rpm", "rpmbuild", "db5.3_load", "gpg"):
                if shutil.which(tool) is None:
                    raise RuntimeError(f"{tool} is not installed: run scripts/install-system-deps.sh")
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            rpms = build_rpms(root)
            install_justdb(dbs.sqlite.parent, rpms, make_signing_key(root))
            (root / "sqlite.qa.txt").write_text(query_all(dbs.sqlite.parent, "sqlite"))
            dbs.manifest.write_text(run("rpm", "-qa", "--dbpath", dbs.sqlite.parent, "--qf", MANIFEST_FORMAT))
            write_bdb(dbs.sqlite, dbs.bdb_le, 1234, 4096)
            write_bdb(dbs.sqlite, dbs.bdb_be, 4321, 512)
            write_bdb(dbs.sqlite, dbs.bdb_64k, 1234, 65536)
            write_bdb(dbs.sqlite, dbs.bdb_chksum, 1234, 4096, chksum=True)
            for name, path in (("bdb_le", dbs.bdb_le), ("bdb_be", dbs.bdb_be), ("bdb_64k", dbs.bdb_64k)):
                (root / f"{name}.qa.txt").write_text(query_all(path.parent, "bdb_ro"))
            (root / "done").write_text("ok")
    built = tuple(sorted((root / "rpmbuild" / "RPMS").rglob("*.rpm")))
    return RpmDatabases(
        root, built, dbs.sqlite, dbs.bdb_le, dbs.bdb_be, dbs.bdb_64k, dbs.manifest, dbs.bdb_chksum
    )


def make_ndb_fixture(rpm_binary: str, dest: Path) -> None:
    """Write the committed NDB fixtures with an rpm built with ``--enable-ndb`` (Debian's rpm lacks it).

    ``Packages.db`` holds the test packages; ``Packages-erased.db`` is the same database after
    ``rpm -e`` of two packages and a reinstall of one (free slots, a moved blob). Run as
    ``python tests/analyze/rpmfixtures.py ndb RPM_BINARY tests/analyze/data/rpm-ndb``.
    """
    work = TEST_CACHE / "rpmdb-ndb-build"
    shutil.rmtree(work, ignore_errors=True)
    rpms = build_rpms(work)
    db = work / "db"
    install_justdb(db, rpms, make_signing_key(work), rpm=rpm_binary, backend="ndb")
    dest.mkdir(parents=True, exist_ok=True)
    rpm = (rpm_binary, "--dbpath", db, "--define", "_db_backend ndb")
    shutil.copyfile(db / "Packages.db", dest / "Packages.db")
    (dest / "ndb.qa.txt").write_text(run(*rpm, "-qa", "--qf", QUERY_FORMAT))
    run(*rpm, "-e", "--justdb", "--nodeps", "--noscripts", "zlib-mini", "seawall-doc")
    run(*rpm, "-i", "--justdb", "--nodeps", "--noscripts", next(r for r in rpms if "seawall-doc" in r.name))
    shutil.copyfile(db / "Packages.db", dest / "Packages-erased.db")
    (dest / "ndb-erased.qa.txt").write_text(run(*rpm, "-qa", "--qf", QUERY_FORMAT))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "ndb":
        make_ndb_fixture(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit("usage: rpmfixtures.py ndb RPM_BINARY DEST_DIR")
