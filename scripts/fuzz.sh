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

# Each package's test binary is built once, instrumented for fuzzing, and
# run for each of its targets (go test -fuzz would link it again for every
# one), in the package's folder, where go test runs it: the seed corpus
# and any finding are under its testdata/fuzz/. Inputs found earlier are
# kept where go test keeps them.
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
fuzzcache=$("$go" env GOCACHE)/fuzz
module=$("$go" list -m)
# fuzz_target PACKAGE TARGET FUZZTIME
fuzz_target() {
	local bin=$bins/${1//\//_}.test
	if [ ! -x "$bin" ]; then
		"$go" test -c -fuzz . -o "$bin" "$1" 2>&1 || return
	fi
	(cd "$1" && "$bin" -test.run '^$' -test.fuzz "^${2}\$" -test.fuzztime "$3" -test.timeout 10m \
		-test.fuzzcachedir "$fuzzcache/$module/${1#./}" -test.paniconexit0 2>&1)
}

# Go 1.26's fuzz coordinator can fail a target at the end of a timed
# -fuzztime with a bare "context deadline exceeded" although nothing was
# found (golang/go#75804, fixed in Go 1.27): it compares the deadline's
# error with its workers' context before that context is cancelled. On a
# loaded machine the window is wide enough to hit the same target twice
# in a row. A real finding always says where its input was written, so
# only that exact signature earns one more run, and that run counts
# executions instead of time: without a deadline the race cannot happen,
# and a target that hangs meets -test.timeout.
coordinator_deadline_race() {
	grep -qx '    context deadline exceeded' <<<"$1" && ! grep -q 'Failing input written' <<<"$1"
}
last_execs() {
	grep -o 'execs: [0-9]*' <<<"$1" | tail -n 1 | cut -d' ' -f2 || true
}

total=0
status=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	rc=0
	out=$(fuzz_target "$pkg" "$name" "$fuzztime") || rc=$?
	if [ "$rc" -ne 0 ] && coordinator_deadline_race "$out"; then
		count=$(last_execs "$out")
		count=${count:-1}x
		echo "$pkg $name: the fuzz coordinator's deadline race (golang/go#75804), no input found; running it again for $count"
		rc=0
		out=$(fuzz_target "$pkg" "$name" "$count") || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "$out"
		echo "FAIL: $pkg $name"
		status=1
		continue
	fi
	# Without an "execs" line the time ran out while go test was still
	# running the seed corpus (baseline coverage).
	execs=$(last_execs "$out")
	printf '%-28s %-36s %12s execs\n' "$pkg" "$name" "${execs:-seeds only}"
	total=$((total + ${execs:-0}))
done < <(grep -rHo --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*' cmd internal test 2>/dev/null |
	sed -E 's/:func /:/' | sort)

echo "total: $total executions, each target for $fuzztime"
exit "$status"
