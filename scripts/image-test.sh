#!/usr/bin/env bash
# image-test.sh: `make image-test`, part of `make test`. Builds the real
# Dockerfile with buildah (no Docker daemon), runs the image with podman the
# way the Helm chart runs it (its args, user, read-only root, capabilities,
# an emptyDir at the runtime dir), serving deploy/examples/local, and sends
# it requests. Needs root, the `image` packages of scripts/install-deps.sh
# and helm (scripts/e2e-tools.sh).
#
# No registry is reachable, so the Dockerfile's two base images are made
# here and tagged with the names it uses: debian:12-slim by debootstrap
# from this host's Debian mirror, golang:X-bookworm as that base plus this
# host's Go toolchain. They, the container storage and Go's build cache
# live in $IMAGE_CACHE (default .cache/image): the first run takes minutes,
# the next ones seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=$(realpath -m "${IMAGE_CACHE:-.cache/image}")
export ARCHWAY_HELM=${ARCHWAY_HELM:-$PWD/.cache/e2e/bin/helm-${HELM_VERSION:-v3.22.0}/helm}
image=localhost/archway:image-test-$$

say() { echo "image-test: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
since() { awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $1 }"; }

for tool in buildah podman runc debootstrap go curl ip flock numfmt "$ARCHWAY_HELM"; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh image (helm: scripts/e2e-tools.sh)"
done
[ "$(id -u)" -eq 0 ] || fail "needs root (buildah and podman run rootful)"

mkdir -p "$cache/storage" "$cache/run" "$cache/go-build"
work=$(mktemp -d "$cache/work.XXXXXX")
cleanup() {
  podman untag "$image" 2>/dev/null # its layers stay, the next build's cache
  # what a failed debootstrap may leave mounted in its target
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount
  rm -rf --one-file-system "$work"
}

# runc, as crun refuses hosts with hybrid cgroups; ulimits within the
# host's hard limits, which a runtime without CAP_SYS_RESOURCE cannot raise
# (podman's default nofile is 1048576).
nofile=$(ulimit -Hn)
[ "$nofile" != unlimited ] || nofile=1048576
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
[engine]
runtime = "runc"
tmp_dir = "$cache/run/libpod"
EOF
cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$cache/storage"
runroot = "$cache/run/storage"
EOF
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
trap cleanup EXIT

# debian:12-slim: debootstrap's minbase trimmed the way the official slim
# image is (no docs, man pages or locales, apt keeps no .debs), with the
# host's Debian sources, so the image gets the very nginx the tests run.
debian_base() {
  podman image exists docker.io/library/debian:12-slim && return
  local root=$work/rootfs sources mirror
  sources=$(apt-get indextargets --format 'deb $(REPO_URI) $(RELEASE) $(COMPONENT)' 'Origin: Debian' 'Identifier: Packages' | sort -u)
  mirror=$(awk '$3 == "bookworm" { print $2; exit }' <<<"$sources")
  [ -n "$mirror" ] || fail "no Debian bookworm source in this host's apt sources for debootstrap"
  say "building debian:12-slim with debootstrap (first run only)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap: $(tail -3 "$work/debootstrap.log")"
  echo "$sources" >"$root/etc/apt/sources.list"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$root/etc/dpkg/dpkg.cfg.d/docker"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"'
  printf '%s\n' "DPkg::Post-Invoke { $clean; };" "APT::Update::Post-Invoke { $clean; };" \
    'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$root/etc/apt/apt.conf.d/docker-clean"
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  rm -rf "$root"/usr/share/{man,info,locale}/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -c . | podman import --quiet --change 'CMD ["bash"]' - docker.io/library/debian:12-slim >/dev/null
  rm -rf "$root"
}

# golang:X-bookworm: the base plus the host's Go (which must be the
# Dockerfile's X) and CA bundle (module downloads may go through a proxy
# that only the host trusts), labelled with the Go version it holds.
golang_base() {
  local ref want have c
  ref=$(sed -n 's/^FROM \(golang:[^ ]*\).*/\1/p' Dockerfile)
  want=${ref#golang:} want=${want%-bookworm}
  have=$(go env GOVERSION)
  [[ $have == "go$want" || $have == go$want.* ]] || fail "the Dockerfile builds with $ref; this host has $have"
  [ "$(podman image inspect --format '{{index .Labels "archway.go"}}' "docker.io/library/$ref" 2>/dev/null)" = "$have" ] && return
  say "building $ref from this host's $have (first run only)"
  c=$(buildah from --pull=never docker.io/library/debian:12-slim)
  buildah copy --quiet "$c" "$(go env GOROOT)" /usr/local/go
  buildah copy --quiet "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
  buildah config --label archway.go="$have" --env GOLANG_VERSION="${have#go}" --env GOTOOLCHAIN=local \
    --env GOPATH=/go --env GOPROXY="$(go env GOPROXY)" --env GOSUMDB="$(go env GOSUMDB)" \
    --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --workingdir /go "$c"
  buildah commit --quiet --rm "$c" "docker.io/library/$ref" >/dev/null
}

# Two runs may share the cache: one makes the bases at a time.
exec 9>"$cache/bases.lock"
flock 9
debian_base
golang_base
exec 9>&-

# The host's module cache and a cached GOCACHE mounted into the build's RUN
# steps: the Dockerfile stays unchanged and a warm build takes seconds.
start=$EPOCHREALTIME
buildah bud --quiet --layers --pull=never --isolation chroot \
  -v "$(go env GOMODCACHE):/go/pkg/mod" -v "$cache/go-build:/root/.cache/go-build" \
  --build-arg VERSION="$(git describe --always --dirty 2>/dev/null || echo dev)" \
  -t "$image" . >/dev/null
say "built in $(since "$start") s; image size $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=si)B"

# The chart's defaults (unprivileged ports, no_new_privs), then ports 80
# and 443 (hostNetwork's shape), which nginx binds by its file capability.
scripts/image-run.sh "$image"
scripts/image-run.sh "$image" --set containerPorts.http=80 --set containerPorts.https=443
