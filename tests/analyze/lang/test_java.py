"""Java archives and build files, on real Debian JARs and archives assembled from them with ``jar``.

The expected coordinates of each Debian JAR come from the same package's Maven repository tree
(``/usr/share/maven-repo/<group>/<artifact>/<version>/<artifact>-<version>.jar`` links to the JAR), so the
oracle is independent of the archive contents the analyzer reads.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagetools import Entry, layer_tar
from realimages import TEST_CACHE, locked
from seawall.analyze.analyzers.java import GradleLockAnalyzer, JarAnalyzer, PomAnalyzer
from seawall.analyze.analyzers.javaarchive import MAX_DEPTH, MAX_MEMBERS, MAX_TOTAL_BYTES
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import FileFacts, Package

JAVA_CACHE = TEST_CACHE / "lang-java-v1"
DEBS = (
    "liblog4j2-java",
    "libjackson2-databind-java",
    "libjackson2-core-java",
    "libjackson2-annotations-java",
    "libcommons-lang3-java",
    "libslf4j-java",
)


@dataclass(frozen=True)
class JavaData:
    root: Path
    jars: dict[str, tuple[str, str, str]]  # real Debian jar file name -> (group, artifact, version)
    war: Path
    boot: Path
    ear: Path
    manifest_only: Path
    name_only: Path

    def jar(self, name: str) -> Path:
        return self.root / "deb" / "usr" / "share" / "java" / name


def _apt_download(dest: Path) -> None:
    cmd = ["apt-get", "download", *DEBS]
    if subprocess.run(cmd, cwd=dest, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)


def _maven_repo_oracle(deb_root: Path) -> dict[str, tuple[str, str, str]]:
    repo = deb_root / "usr" / "share" / "maven-repo"
    out: dict[str, tuple[str, str, str]] = {}
    for link in repo.rglob("*.jar"):
        version_dir = link.parent
        version, artifact = version_dir.name, version_dir.parent.name
        if not link.is_symlink() or version == "debian" or version.endswith(".x"):
            continue
        group = ".".join(version_dir.parent.parent.relative_to(repo).parts)
        out[link.resolve().name] = (group, artifact, version)
    return out


def _jar_tool(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["jar", *(str(a) for a in args)], cwd=cwd, check=True, capture_output=True)


def _pom_properties(d: Path, group: str, artifact: str, version: str) -> None:
    p = d / "META-INF" / "maven" / group / artifact
    p.mkdir(parents=True)
    (p / "pom.properties").write_text(
        f"#Created by Apache Maven 3.8.7\nartifactId={artifact}\ngroupId={group}\nversion={version}\n"
    )


def _build(root: Path) -> None:
    debs = root / "debs"
    debs.mkdir(parents=True)
    _apt_download(debs)
    deb_root = root / "deb"
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(deb_root)], check=True)
    java = deb_root / "usr" / "share" / "java"
    out = root / "out"
    out.mkdir()

    # A WAR as Maven lays it out: the application's classes and pom.properties, libraries in WEB-INF/lib.
    war = root / "war"
    lib = war / "WEB-INF" / "lib"
    lib.mkdir(parents=True)
    (war / "WEB-INF" / "web.xml").write_text("<web-app/>\n")
    _pom_properties(war, "com.example", "shop", "1.0.0")
    for src, name in (
        ("log4j-api.jar", "log4j-api-2.19.0.jar"),
        ("log4j-core.jar", "log4j-core-2.19.0.jar"),
        ("jackson-databind.jar", "jackson-databind-2.14.0.jar"),
        ("jackson-core.jar", "jackson-core-2.14.1.jar"),
    ):
        shutil.copy(java / src, lib / name)
    _jar_tool("--create", "--file", out / "shop.war", "-C", war, ".", cwd=root)

    # A Spring Boot fat jar: nested jars stored uncompressed under BOOT-INF/lib.
    boot = root / "boot"
    (boot / "BOOT-INF" / "lib").mkdir(parents=True)
    (boot / "BOOT-INF" / "classes").mkdir()
    (boot / "BOOT-INF" / "classes" / "application.properties").write_text("server.port=8080\n")
    _pom_properties(boot, "com.example", "demo", "0.0.1-SNAPSHOT")
    shutil.copy(java / "commons-lang3.jar", boot / "BOOT-INF" / "lib" / "commons-lang3-3.12.0.jar")
    shutil.copy(java / "slf4j-api.jar", boot / "BOOT-INF" / "lib" / "slf4j-api-1.7.32.jar")
    manifest = root / "boot.mf"
    manifest.write_text(
        "Main-Class: org.springframework.boot.loader.JarLauncher\nStart-Class: com.example.Demo\n"
        "Spring-Boot-Lib: BOOT-INF/lib/\n"
    )
    _jar_tool(
        "--create",
        "--no-compress",
        "--file",
        out / "demo.jar",
        "--manifest",
        manifest,
        "-C",
        boot,
        ".",
        cwd=root,
    )

    # An EAR holding the WAR and a shared library: archives two levels deep.
    ear = root / "ear"
    (ear / "lib").mkdir(parents=True)
    shutil.copy(out / "shop.war", ear / "shop.war")
    shutil.copy(java / "jackson-annotations.jar", ear / "lib" / "jackson-annotations-2.14.0.jar")
    _jar_tool("--create", "--file", out / "store.ear", "-C", ear, ".", cwd=root)

    # Identity from MANIFEST.MF only, and from the file name only.
    plain = root / "plain"
    plain.mkdir()
    (plain / "readme.txt").write_text("no metadata\n")
    mf = root / "mylib.mf"
    mf.write_text(
        "Implementation-Title: mylib\nImplementation-Version: 4.5.6\nImplementation-Vendor-Id: com.example\n"
        "Implementation-Vendor: Example Corp\n"
    )
    _jar_tool("--create", "--file", out / "mylib.jar", "--manifest", mf, "-C", plain, ".", cwd=root)
    _jar_tool("--create", "--no-manifest", "--file", out / "noinfo-7.8.9.jar", "-C", plain, ".", cwd=root)
    for d in (war, boot, ear, plain, debs):
        shutil.rmtree(d)


@pytest.fixture(scope="session")
def java_data() -> JavaData:
    """Debian JARs (apt-get download + dpkg-deb -x) and archives built from them; cached per machine."""
    for tool in ("apt-get", "dpkg-deb", "jar"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (Debian openjdk-17-jdk-headless provides jar)")
    root = JAVA_CACHE
    with locked("lang-java"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            _build(root)
            (root / "done").write_text("ok")
    out = root / "out"
    return JavaData(
        root=root,
        jars=_maven_repo_oracle(root / "deb"),
        war=out / "shop.war",
        boot=out / "demo.jar",
        ear=out / "store.ear",
        manifest_only=out / "mylib.jar",
        name_only=out / "noinfo-7.8.9.jar",
    )


def _analyze(path: Path, name: str) -> FileFacts:
    facts = JarAnalyzer().analyze(name, path.read_bytes())
    assert facts is not None
    return facts


def _coords(packages: tuple[Package, ...]) -> set[tuple[str, str, str]]:
    return {(p.name, p.version, p.file_path) for p in packages}


def test_debian_jars_match_their_maven_repo_coordinates(java_data: JavaData) -> None:
    assert len(java_data.jars) >= 20
    with_licenses = 0
    for name, (group, artifact, version) in java_data.jars.items():
        path = f"usr/share/java/{name}"
        facts = _analyze(java_data.jar(name), path)
        assert not facts.warnings
        (app,) = facts.applications
        assert app.type == "jar" and app.file_path == path
        assert _coords(app.packages) == {(f"{group}:{artifact}", version, path)}, name
        assert app.packages[0].purl == f"pkg:maven/{group}/{artifact}@{version}"
        # Licenses come from the pom.xml packed beside pom.properties when it declares them (some
        # inherit theirs from a parent pom, which is not read): check against `unzip -p`'s copy.
        embedded = subprocess.run(
            ["unzip", "-p", str(java_data.jar(name)), f"META-INF/maven/{group}/{artifact}/pom.xml"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        declared = re.findall(r"<license>\s*<name>([^<]+)</name>", embedded)
        assert app.packages[0].licenses == tuple(n.strip() for n in declared), name
        with_licenses += bool(declared)
    assert with_licenses >= 5


def test_war_with_web_inf_lib(java_data: JavaData) -> None:
    (app,) = _analyze(java_data.war, "srv/shop.war").applications
    lib = "srv/shop.war/WEB-INF/lib"
    databind = next(p for p in app.packages if p.name.endswith(":jackson-databind"))
    assert databind.licenses == ("The Apache Software License, Version 2.0",)
    assert _coords(app.packages) == {
        ("com.example:shop", "1.0.0", "srv/shop.war"),
        ("org.apache.logging.log4j:log4j-api", "2.19.0", f"{lib}/log4j-api-2.19.0.jar"),
        ("org.apache.logging.log4j:log4j-core", "2.19.0", f"{lib}/log4j-core-2.19.0.jar"),
        ("com.fasterxml.jackson.core:jackson-databind", "2.14.0", f"{lib}/jackson-databind-2.14.0.jar"),
        ("com.fasterxml.jackson.core:jackson-core", "2.14.1", f"{lib}/jackson-core-2.14.1.jar"),
    }


def test_spring_boot_fat_jar(java_data: JavaData) -> None:
    with zipfile.ZipFile(java_data.boot) as zf:  # the nested jars really are stored, as Spring Boot does
        assert zf.getinfo("BOOT-INF/lib/commons-lang3-3.12.0.jar").compress_type == zipfile.ZIP_STORED
    (app,) = _analyze(java_data.boot, "app/demo.jar").applications
    assert _coords(app.packages) == {
        ("com.example:demo", "0.0.1-SNAPSHOT", "app/demo.jar"),
        ("org.apache.commons:commons-lang3", "3.12.0", "app/demo.jar/BOOT-INF/lib/commons-lang3-3.12.0.jar"),
        ("org.slf4j:slf4j-api", "1.7.32", "app/demo.jar/BOOT-INF/lib/slf4j-api-1.7.32.jar"),
    }


def test_ear_with_nested_war(java_data: JavaData) -> None:
    (app,) = _analyze(java_data.ear, "store.ear").applications
    coords = _coords(app.packages)
    assert ("com.example:shop", "1.0.0", "store.ear/shop.war") in coords
    assert (
        "org.apache.logging.log4j:log4j-core",
        "2.19.0",
        "store.ear/shop.war/WEB-INF/lib/log4j-core-2.19.0.jar",
    ) in coords
    assert (
        "com.fasterxml.jackson.core:jackson-annotations",
        "2.14.0",
        "store.ear/lib/jackson-annotations-2.14.0.jar",
    ) in coords
    assert len(coords) == 6


def test_manifest_then_file_name(java_data: JavaData) -> None:
    (app,) = _analyze(java_data.manifest_only, "opt/mylib.jar").applications
    assert _coords(app.packages) == {("com.example:mylib", "4.5.6", "opt/mylib.jar")}
    (app,) = _analyze(java_data.name_only, "opt/noinfo-7.8.9.jar").applications
    assert _coords(app.packages) == {("noinfo", "7.8.9", "opt/noinfo-7.8.9.jar")}
    assert app.packages[0].purl == "pkg:maven/noinfo@7.8.9"


TABULA = "tabula-py==2.10.0"


@pytest.fixture(scope="session")
def shaded_jar() -> Path:
    """tabula's jar-with-dependencies from PyPI's tabula-py wheel: a real shaded jar (cached)."""
    root = TEST_CACHE / "lang-java-shaded-v1"
    with locked("lang-java-shaded"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(root),
                 TABULA],
                check=True, capture_output=True,
            )  # fmt: skip
            (wheel,) = root.glob("*.whl")
            with zipfile.ZipFile(wheel) as zf:
                (member,) = (n for n in zf.namelist() if n.endswith("-jar-with-dependencies.jar"))
                (root / member.rpartition("/")[2]).write_bytes(zf.read(member))
            wheel.unlink()
            (root / "done").write_text("ok")
    (jar,) = root.glob("*.jar")
    return jar


def test_real_shaded_jar(shaded_jar: Path) -> None:
    with zipfile.ZipFile(shaded_jar) as zf:
        shaded = {
            tuple(n.split("/")[2:4])
            for n in zf.namelist()
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties")
        }
    assert len(shaded) >= 10
    path = f"opt/tabula/{shaded_jar.name}"
    (app,) = _analyze(shaded_jar, path).applications
    names = {p.name for p in app.packages}
    # Every shaded pom.properties, plus the jar itself, named by its file (it carries no pom of its own).
    assert names == {f"{g}:{a}" for g, a in shaded} | {"tabula"}
    own = next(p for p in app.packages if p.name == "tabula")
    assert (
        own.version == "1.0.5-jar-with-dependencies"
        and own.purl == "pkg:maven/tabula@1.0.5-jar-with-dependencies"
    )
    assert all(p.file_path == path for p in app.packages)


# Hostile archives ------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes], stored: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _pom(group: str, artifact: str, version: str) -> bytes:
    return f"groupId={group}\nartifactId={artifact}\nversion={version}\n".encode()


def test_jar_nested_20_deep_stops_at_the_depth_limit() -> None:
    data = _zip({"META-INF/maven/g/level0/pom.properties": _pom("g", "level0", "1.0")})
    for level in range(1, 21):
        data = _zip(
            {
                f"META-INF/maven/g/level{level}/pom.properties": _pom("g", f"level{level}", "1.0"),
                f"lib/level{level - 1}.jar": data,
            }
        )
    facts = JarAnalyzer().analyze("deep.jar", data)
    assert facts is not None
    names = {p.name for p in facts.applications[0].packages}
    # The outer archive (level 20) and MAX_DEPTH levels below it are read; deeper ones are not opened.
    assert names == {f"g:level{n}" for n in range(20 - MAX_DEPTH, 21)}
    assert any(f"nested more than {MAX_DEPTH} deep" in w for w in facts.warnings)


def test_zip_bomb_members_are_not_inflated() -> None:
    zeros = bytes(64 * 1024 * 1024)
    bomb = _zip(
        {
            "META-INF/maven/g/a/pom.properties": _pom("g", "a", "1.0") + zeros,  # read capped at 1 MiB
            "lib/bomb.jar": zeros,  # ratio ~1000:1
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n" + zeros,
        }
    )
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        facts = JarAnalyzer().analyze("bomb.jar", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert facts is not None
    assert any("zip bomb" in w for w in facts.warnings)
    assert {p.name for p in facts.applications[0].packages} == {"g:a"}


def test_many_small_members_stop_at_the_inflate_budget() -> None:
    """520 pom.properties that each declare 1 MiB: reading stops at the 512 MiB inflate budget.

    The sizes are charged as declared, before inflating (a member never yields more than it declares),
    so the central directory's sizes are raised here instead of compressing 520 MiB in the test.
    """
    mib = 1024 * 1024
    data = bytearray(
        _zip({f"META-INF/maven/g/a{i}/pom.properties": _pom("g", f"a{i}", "1") for i in range(520)})
    )
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", data, at + 24, mib)  # uncompressed size in the central directory entry
        at = data.find(b"PK\x01\x02", at + 46)
    facts = JarAnalyzer().analyze("many.jar", bytes(data))
    assert facts is not None
    assert len(facts.applications[0].packages) == MAX_TOTAL_BYTES // mib
    assert sum("decompressed bytes for one archive" in w for w in facts.warnings) == 1


def test_hostile_properties_and_manifest_continuations() -> None:
    """A megabyte of continuation lines is one logical line, joined once (quadratic joining hangs)."""
    props = b"groupId=g\nartifactId=a\nversion=1.0\n" + b"x\\\n" * 300_000 + b"=y\n"
    manifest = b"Manifest-Version: 1.0\nImplementation-Title: t\n" + b" x\n" * 300_000
    facts = JarAnalyzer().analyze(
        "c.jar", _zip({"META-INF/maven/g/a/pom.properties": props, "META-INF/MANIFEST.MF": manifest})
    )
    assert facts is not None
    assert [(p.name, p.version) for p in facts.applications[0].packages] == [("g:a", "1.0")]


def test_truncated_and_non_zip_archives(java_data: JavaData) -> None:
    data = java_data.war.read_bytes()
    for bad in (data[: len(data) // 2], data[:-30], b"not a zip at all", b""):
        facts = JarAnalyzer().analyze("x.war", bad)
        assert facts is not None and not facts.applications
        assert facts.warnings and "skipped" in facts.warnings[0]


def test_member_count_limit_on_a_zip64_archive() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(MAX_MEMBERS + 1):
            zf.writestr(f"c/{i}.class", b"")
    facts = JarAnalyzer().analyze("many.jar", buf.getvalue())
    assert facts is not None and not facts.applications
    assert f"more than {MAX_MEMBERS} zip entries" in facts.warnings[0]
    # A zip64 archive under the limit is read normally.
    small = io.BytesIO()
    with zipfile.ZipFile(small, "w") as zf:
        zf.writestr("META-INF/maven/g/a/pom.properties", _pom("g", "a", "1"))
    data = bytearray(small.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 0xFFFF, 0xFFFF)  # "see the zip64 record", which is absent
    facts = JarAnalyzer().analyze("a.jar", bytes(data))
    assert facts is None or not any("zip entries" in w for w in facts.warnings)


def test_random_corruption_gives_warnings_not_exceptions(java_data: JavaData) -> None:
    data = java_data.war.read_bytes()
    directory = data.find(b"PK\x01\x02")  # corrupt mostly the central directory, where offsets live
    rng = random.Random(20261129)
    for _ in range(80):
        d = bytearray(data)
        for _ in range(rng.randint(1, 10)):
            d[rng.choice([rng.randrange(directory, len(d)), rng.randrange(len(d))])] = rng.randrange(256)
        facts = JarAnalyzer().analyze("x.war", bytes(d))
        assert facts is None or facts.applications or facts.warnings


def test_nested_broken_archive_does_not_stop_the_rest(java_data: JavaData) -> None:
    good = java_data.jar("commons-lang3.jar").read_bytes()
    outer = _zip(
        {"lib/broken.jar": good[: len(good) // 3], "lib/commons-lang3-3.12.0.jar": good}, stored=True
    )
    facts = JarAnalyzer().analyze("outer.jar", outer)
    assert facts is not None
    assert {p.name for p in facts.applications[0].packages} == {"org.apache.commons:commons-lang3"}
    assert any("outer.jar/lib/broken.jar" in w for w in facts.warnings)


def test_walker_over_a_layer_of_real_jars(java_data: JavaData, tmp_path: Path) -> None:
    entries = [Entry(f"usr/share/java/{n}", java_data.jar(n).read_bytes()) for n in sorted(java_data.jars)]
    entries.append(Entry("srv/app/shop.war", java_data.war.read_bytes()))
    entries.append(Entry("srv/app/broken.jar", b"PK\x03\x04garbage"))
    layer = tmp_path / "layer.tar"
    layer.write_bytes(layer_tar(entries))
    facts = analyze_layer(LayerSource(BlobRef(layer)), [JarAnalyzer()], Limits())
    assert len(facts.files) == len(entries)
    assert facts.files["srv/app/broken.jar"].warnings
    total = sum(len(a.packages) for f in facts.files.values() for a in f.applications)
    assert total == len(java_data.jars) + 5


# pom.xml and gradle.lockfile -------------------------------------------------------------------------


def test_real_debian_pom(java_data: JavaData) -> None:
    pom = next((java_data.root / "deb" / "usr" / "share" / "maven-repo").rglob("jackson-databind-2.14.0.pom"))
    facts = PomAnalyzer().analyze("pom.xml", pom.read_bytes())
    assert facts is not None
    (app,) = facts.applications
    assert app.type == "pom"
    pkgs = {p.name: p for p in app.packages}
    # Debian rewrites dependency versions to its own "2.x" aliases; the file is still a real pom.
    assert pkgs["com.fasterxml.jackson.core:jackson-databind"].version == "2.14.0"
    assert pkgs["com.fasterxml.jackson.core:jackson-core"].version == "2.x"
    assert (
        "com.fasterxml.jackson.core:jackson-core@2.x"
        in pkgs["com.fasterxml.jackson.core:jackson-databind"].depends_on
    )


POM = b"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>2.0.0</version></parent>
  <artifactId>service</artifactId>
  <licenses><license><name>Apache-2.0</name></license><license><name>${extra.license}</name></license></licenses>
  <properties>
    <jackson.version>2.14.1</jackson.version>
    <log4j.version>${log4j.major}.19.0</log4j.version>
    <log4j.major>2</log4j.major>
    <extra.license>MIT</extra.license>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.32</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-core</artifactId>
      <version>${jackson.version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version>
      <scope>test</scope></dependency>
    <dependency><groupId>com.example</groupId><artifactId>sibling</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>org.example</groupId><artifactId>from-bom</artifactId></dependency>
  </dependencies>
</project>
"""


