"""The IMG checks on the config of a real image built by umoci (Debian bookworm minbase)."""

from __future__ import annotations

import json
from pathlib import Path

from realimages import BuiltImage
from seawall.misconfig.image_config import image_config_result


def _config(layout: Path) -> dict:  # type: ignore[type-arg]
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":", 1)[1]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest).read_text())
    config_digest = manifest["config"]["digest"].split(":", 1)[1]
    return json.loads((layout / "blobs" / "sha256" / config_digest).read_text())  # type: ignore[no-any-return]


def test_real_image_config(minbase_image: BuiltImage) -> None:
    config = _config(minbase_image.oci_dir)
    assert config["history"]  # umoci recorded the mmdebstrap layer
    result = image_config_result(config, "registry.example.org/team/minbase:test", ["bash", "curl", "gdb"])
    by_id = {f.check.id: f for f in result.misconfigurations}  # type: ignore[attr-defined]
    assert set(by_id) == {"IMG001", "IMG004", "IMG008", "IMG009"}
    assert by_id["IMG001"].json_path == "config.User"
    message = by_id["IMG009"].message
    assert "network tools: curl" in message and "debuggers: gdb" in message and "shells: bash" in message
    assert (result.result_class, result.type) == ("config", "dockerfile")
    as_json = by_id["IMG008"].to_json()
    assert as_json["ID"] == "IMG008" and "registry.example.org" in as_json["Message"]


def test_real_debian_files_give_no_setuid_or_world_writable_findings(minbase_image: BuiltImage) -> None:
    """Debian minbase's setuid binaries (su, passwd, mount, ...) are known-good: IMG010/IMG011 stay quiet,
    while the same files with an extra setuid bit somewhere unexpected are reported."""
    import tarfile

    from seawall.analyze.analyzer import FileMeta
    from seawall.analyze.analyzers.malware import DangerousFileAnalyzer
    from seawall.misconfig.image_config import check_image_config

    analyzer = DangerousFileAnalyzer()
    facts = []
    setuid_seen = 0
    with tarfile.open(minbase_image.rootfs_tar) as tar:
        for member in tar:
            path = member.name.removeprefix("./")
            mode = member.mode | (0o040000 if member.isdir() else 0o100000)
            if member.mode & 0o4000:
                setuid_seen += 1
            if (member.isfile() or member.isdir()) and analyzer.claims(path, mode, member.size):
                result = analyzer.analyze_metadata(path, FileMeta(mode, member.size, member.uid, member.gid))
                if result:
                    facts.extend(result.findings)
    assert setuid_seen >= 3  # su, passwd, mount ... really are setuid in the image
    config = _config(minbase_image.oci_dir)
    found = {f.check.id for f in check_image_config(config, "localhost/minbase", file_findings=facts)}
    assert not found & {"IMG010", "IMG011"}
    planted = analyzer.analyze_metadata("usr/local/bin/backdoor", FileMeta(0o104755, 100))
    assert planted is not None
    found = {
        f.check.id for f in check_image_config(config, "localhost/minbase", file_findings=planted.findings)
    }
    assert "IMG010" in found
