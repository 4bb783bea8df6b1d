#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real (image builders, registry, Podman, rpm, Go).
set -euo pipefail
PACKAGES=(
  mmdebstrap umoci skopeo            # build and convert real images
  docker-registry apache2-utils      # the distribution registry, htpasswd
  openssl                            # self-signed certificates for TLS registries in tests
  podman runc uidmap slirp4netns     # real containers and the Docker-compatible API
  rpm                                # rpm databases in all three formats
  db5.3-util gpg                     # libdb-written rpm Berkeley DB files; a gpg-pubkey entry
  golang-go                          # `go version -m` to check Go build info
  binutils unzip                     # objcopy adds a .dep-v0 section to a Rust binary; unzip reads embedded poms
  composer bundler ruby-rack cargo   # real composer.lock/installed.json, Gemfile.lock, Cargo.lock (offline)
  maven openjdk-17-jdk-headless      # Maven's ComparableVersion (maven-artifact jar) as a version-order oracle
  librust-semver-dev                 # the Rust semver crate (offline, for cargo) as a version-order oracle
  bpftrace                           # eBPF runtime event source (tracepoints)
  ca-certificates
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
