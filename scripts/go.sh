#!/usr/bin/env bash
# Prints the path of a Go toolchain that builds rtsec (at least go.mod's go
# version), installing one first when the machine has none: the Makefile's
# GO. On a bare Debian 12 it installs Debian's golang-go (1.19, too old to
# build rtsec, and too old for GOTOOLCHAIN) and uses it to fetch the exact
# toolchain $RTSEC_GO_VERSION as the Go module golang.org/toolchain, through
# the module proxy and checked against the checksum database, as
# GOTOOLCHAIN does on Go 1.21 and later. Idempotent: once a toolchain is
# found it only prints its path.
#
# Environment: RTSEC_GO_VERSION (the toolchain to install), RTSEC_GO_PREFIX
# (where: /usr/local/lib/rtsec as root, ~/.cache/rtsec otherwise),
# RTSEC_GO_BOOTSTRAP (a Go to fetch it with instead of Debian's golang-go),
# GOPROXY and GOSUMDB as the go command reads them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
want=$(awk '$1 == "go" { print $2; exit }' "$root/go.mod")
version=${RTSEC_GO_VERSION:-go1.26.8}
if [[ $(id -u) -eq 0 ]]; then
  prefix=${RTSEC_GO_PREFIX:-/usr/local/lib/rtsec}
else
  prefix=${RTSEC_GO_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/rtsec}
fi

# goversion GO prints GO's version without "go" (1.26.8), or fails.
goversion() {
  local v
  v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  echo "${v%%[ -]*}"
}

# recent GO: whether GO runs and is at least go.mod's version.
recent() {
  local v
  v=$(goversion "$1") || return 1
  [[ $(printf '%s\n%s\n' "$want" "$v" | sort -V | head -n1) == "$want" ]]
}

candidates=("$prefix/$version/bin/go")
if command -v go >/dev/null; then candidates+=("$(command -v go)"); fi
candidates+=(/usr/local/go/bin/go)
for go in "${candidates[@]}"; do
  if [[ -x $go ]] && recent "$go"; then
    echo "$go"
    exit 0
  fi
done

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "go.sh: no Go toolchain for $(uname -m); install Go $want or later" >&2; exit 1 ;;
esac

# A Go to fetch the toolchain with: any go, however old (go mod download
# of a module outside a module works since Go 1.16).
boot=${RTSEC_GO_BOOTSTRAP:-}
if [[ -z $boot ]]; then
  for go in "${candidates[@]:1}" /usr/lib/go/bin/go; do
    if [[ -x $go ]] && goversion "$go" >/dev/null; then boot=$go; break; fi
  done
fi
if [[ -z $boot ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "go.sh: no Go $want or later, and no Go to fetch it with: run as root (it installs Debian's golang-go), or install Go $want" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "go.sh: no Go $want or later and no apt-get: install Go $want or later" >&2
    exit 1
  fi
  echo "go.sh: installing Debian's golang-go to fetch $version" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
  boot=/usr/lib/go/bin/go
fi

echo "go.sh: fetching $version (linux/$arch, about 70 MB) with $boot ($(goversion "$boot")) into $prefix" >&2
mkdir -p "$prefix"
tmp=$(mktemp -d "$prefix/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
module="golang.org/toolchain@v0.0.1-$version.linux-$arch"
info=$(cd "$tmp" && env GO111MODULE=on GOTOOLCHAIN=local GOFLAGS=-modcacherw \
  GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" GOCACHE="$tmp/cache" \
  "$boot" mod download -json "$module") || {
  echo "go.sh: go mod download $module failed: $info" >&2
  exit 1
}
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
if [[ ! -x $dir/bin/go && ! -f $dir/bin/go ]]; then
  echo "go.sh: $module has no bin/go: $info" >&2
  exit 1
fi
# What the go command does to a toolchain it downloads: module zips keep no
# file modes, and a module holds no nested go.mod (the zip has _go.mod).
chmod -R a+x "$dir/pkg/tool" "$dir/bin"
find "$dir/lib" -name 'go_*_*_exec' -exec chmod a+x {} + 2>/dev/null || true
find "$dir" -name _go.mod -execdir cp _go.mod go.mod \;
rm -rf "${prefix:?}/$version"
mv "$dir" "$prefix/$version"
go=$prefix/$version/bin/go
if ! recent "$go"; then
  echo "go.sh: $go is $(goversion "$go" || echo broken), want $want or later" >&2
  exit 1
fi
echo "go.sh: installed $("$go" version)" >&2
echo "$go"
