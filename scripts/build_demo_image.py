#!/usr/bin/env python3
"""Write the demo image that `make run` scans: a small Debian 12 based OCI archive, made offline.

Two layers, as a real build would make them: a base layer with a Debian 12 package database (real
package names and bookworm versions, some of them with published security fixes) and an
application layer with old PyPI releases installed into site-packages. The archive is
deterministic (fixed timestamps), so re-running `make run` hits Seawall's layer cache.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

MTIME = 1_700_000_000

DEBIAN_PACKAGES = [
    # (name, version, source or "", architecture)
    ("base-files", "12.4+deb12u5", "", "amd64"),
    ("bash", "5.2.15-2+b2", "", "amd64"),
    ("coreutils", "9.1-1", "", "amd64"),
    ("libc6", "2.36-9+deb12u3", "glibc", "amd64"),
    ("libc-bin", "2.36-9+deb12u3", "glibc", "amd64"),
    ("libssl3", "3.0.11-1~deb12u2", "openssl", "amd64"),
    ("openssl", "3.0.11-1~deb12u2", "", "amd64"),
    ("libcurl4", "7.88.1-10+deb12u4", "curl", "amd64"),
    ("curl", "7.88.1-10+deb12u4", "", "amd64"),
    ("zlib1g", "1:1.2.13.dfsg-1", "zlib", "amd64"),
    ("libexpat1", "2.5.0-1", "expat", "amd64"),
    ("tar", "1.34+dfsg-1.2+deb12u1", "", "amd64"),
    ("perl-base", "5.36.0-7+deb12u1", "perl", "amd64"),
    ("libsqlite3-0", "3.40.1-2", "sqlite3", "amd64"),
    ("python3.11-minimal", "3.11.2-6", "python3.11", "amd64"),
    ("tzdata", "2024a-0+deb12u1", "", "all"),
]

PYPI_PACKAGES = [
    # (name, version, licence)
    ("requests", "2.19.0", "Apache 2.0"),
    ("urllib3", "1.24.1", "MIT"),
    ("PyYAML", "5.3", "MIT"),
    ("Jinja2", "2.10", "BSD"),
    ("certifi", "2018.4.16", "MPL-2.0"),
    ("aiohttp", "3.8.1", "Apache 2"),
    ("GitPython", "3.1.30", "BSD"),
    ("Werkzeug", "2.2.2", "BSD-3-Clause"),
]

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""


def _status() -> str:
    paras = []
    for name, version, source, arch in DEBIAN_PACKAGES:
        lines = [f"Package: {name}", "Status: install ok installed", f"Architecture: {arch}"]
        if source:
            lines.append(f"Source: {source}")
        lines += [f"Version: {version}", "Maintainer: Debian maintainers <debian@example.invalid>"]
        lines.append(f"Description: {name} (Seawall demo image)")
        paras.append("\n".join(lines) + "\n")
    return "\n".join(paras)


def _metadata(name: str, version: str, licence: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: {licence}\nSummary: demo\n\n"


def _tar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for path in sorted(entries):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(entries[path]), 0o644, MTIME
            tar.addfile(info, io.BytesIO(entries[path]))
    return buf.getvalue()


def build(out_dir: Path) -> Path:
    site = "usr/local/lib/python3.11/site-packages"
    base = _tar(
        {
            "etc/os-release": OS_RELEASE.encode(),
            "etc/debian_version": b"12.4\n",
            "var/lib/dpkg/status": _status().encode(),
        }
    )
    app = _tar(
        {
            f"{site}/{name}-{ver}.dist-info/METADATA": _metadata(name, ver, lic).encode()
            for name, ver, lic in PYPI_PACKAGES
        }
        | {"app/main.py": b"import requests\nprint(requests.get('https://example.invalid').status_code)\n"}
    )
    layers = [base, app]
    created_by = [
        "ADD debian-bookworm-rootfs.tar /  # Seawall demo base",
        "RUN pip install requests==2.19.0 PyYAML==5.3 Jinja2==2.10 # buildkit",
    ]
    blobs: dict[str, bytes] = {}

    def add(data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return digest

    compressed = [gzip.compress(layer, compresslevel=6, mtime=0) for layer in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED=1"],
            "Cmd": ["python3", "/app/main.py"],
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.title": "seawall-demo"},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": c} for c in created_by],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": add(config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": add(c), "size": len(c)}
            for c in compressed
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": add(manifest_bytes),
                "size": len(manifest_bytes),
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": json.dumps(index).encode()}
    files |= {f"blobs/sha256/{d.split(':')[1]}": data for d, data in blobs.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "seawall-demo.oci.tar"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(_tar(files))
    tmp.replace(path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/demo")), file=sys.stderr)
