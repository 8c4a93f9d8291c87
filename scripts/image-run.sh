#!/usr/bin/env bash
# image-run.sh IMAGE [HELM-ARGS...]: runs IMAGE with podman the way the
# chart's Deployment (rendered with HELM-ARGS, e.g. --set
# containerPorts.http=80) runs it, serving deploy/examples/local with its
# two backends, and checks its answers. scripts/image-test.sh builds IMAGE
# and sets podman up (CONTAINERS_CONF, ARCHWAY_HELM) before calling it.
set -euo pipefail
cd "$(dirname "$0")/.."

image=$1
shift
name=archway-image-run-$$ # the container and its network namespace
work=$(mktemp -d)
backends=()

say() { echo "image-test: $*" >&2; }
fail() {
  say "FAIL: $*"
  ! podman container exists "$name" || podman logs --tail 40 "$name" 2>&1 | sed 's/^/  | /' >&2
  exit 1
}
since() { awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $1 }"; }
cleanup() {
  set +e
  podman rm -f -t 0 "$name" >/dev/null 2>&1
  for pid in "${backends[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$name" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The pod as the chart renders it: its args, user, read-only root,
# privilege and capabilities become podman's flags, its runtime emptyDir a
# fresh folder of the pod's fsGroup (as the kubelet makes it). podman's
# --read-only alone would leave /run and /tmp writable tmpfs.
pod=$("$ARCHWAY_HELM" template archway deploy/helm/archway --namespace archway --kube-version 1.37.2 \
  --show-only templates/deployment.yaml "$@")
field() { sed -n "s/^ *$1: *//p" <<<"$pod" | head -1; }
mapfile -t args < <(sed -n '/^ *args:$/,/^ *env:$/s/^ *- "\(.*\)"$/\1/p' <<<"$pod")
arg() { printf '%s\n' "${args[@]}" | sed -n "s/^--$1=//p"; }
user=$(field runAsUser)
[ ${#args[@]} -gt 0 ] && [ "$user" ] && [ "$(field mountPath)" ] ||
  fail "cannot read the args, runAsUser or runtime mountPath of the chart's Deployment"
flags=(--user "$user:$(field runAsGroup)" --read-only-tmpfs=false)
[ "$(field readOnlyRootFilesystem)" = true ] && flags+=(--read-only)
[ "$(field allowPrivilegeEscalation)" = false ] && flags+=(--security-opt no-new-privileges)
# The kubelet's runtimes put "drop: [ALL], add: [X]" in the bounding set,
# which a non-root process keeps across exec with no capability of its
# own. podman's --cap-add would also make X an ambient capability of user
# 101, so X becomes podman's default set instead.
[ "$(field drop)" = "[ALL]" ] || fail "the chart no longer drops ALL capabilities: teach image-run.sh its new shape"
caps=$(field add | sed 's/^\[\(.*\)\]$/\1/; s/[A-Z_]\+/"&"/g')
sed "/^\[containers\]$/a default_capabilities = [$caps]" "$CONTAINERS_CONF" >"$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
install -d -m 2777 -g "$(field fsGroup)" "$work/runtime"

# The pod's own network namespace, with deploy/examples/local's two
# backends on its loopback (ip execs them: $! is the backend's pid).
go build -o "$work/echo" ./test/echo
ip netns add "$name"
ip -n "$name" link set lo up
ip netns exec "$name" "$work/echo" -listen 127.0.0.1:9001 -name hello >/dev/null 2>&1 & backends+=($!)
ip netns exec "$name" "$work/echo" -listen 127.0.0.1:9002 -name api >/dev/null 2>&1 & backends+=($!)

status() { ip netns exec "$name" curl -s -o "$work/body" -w '%{http_code}' --max-time 5 "$@" || true; }
expect() { # expect CODE TEXT CURL-ARGS...: the answer's status and a text in its body
  local want=$1 text=$2 got
  shift 2
  got=$(status "$@")
  [ "$got" = "$want" ] && grep -qF -- "$text" "$work/body" ||
    fail "curl $*: got $got $(head -c 300 "$work/body"), want $want with '$text'"
}
http=http://127.0.0.1:$(arg http-port)
https=$(arg https-port)
metrics=http://127.0.0.1:$(arg metrics-address | sed 's/.*://')

start=$EPOCHREALTIME deadline=$((SECONDS + 30))
podman run -d --name "$name" --pull=never --network "ns:/run/netns/$name" "${flags[@]}" \
  --env POD_NAME="$name" --env POD_NAMESPACE=archway \
  -v "$work/runtime:$(field mountPath)" -v "$PWD/deploy/examples/local:/manifests:ro" \
  "$image" "${args[@]}" --manifests /manifests >/dev/null
until [ "$(status -H 'Host: hello.localhost' "$http/")" = 200 ]; do
  [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
  [ $SECONDS -lt $deadline ] || fail "no 200 from hello.localhost 30 s after the start"
  sleep 0.02
done
say "${*:-defaults}: from podman run to the first 200 through nginx: $(since "$start") s"

expect 200 ok "$metrics/readyz"
expect 200 '"backend":"hello"' -H 'Host: hello.localhost' "$http/"
expect 200 '"backend":"api"' -H 'Host: hello.localhost' "$http/api/users"
expect 200 '"backend":"hello"' -H 'Host: x.apps.localhost' "$http/"
expect 404 '' -H 'Host: unknown.localhost' "$http/"
expect 200 '"backend":"hello"' -k --resolve "hello.localhost:$https:127.0.0.1" "https://hello.localhost:$https/"
expect 200 'archway_' "$metrics/metrics"
out=$(podman exec "$name" touch /tmp/probe 2>&1) && fail "the root filesystem is writable"
grep -q 'Read-only file system' <<<"$out" || fail "touch /tmp/probe in the container: $out"
# Every process (archway, nginx's master and workers) runs as the pod's
# user, and archway holds no capability.
for pid in $(podman top "$name" hpid | tail -n +2); do
  read -r _ uids < <(grep '^Uid:' "/proc/$pid/status")
  [ "$(tr -s '\t ' '\n' <<<"$uids" | sort -u)" = "$user" ] || fail "process $pid runs as $uids, not $user"
done
[ "$(podman top "$name" comm capeff | awk '$1 == "archway" { print $2 }')" = none ] ||
  fail "archway holds capabilities: $(podman top "$name" comm capeff)"

# SIGTERM, as the kubelet stops the pod: archway drains nginx and exits 0.
podman stop -t 30 "$name" >/dev/null
[ "$(podman inspect --format '{{.State.ExitCode}}' "$name")" = 0 ] || fail "archway exited non-zero on SIGTERM"
podman logs "$name" 2>&1 | grep -q 'archway stopped' || fail "no 'archway stopped' in the log after SIGTERM"
