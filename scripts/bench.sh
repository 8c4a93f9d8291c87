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
#   BENCH_TIME           -benchtime of the Go benchmarks (default 20x)
#   BENCH_COUNT          runs of each Go benchmark, whose median is the row
#                        (default 5)
#   BENCH_OUT            folder of the table and logs (default .cache/bench)
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p "${BENCH_OUT:-.cache/bench}"
out=$(cd "${BENCH_OUT:-.cache/bench}" && pwd)
rows=$out/rows.tsv
: > "$rows"

# Go benchmarks: one row per benchmark, "time, allocations", the median of
# its runs (as benchstat reads them): on 2 CPUs one run of 10,000 Ingresses
# differs from the next by up to a fifth.
go test -run '^$' -bench '^BenchmarkControlPlane$' -benchmem -benchtime "${BENCH_TIME:-20x}" \
  -count "${BENCH_COUNT:-5}" ./internal/controller/ | tee "$out/go-bench.txt"
go_status=${PIPESTATUS[0]}
awk -F'\t' '
  function human(ns) {
    if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
    if (ns >= 1e6) return sprintf("%.1f ms", ns / 1e6)
    return sprintf("%.0f µs", ns / 1e3)
  }
  # median of the runs of benchmark k in list l (ns, allocs or bytes).
  function median(l, k,   m, i, j, t, a) {
    m = runs[k]
    for (i = 1; i <= m; i++) a[i] = l[k, i] + 0
    for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  /^BenchmarkControlPlane\// {
    split($1, name, "/"); what = name[2]; n = name[3]
    sub(/^ingresses=/, "", n); sub(/-[0-9]+ *$/, "", n)
    k = what SUBSEP n
    if (!(k in runs)) { order[++benchmarks] = k; names[k] = what; sizes[k] = n }
    r = ++runs[k]
    for (i = 2; i <= NF; i++) {
      f = $i; gsub(/^ +| +$/, "", f); split(f, v, " ")
      if (v[2] == "ns/op") ns[k, r] = v[1]
      if (v[2] == "allocs/op") allocs[k, r] = v[1]
      if (v[2] == "push-bytes") bytes[k, r] = v[1]
    }
  }
  END {
    label["build"] = "Go: Build (time, allocations)"
    label["render"] = "Go: Render of that model"
    label["add-one"] = "Go: sync after one Ingress is added on top of N"
    label["endpoint-change"] = "Go: sync after one endpoint changes (and bytes pushed)"
    label["build-annotated"] = "Go: Build, every Ingress with annotations"
    label["build-annotated-after-one-change"] = "Go: Build, every Ingress with annotations, after one Ingress changed (annotation cache)"
    label["renew-certificate"] = "Go: sync after one certificate is renewed, every host with its own (and bytes pushed)"
    for (b = 1; b <= benchmarks; b++) {
      k = order[b]; what = names[k]; n = sizes[k]
      # A benchmark without a label keeps its own name: rows never merge.
      if (!(what in label)) label[what] = "Go: " what
      time = median(ns, k)
      value = human(time) ", " median(allocs, k) " allocs"
      if ((k SUBSEP 1) in bytes) value = value ", " int(median(bytes, k)) " B pushed"
      printf "%s\t%s\t%s\n", label[what], n, value
      if (what == "build" || what == "render") { pipeline[n] += time; parts[n]++ }
    }
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
  for knob in ARCHWAY_PERF_SIZES ARCHWAY_PERF_SAMPLES ARCHWAY_PERF_TLS_SIZES BENCH_TIME BENCH_COUNT BENCH_OUT; do
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
