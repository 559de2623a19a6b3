#!/usr/bin/env bash
# Checks that `make build` (and so `make run` and `make test`) sets up Go on
# a machine without it, as a bare Debian 12 does: PATH without any Go,
# /usr/local/go hidden under an empty tmpfs in a mount namespace of its own,
# and
# Debian's golang-go 1.19 as the only Go, unpacked from the Debian package
# into a temporary directory instead of installed (go.sh installs it with
# apt-get on a bare machine; unpacking leaves this machine's Go as it is).
# scripts/go.sh must fetch the toolchain, and make build must build a
# working exporter with it. Run as root: scripts/check-go-bootstrap.sh
# [--cold] (--cold: an empty module cache too, as on a fresh machine;
# otherwise the machine's module cache is reused).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cold=false
[[ ${1:-} == --cold ]] && cold=true

if [[ ${RTSEC_CHECK_NS:-} != 1 ]]; then
  # Again in a mount namespace where /usr/local/go is empty.
  exec unshare --mount --propagation private env RTSEC_CHECK_NS=1 bash -c \
    'if [[ -d /usr/local/go ]]; then mount -t tmpfs none /usr/local/go; fi; exec "$0" "$@"' "$0" "$@"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq golang-1.19-go 2>/dev/null) || { echo "check: apt-get download golang-1.19-go failed" >&2; exit 1; }
dpkg -x "$tmp"/golang-1.19-go_*.deb "$tmp/debian"
boot=$tmp/debian/usr/lib/go-1.19/bin/go
echo "check: bootstrap $("$boot" version)"

env=(HOME="$tmp/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin RTSEC_GO_PREFIX="$tmp/prefix" RTSEC_GO_BOOTSTRAP="$boot")
if ! $cold && [[ -d /root/go/pkg/mod ]]; then
  env+=(GOMODCACHE=/root/go/pkg/mod)
fi
if env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c 'command -v go' >/dev/null || [[ -e /usr/local/go/bin/go ]]; then
  echo "check: /usr/bin has a go: this check wants a PATH without Go" >&2
  exit 1
fi
start=$(date +%s)
env -i "${env[@]}" "$root/scripts/go.sh" >"$tmp/go.path"
fetched=$(date +%s)
go=$(cat "$tmp/go.path")
echo "check: scripts/go.sh installed $go in $((fetched - start))s"
[[ $go == "$tmp/prefix/"*/bin/go ]] || { echo "check: go.sh printed $go, not the toolchain it installed" >&2; exit 1; }
# Idempotent: a second run only prints the path.
[[ $(env -i "${env[@]}" "$root/scripts/go.sh" 2>&1) == "$go" ]] || { echo "check: a second go.sh run did more than print the path" >&2; exit 1; }

out=$tmp/build
mkdir -p "$out"
# A copy of the tree as it is (not a git checkout: the build does not need one).
mkdir -p "$out/src"
tar -C "$root" --exclude=./.git --exclude=./rtsec_exporter --exclude=./rtsec_exporter.oci --exclude=./.build -c . | tar -C "$out/src" -x
env -i "${env[@]}" make -C "$out/src" build >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; exit 1; }
built=$(date +%s)
"$out/src/rtsec_exporter" --version 2>&1 | head -n1
echo "check: make build with PATH=/usr/bin:/bin took $((built - fetched))s; total $((built - start))s"
echo "check: ok"
