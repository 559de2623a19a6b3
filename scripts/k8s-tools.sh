#!/usr/bin/env bash
# Builds the control plane the real-operator test (test/k8s) runs —
# kube-apiserver, etcd, the Prometheus Operator, Prometheus and the operator's
# config-reloader — from source at the releases pinned in test/k8s/tools/go.mod
# (and tools/reloader/go.mod), copies the operator's CRDs from
# the same module (crds.yaml), and prints the directory that holds them.
# Nothing is fetched but Go modules.
#
# The binaries go to a cache directory keyed by the pins and the Go version
# ($RTSEC_K8S_CACHE, default /var/cache/rtsec-k8s), so only the first run on a
# machine pays for the build (about half an hour on 2 cores); later runs
# print the directory at once. Usage: scripts/k8s-tools.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/test/k8s/tools"
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
cache=${RTSEC_K8S_CACHE:-/var/cache/rtsec-k8s}

key=$({ cat "$tools/go.mod" "$tools/go.sum"; "$GO" version; } | sha256sum | cut -c1-16)
dir="$cache/$key"
bins=(kube-apiserver etcd operator prometheus)

built() {
  local b
  for b in "${bins[@]}"; do [[ -x "$1/$b" ]] || return 1; done
}
complete() { built "$dir" && [[ -s "$dir/crds.yaml" ]]; }

if ! complete; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  start=$(date +%s)
  if built "$dir"; then
    cp -a "$dir/." "$tmp/"
  else
    echo "k8s-tools: building ${bins[*]} into $dir (cold build: many minutes)" >&2
    # -p 2: the machine is shared; the Go build cache keeps the compiled
    # packages, so an interrupted build resumes where it stopped.
    (cd "$tools" && CGO_ENABLED=0 "$GO" build -p 2 -trimpath -ldflags='-s -w' -o "$tmp/" tool)
    # Go names etcd's binary after its module path, go.etcd.io/etcd/server/v3.
    mv "$tmp/server" "$tmp/etcd"
    built "$tmp" || { echo "k8s-tools: ${bins[*]} were not all built" >&2; exit 1; }
  fi
  # The CRDs of the operator release built above, from its module.
  mod=$(cd "$tools" && "$GO" list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)
  for f in "$mod"/example/prometheus-operator-crd/*.yaml; do
    printf -- '---\n'
    cat "$f"
  done >"$tmp/crds.yaml"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
  echo "k8s-tools: ready in $(($(date +%s) - start)) s" >&2
fi

# The operator's config-reloader, from its own module (tools/reloader), under
# its own key: a small build that does not invalidate the big one above.
reloader_key=$({ cat "$tools/reloader/go.mod" "$tools/reloader/go.sum"; "$GO" version; } | sha256sum | cut -c1-16)
if [[ ! -x "$dir/prometheus-config-reloader" || "$(cat "$dir/prometheus-config-reloader.key" 2>/dev/null)" != "$reloader_key" ]]; then
  echo "k8s-tools: building prometheus-config-reloader into $dir" >&2
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tools/reloader" && CGO_ENABLED=0 "$GO" build -p 2 -trimpath -ldflags='-s -w' -o "$tmp/" tool)
  mv "$tmp/prometheus-config-reloader" "$dir/prometheus-config-reloader"
  echo "$reloader_key" >"$dir/prometheus-config-reloader.key"
  rm -rf "$tmp"
  trap - EXIT
fi
echo "$dir"
