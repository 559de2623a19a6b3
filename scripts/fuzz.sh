#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME (default 3s).
#
# Go before 1.27 can fail a duration-bound fuzz run at its deadline with a
# bare "context deadline exceeded" and no failing input, when a loaded
# machine keeps a worker from stopping in time (go.dev/issue/75804). Such a
# run found nothing, so it is run once more; anything else fails at once:
# a failing input, a panic, a second deadline.
set -euo pipefail

go=${GO:-go}
fuzztime=${FUZZTIME:-3s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# fuzz runs one target; its status is go test's.
fuzz() {
  "$go" test -run '^$' -fuzz "^$1\$" -fuzztime "$fuzztime" "./$2" 2>&1 | tee "$out"
  return "${PIPESTATUS[0]}"
}

# deadline tells whether the failed run in $out is the coordinator's race:
# its only failure message is the deadline, and no input was written.
deadline() {
  grep -qx '    context deadline exceeded' "$out" &&
    ! grep -qE 'Failing input written|^panic:|_test\.go:[0-9]+:' "$out"
}

for file in $(git grep -l '^func Fuzz' -- '*_test.go'); do
  dir=$(dirname "$file")
  for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    echo "fuzz $target ./$dir"
    fuzz "$target" "$dir" && continue
    if deadline; then
      echo "fuzz $target: stopped at its deadline with nothing found (go.dev/issue/75804); once more"
      fuzz "$target" "$dir" && continue
    fi
    echo "fuzz $target ./$dir failed" >&2
    exit 1
  done
done
