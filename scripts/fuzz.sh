#!/usr/bin/env bash
# Runs every fuzz target of the module (func FuzzX in a _test.go file) for
# the same time each, one after the other, and prints how many inputs each
# one tried. A finding fails the run; go test saves the input under the
# package's testdata/fuzz/, where it becomes a regression case.
#
#   scripts/fuzz.sh 10s     # make test (fuzz-short)
#   scripts/fuzz.sh 2m      # make fuzz
set -euo pipefail
fuzztime=${1:?usage: scripts/fuzz.sh DURATION}
go=${GO:-go}
cd "$(dirname "$0")/.."

total=0
status=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	if ! out=$("$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
		echo "$out"
		echo "FAIL: $pkg $name"
		status=1
		continue
	fi
	# Without an "execs" line the time ran out while go test was still
	# running the seed corpus (baseline coverage).
	execs=$(grep -o 'execs: [0-9]*' <<<"$out" | tail -n 1 | cut -d' ' -f2 || true)
	printf '%-28s %-36s %12s execs\n' "$pkg" "$name" "${execs:-seeds only}"
	total=$((total + ${execs:-0}))
done < <(grep -rHo --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*' cmd internal test 2>/dev/null |
	sed -E 's/:func /:/' | sort)

echo "total: $total executions, each target for $fuzztime"
exit "$status"
