# archway's container image: the static binary on Debian 12 slim with the very
# nginx, Lua, headers-more, brotli and ModSecurity (with the OWASP CRS) packages the tests run (scripts/install-deps.sh is the one
# list, called by `make test` too, so the tested nginx is the shipped nginx).
#
#   docker build --build-arg VERSION=$(git describe --always) -t archway .
#
# The Helm chart (deploy/helm/archway) runs it as user 101 on a read-only root
# filesystem with an emptyDir at /run/archway.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY templates ./templates
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/archway ./cmd/archway

FROM debian:12-slim
# rootfs/ holds the image's own files. Today: /etc/passwd and /etc/group,
# Debian 12's base accounts (base-passwd 3.6.1, as debian:12-slim ships
# them) plus archway's user and group 101, so that the account is a file
# to review rather than a command's side effect. They go in before any
# package is installed, so a package that adds an account still adds it.
# test/chart checks them against this host's base-passwd.
COPY rootfs/ /
COPY scripts/install-deps.sh /usr/local/lib/archway/install-deps.sh
# nginx binds ports below 1024 as a non-root user through a file capability
# alone (the kernel refuses to run it when NET_BIND_SERVICE is not in the
# bounding set, which is why the chart always keeps it there);
# setcap comes from libcap2-bin. It stays: Debian 12's nginx depends on
# iproute2, which depends on libcap2-bin, so purging it removed nginx too
# (the build succeeded and the image could not serve). The runtime dir
# must exist and be archway's: as user 101, archway cannot create it in
# /run, and git cannot hold an empty folder or its owner.
RUN /usr/local/lib/archway/install-deps.sh runtime \
 && apt-get install -y -qq --no-install-recommends libcap2-bin >/dev/null \
 && setcap cap_net_bind_service=+ep /usr/sbin/nginx \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o 101 -g 101 -m 0755 /run/archway
COPY --from=build /out/archway /usr/local/bin/archway
USER 101:101
# Everything archway and nginx write goes to the runtime dir.
VOLUME /run/archway
EXPOSE 80 443 10254
# archway drains nginx on SIGTERM (the default stop signal) before it exits.
ENTRYPOINT ["/usr/local/bin/archway", "--runtime-dir", "/run/archway"]
