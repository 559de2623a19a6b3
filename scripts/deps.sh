#!/usr/bin/env bash
# Installs the Debian packages rtsec's build and tests use. Idempotent: it
# only calls apt-get when something is missing.
set -euo pipefail

packages=(
  clang-14 llvm bpftool libbpf-dev          # BPF objects (make generate)
  runc busybox-static                        # real containers in tests
  containerd containernetworking-plugins     # CRI metadata tests
  prometheus prometheus-alertmanager         # promtool, e2e pipeline
  iproute2 libcap2-bin util-linux            # setpriv, capability tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing Debian packages: ${missing[*]}; run as root (sudo make deps)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
