# archway's container image: the static binary on Debian 12 slim with the very
# nginx and Lua packages the tests run (scripts/install-deps.sh is the one list).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/archway ./cmd/archway

FROM debian:12-slim
COPY scripts/install-deps.sh /usr/local/lib/archway/install-deps.sh
RUN /usr/local/lib/archway/install-deps.sh runtime && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/archway /usr/local/bin/archway
# nginx binds 80/443 as a non-root user through this file capability alone.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep /usr/sbin/nginx \
 && apt-get purge -y -qq libcap2-bin && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 101 --home-dir /nonexistent --shell /usr/sbin/nologin archway
USER 101
ENTRYPOINT ["/usr/local/bin/archway", "--runtime-dir", "/run/archway"]
