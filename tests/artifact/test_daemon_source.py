"""The daemon image source against a real ``podman system service`` (Docker-compatible API)."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from regservers import QuietServer, free_port
from remote_fixtures import PodmanService, layout_facts, podman_service_fixture  # noqa: F401

from realimages import BuiltImage
from seawall.artifact.daemon import DaemonError, export_daemon_image, parse_host
from seawall.artifact.options import SourceOptions
from seawall.errors import UsageError

pytestmark = pytest.mark.slow


def archive_facts(path: Path) -> tuple[str, tuple[str, ...], list[str]]:
    """(config digest, diff_ids, RepoTags) read straight from a docker-archive."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        config_bytes = tar.extractfile(manifest[0]["Config"]).read()  # type: ignore[union-attr]
    config = json.loads(config_bytes)
    digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    return digest, tuple(config["rootfs"]["diff_ids"]), manifest[0]["RepoTags"]


def leftovers(cache_dir: Path) -> list[Path]:
    return [p for p in cache_dir.rglob("*") if p.is_file()]


def test_podman_export_matches_source(
    podman_service: PodmanService, minbase_image: BuiltImage, cache_dir: Path
) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{podman_service.socket}")
    path = export_daemon_image(podman_service.image, opts, engine="podman")
    try:
        assert path.parent == cache_dir / "tmp"
        source = layout_facts(minbase_image.oci_dir, minbase_image.tag)
        config_digest, diff_ids, tags = archive_facts(path)
        assert diff_ids == source.diff_ids
        assert config_digest == source.config_digest
        assert tags == [podman_service.image]
    finally:
        path.unlink()


def test_docker_host_from_environment(
    podman_service: PodmanService, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{podman_service.socket}")
    # The short id form and the docker engine kind both go through the same API.
    path = export_daemon_image("seawall-test:base", SourceOptions(cache_dir=cache_dir))
    try:
        assert archive_facts(path)[1]
    finally:
        path.unlink()


def test_unknown_image(podman_service: PodmanService, cache_dir: Path) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{podman_service.socket}")
    with pytest.raises(DaemonError, match=r"image localhost/no-such:image not found in the podman daemon"):
        export_daemon_image("localhost/no-such:image", opts, engine="podman")
    assert leftovers(cache_dir) == []


def test_missing_socket(tmp_path: Path, cache_dir: Path) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{tmp_path}/absent.sock")
    with pytest.raises(DaemonError, match=r"no daemon socket at .*absent\.sock .*DOCKER_HOST"):
        export_daemon_image("alpine", opts)


def test_path_that_is_not_a_socket(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "file.sock").write_text("not a socket")
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{tmp_path}/file.sock")
    with pytest.raises(DaemonError, match="is not a unix socket"):
        export_daemon_image("alpine", opts)


def test_nobody_listening_on_socket(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # bound but never listening: connections are refused
        opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{path}")
        with pytest.raises(DaemonError, match="cannot reach the daemon"):
            export_daemon_image("alpine", opts)


class _FailingEngine(http.server.BaseHTTPRequestHandler):
    """Inspect succeeds, export fails with an Engine API error body."""

    def do_GET(self) -> None:
        if self.path.endswith("/json"):
            status, body = 200, b'{"Id": "sha256:abc"}'
        else:
            status, body = 500, b'{"message": "layer store unavailable"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def failing_engine() -> Iterator[int]:
    port = free_port()
    server = QuietServer(("127.0.0.1", port), _FailingEngine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def test_api_error_over_tcp(failing_engine: int, cache_dir: Path) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"tcp://127.0.0.1:{failing_engine}")
    with pytest.raises(DaemonError, match=r"exporting image app:1 .*HTTP 500: layer store unavailable"):
        export_daemon_image("app:1", opts)
    assert leftovers(cache_dir) == []


def test_tcp_nothing_listening(cache_dir: Path) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"tcp://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(DaemonError, match=r"cannot reach the daemon at http://127\.0\.0\.1"):
        export_daemon_image("app:1", opts)


@pytest.mark.parametrize("host", ["ssh://user@host", "unix://", "tcp://", "npipe:////./pipe/docker_engine"])
def test_bad_docker_host(host: str) -> None:
    with pytest.raises(UsageError):
        parse_host(host)


def test_invalid_image_name(cache_dir: Path) -> None:
    with pytest.raises(UsageError):
        export_daemon_image("app?x=1", SourceOptions(cache_dir=cache_dir, docker_host="unix:///nonexistent"))


def test_permission_denied_on_socket(cache_dir: Path) -> None:
    # As root every socket is accessible, so the check runs as `nobody` with Debian's python3
    # (same 3.11 ABI) importing Seawall and its dependencies from this checkout's venv.
    src = Path(__file__).resolve().parents[2] / "src"
    site = next((src.parent / ".venv" / "lib").glob("python3*/site-packages"))
    work = Path(tempfile.mkdtemp(prefix="seawall-perm-", dir="/tmp"))
    try:
        work.chmod(0o755)
        sock_path = work / "d.sock"
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(sock_path))
            s.listen()
            sock_path.chmod(0o600)
            code = (
                "from pathlib import Path\n"
                "from seawall.artifact.daemon import export_daemon_image\n"
                "from seawall.artifact.options import SourceOptions\n"
                "try:\n"
                f"    export_daemon_image('alpine', SourceOptions(cache_dir=Path('{work}/c'), docker_host='unix://{sock_path}'))\n"
                "except Exception as e:\n"
                "    print(type(e).__name__, e)\n"
            )
            if os.geteuid() == 0:
                cmd = [
                    "setpriv",
                    "--reuid=nobody",
                    "--regid=nogroup",
                    "--clear-groups",
                    "/usr/bin/python3",
                    "-c",
                    code,
                ]
            else:
                sock_path.chmod(0)
                cmd = [sys.executable, "-c", code]
            env = {"PYTHONPATH": f"{src}:{site}", "PATH": "/usr/bin:/bin"}
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60).stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert (
        out.strip()
        == f"DaemonError permission denied on daemon socket {sock_path} (are you in the docker group?)"
    )