def test_pom_properties_management_and_scopes() -> None:
    facts = PomAnalyzer().analyze("svc/pom.xml", POM)
    assert facts is not None
    pkgs = {p.name: p for p in facts.applications[0].packages}
    assert {n: (p.version, p.dev) for n, p in pkgs.items()} == {
        "com.example:service": ("2.0.0", False),  # version inherited from <parent>
        "com.fasterxml.jackson.core:jackson-core": ("2.14.1", False),
        "org.apache.logging.log4j:log4j-core": ("2.19.0", False),  # property of a property
        "org.slf4j:slf4j-api": ("1.7.32", False),  # from dependencyManagement
        "junit:junit": ("4.13.2", True),  # test scope
        "com.example:sibling": ("2.0.0", False),
    }  # from-bom has no version in this file (a BOM or parent would give it): left out
    assert "junit:junit@4.13.2" not in pkgs["com.example:service"].depends_on
    assert pkgs["com.example:service"].licenses == ("Apache-2.0", "MIT")
    assert pkgs["org.slf4j:slf4j-api"].purl == "pkg:maven/org.slf4j/slf4j-api@1.7.32"


def test_hostile_and_broken_poms() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><project>&lol;</project>'
    for bad in (laughs, b"<project><dependencies>", b"<notaproject/>", b"\x00\xff"):
        facts = PomAnalyzer().analyze("pom.xml", bad)
        assert facts is not None and facts.warnings and not facts.applications


