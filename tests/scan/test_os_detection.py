"""OS detection from os-release and release files, as images of each distribution ship them."""

from __future__ import annotations

import pytest

from seawall.analyze.analyzers.os_release import OSReleaseAnalyzer, choose_os

DISTROLESS = (
    'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n'
    'VERSION="Debian GNU/Linux 12 (bookworm)"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n'
)
UBUNTU = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n'
ALPINE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
ROCKY = 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n'
UBI = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n'
WOLFI = 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n'


def detect(files: dict[str, str]):
    a = OSReleaseAnalyzer()
    found = {}
    for path, text in files.items():
        assert a.claims(path, 0o100644, len(text))
        facts = a.analyze(path, text.encode())
        if facts and facts.os:
            found[path] = facts.os
    return choose_os(found)


@pytest.mark.parametrize(
    ("files", "family", "name"),
    [
        ({"etc/os-release": DISTROLESS}, "debian", "12"),
        ({"usr/lib/os-release": DISTROLESS, "etc/debian_version": "12.7\n"}, "debian", "12.7"),
        ({"etc/os-release": UBUNTU, "etc/debian_version": "bookworm/sid\n"}, "ubuntu", "22.04"),
        ({"etc/os-release": ALPINE, "etc/alpine-release": "3.20.3\n"}, "alpine", "3.20.3"),
        ({"etc/alpine-release": "3.19.1\n"}, "alpine", "3.19.1"),
        (
            {"etc/os-release": ROCKY, "etc/redhat-release": "Rocky Linux release 9.4 (Blue Onyx)\n"},
            "rocky",
            "9.4",
        ),
        (
            {"etc/os-release": UBI, "etc/redhat-release": "Red Hat Enterprise Linux release 9.4 (Plow)\n"},
            "redhat",
            "9.4",
        ),
        ({"etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n"}, "centos", "7.9.2009"),
        ({"etc/os-release": WOLFI}, "wolfi", "20230201"),
    ],
)
def test_detection(files, family, name):
    os_info = detect(files)
    assert os_info is not None
    assert (os_info.family, os_info.name) == (family, name)


def test_distroless_is_marked():
    os_info = detect({"etc/os-release": DISTROLESS})
    assert os_info is not None and os_info.distroless


def test_garbage_is_not_an_os():
    assert detect({"etc/os-release": "\x00\x01binary junk\nID=\n"}) is None
    assert detect({"etc/debian_version": ""}) is None


def test_suse_micro_and_sap():
    micro = 'NAME="SL-Micro"\nVERSION="6.0"\nID="sl-micro"\nID_LIKE="suse"\nVERSION_ID="6.0"\n'
    sap = 'NAME="SLES_SAP"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nID="sles_sap"\nID_LIKE="suse"\n'
    assert (detect({"etc/os-release": micro}).family, detect({"etc/os-release": micro}).name) == (
        "sle-micro",
        "6.0",
    )
    assert detect({"etc/os-release": sap}).family == "suse linux enterprise server"
