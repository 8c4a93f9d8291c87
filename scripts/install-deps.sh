#!/usr/bin/env bash
# install-deps.sh: the one list of Debian packages archway runs and is tested
# with. The Makefile (make run, make test) and the Dockerfile both call it, so
# the nginx that is tested is the nginx that ships.
#   scripts/install-deps.sh runtime   nginx, its Lua balancer modules, and
#                                     ModSecurity with the OWASP CRS
#   scripts/install-deps.sh test      runtime + what the test suites need
#   scripts/install-deps.sh image     what scripts/image-test.sh builds and
#                                     runs the container image with
set -euo pipefail

# lua-resty-core, lua-resty-lrucache: ngx.ssl and the per-worker cache of
# parsed certificates, which serve hosts' certificates from shared memory.
# headers-more: the more_set_headers and more_clear_headers of safe snippets.
# brotli-filter: the enable-brotli ConfigMap key.
# stream: the TCP and UDP services (--tcp-services-configmap, --udp-services-configmap);
# stream-js: njs, which picks their endpoints from files archway writes (no reload).
runtime=(nginx libnginx-mod-http-lua libnginx-mod-stream libnginx-mod-stream-js libnginx-mod-http-headers-more-filter libnginx-mod-http-brotli-filter lua-resty-core lua-resty-lrucache libnginx-mod-http-modsecurity modsecurity-crs ca-certificates)
test=(etcd-server iproute2 openssl curl pcre2-utils)
# runc: Debian's podman defaults to crun, which fails on hybrid cgroup hosts.
image=(buildah podman runc debootstrap)

case "${1:-runtime}" in
  runtime) wanted=("${runtime[@]}") ;;
  test) wanted=("${runtime[@]}" "${test[@]}") ;;
  image) wanted=("${image[@]}") ;;
  *) echo "usage: $0 [runtime|test|image]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# A policy-rc.d that says no stops the package from starting a system nginx
# on port 80; an existing one is left alone.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