def test_pom_property_expansion_is_bounded() -> None:
    """Properties that double at every level (billion laughs without entities) stay unresolved."""
    levels = "".join(
        f"<p{i}>${{p{i - 1}}}${{p{i - 1}}}${{p{i - 1}}}${{p{i - 1}}}</p{i}>" for i in range(1, 12)
    )
    pom = (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><groupId>g</groupId><artifactId>a</artifactId>'
        f"<version>1</version><properties><p0>lol</p0>{levels}</properties><dependencies>"
        "<dependency><groupId>x</groupId><artifactId>y</artifactId><version>${p11}</version></dependency>"
        "<dependency><groupId>x</groupId><artifactId>z</artifactId><version>${p1}</version></dependency>"
        "</dependencies></project>"
    ).encode()
    facts = PomAnalyzer().analyze("pom.xml", pom)
    assert facts is not None
    assert {(p.name, p.version) for p in facts.applications[0].packages} == {
        ("g:a", "1"),
        ("x:z", "lollollollol"),
    }


def test_gradle_lockfile() -> None:
    text = (
        "# This is a Gradle generated file for dependency locking.\n"
        "# Manual edits can break the build and are not advised.\n"
        "# This file is expected to be part of source control.\n"
        "com.fasterxml.jackson.core:jackson-core:2.14.1=compileClasspath,runtimeClasspath\n"
        "junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n"
        "broken-line\n"
        "empty=annotationProcessor\n"
    )
    analyzer = GradleLockAnalyzer()
    assert analyzer.claims("app/gradle.lockfile", 0o644, 10)
    assert not analyzer.claims("app/yarn.lockfile", 0o644, 10)
    facts = analyzer.analyze("app/gradle.lockfile", text.encode())
    assert facts is not None
    (app,) = facts.applications
    assert app.type == "gradle"
    assert {(p.name, p.version, p.dev) for p in app.packages} == {
        ("com.fasterxml.jackson.core:jackson-core", "2.14.1", False),
        ("junit:junit", "4.13.2", True),
    }
