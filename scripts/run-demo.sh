#!/usr/bin/env bash
# run-demo.sh: `make run`. Starts two demo backends on loopback and archway
# serving deploy/examples/local on port 8080, with its own nginx. Ctrl-C stops
# everything.
set -euo pipefail
cd "$(dirname "$0")/.."

HTTP_PORT=${HTTP_PORT:-8080}
RUNTIME_DIR=${RUNTIME_DIR:-/tmp/archway-demo}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 0' INT TERM

bin/echo -listen 127.0.0.1:9001 -name hello & pids+=($!)
bin/echo -listen 127.0.0.1:9002 -name api & pids+=($!)

cat <<MSG

archway is starting on port $HTTP_PORT (metrics on http://127.0.0.1:10254/metrics). Try:

  curl -H 'Host: hello.localhost' http://127.0.0.1:$HTTP_PORT/            # -> hello
  curl -H 'Host: hello.localhost' http://127.0.0.1:$HTTP_PORT/api/users   # -> api (Prefix /api)
  curl -H 'Host: hello.localhost' http://127.0.0.1:$HTTP_PORT/healthz     # -> api (Exact)
  curl -H 'Host: x.apps.localhost' http://127.0.0.1:$HTTP_PORT/           # -> hello (wildcard)
  curl -H 'Host: unknown.localhost' http://127.0.0.1:$HTTP_PORT/          # -> 404

Edit the files in deploy/examples/local/ and the routes follow. Ctrl-C stops.

MSG

bin/archway --manifests deploy/examples/local --http-port "$HTTP_PORT" --https-port 8443 \
  --metrics-address 127.0.0.1:10254 --runtime-dir "$RUNTIME_DIR" "$@" & pids+=($!)
wait "${pids[-1]}"
