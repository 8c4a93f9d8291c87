#!/usr/bin/env bash
# bench.sh: the benchmark table of `make bench`. It runs the control-plane
# Go benchmarks (internal/controller BenchmarkControlPlane) and the scale
# tests of test/perf (real etcd, kube-apiserver and nginx; needs root and
# what `make tools` builds), prints one Markdown table, and writes it to
# .cache/bench/results.md.
#   ARCHWAY_PERF_SIZES   Ingresses to measure at (default 100,1000,10000)
#   ARCHWAY_PERF_TLS_SIZES Ingresses to measure per-host TLS and certificate
#                        renewals at (default 10000)
#   ARCHWAY_PERF_SAMPLES Ingresses created one by one per size: one number,
#                        or one per size (default 20)
#   BENCH_TIME           -benchtime of the Go benchmarks (default 5x)
#   BENCH_OUT            folder of the table and logs (default .cache/bench)
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p "${BENCH_OUT:-.cache/bench}"
out=$(cd "${BENCH_OUT:-.cache/bench}" && pwd)
rows=$out/rows.tsv
: > "$rows"

# Go benchmarks: one row per benchmark, "time, allocations".
go test -run '^$' -bench '^BenchmarkControlPlane$' -benchmem -benchtime "${BENCH_TIME:-5x}" \
  ./internal/controller/ | tee "$out/go-bench.txt"
go_status=${PIPESTATUS[0]}
awk -F'\t' '
  function human(ns) {
    if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
    if (ns >= 1e6) return sprintf("%.1f ms", ns / 1e6)
    return sprintf("%.0f µs", ns / 1e3)
  }
  /^BenchmarkControlPlane\// {
    split($1, name, "/"); what = name[2]; n = name[3]
    sub(/^ingresses=/, "", n); sub(/-[0-9]+ *$/, "", n)
    ns = allocs = bytes = ""
    for (i = 2; i <= NF; i++) {
      f = $i; gsub(/^ +| +$/, "", f); split(f, v, " ")
      if (v[2] == "ns/op") ns = v[1]
      if (v[2] == "allocs/op") allocs = v[1]
      if (v[2] == "push-bytes") bytes = v[1]
    }
    label["build"] = "Go: Build (time, allocations)"
    label["render"] = "Go: Render of that model"
    label["add-one"] = "Go: sync after one Ingress is added on top of N"
    label["endpoint-change"] = "Go: sync after one endpoint changes (and bytes pushed)"
    value = human(ns) ", " allocs " allocs"
    if (bytes != "") value = value ", " int(bytes) " B pushed"
    printf "%s\t%s\t%s\n", label[what], n, value
    if (what == "build" || what == "render") { pipeline[n] += ns; parts[n]++ }
  }
  END {
    for (n in pipeline) if (parts[n] == 2)
      printf "Go: Build + Render (target: under 100 ms at 10,000)\t%s\t%s\n", n, human(pipeline[n])
  }' "$out/go-bench.txt" >> "$rows"

# test/perf appends its rows as it measures.
ARCHWAY_PERF_RESULTS=$rows go test -tags perf -count=1 -timeout 60m -v -run '^TestPerf(TLS|Passthrough)?$' ./test/perf/ \
  > "$out/perf.log" 2>&1
perf_status=$?
[ "$perf_status" -eq 0 ] || { echo "test/perf failed; its log is $out/perf.log" >&2; tail -40 "$out/perf.log" >&2; }

{
  echo "# archway benchmarks"
  echo
  command="make bench"
  for knob in ARCHWAY_PERF_SIZES ARCHWAY_PERF_SAMPLES ARCHWAY_PERF_TLS_SIZES BENCH_TIME BENCH_OUT; do
    [ -n "${!knob:-}" ] && command="$knob=${!knob} $command"
  done
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(git describe --always --dirty 2>/dev/null || echo unknown)," \
    "$(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), $(go env GOVERSION)," \
    "$(/usr/sbin/nginx -v 2>&1 | sed 's/^nginx version: //'); command: $command"
  echo
  # scripts/bench-previous.tsv: the figures before, printed as "was".
  awk -F'\t' '
    FNR == NR { if ($0 !~ /^#/) was[$1, $2] = $3; next }
    !($1 in seen) { seen[$1] = 1; order[++rows] = $1 }
    !($2 in sized) { sized[$2] = 1; sizes[++ncols] = $2 }
    { cell[$1, $2] = $3 }
    END {
      # Columns by size, smallest first.
      for (i = 1; i <= ncols; i++) for (j = i + 1; j <= ncols; j++)
        if (sizes[j] + 0 < sizes[i] + 0) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
      line = "| measurement"
      for (i = 1; i <= ncols; i++) line = line " | N = " sizes[i]
      print line " |"
      line = "|---"
      for (i = 1; i <= ncols; i++) line = line "|---"
      print line "|"
      for (r = 1; r <= rows; r++) {
        line = "| " order[r]
        for (i = 1; i <= ncols; i++) {
          v = cell[order[r], sizes[i]]
          if ((order[r], sizes[i]) in was) v = (v == "" ? "-" : v) "; was " was[order[r], sizes[i]]
          line = line " | " (v == "" ? "-" : v)
        }
        print line " |"
      }
    }' scripts/bench-previous.tsv "$rows"
} | tee "$out/results.md"

[ "$go_status" -eq 0 ] && [ "$perf_status" -eq 0 ]
