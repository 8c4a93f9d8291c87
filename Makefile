# archway: the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: run test build deps test-deps tools unit lint bench clean fuzz fuzz-short image-test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/archway ./cmd/archway
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/echo ./test/echo

deps:
	scripts/install-deps.sh runtime

test-deps:
	scripts/install-deps.sh test

# kube-apiserver and helm for test/e2e and test/chart, built from the Go
# module proxy once and cached under .cache/e2e/.
tools:
	scripts/e2e-tools.sh >/dev/null

## run: the demo: archway serving deploy/examples/local on port 8080.
run: deps build
	scripts/run-demo.sh

## test: everything CI runs.
test: test-deps tools lint fuzz-short unit image-test

# gofmt, go vet and staticcheck (built once into .cache/tools/; its checks
# are in staticcheck.conf). vet type-checks against the packages compiled
# with -race, as `unit` compiles them: make test compiles them once.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -race ./...
	GO=$(GO) scripts/staticcheck.sh

unit:
	$(GO) test -race -count=1 -timeout 40m ./...

# The Dockerfile built with buildah and the image run with podman as the
# chart runs it, then sent requests (root; base images, container storage
# and Go's build cache under .cache/image/, or $IMAGE_CACHE).
image-test: test-deps tools
	scripts/install-deps.sh image
	scripts/image-test.sh

# Every fuzz target for a fixed time each (scripts/fuzz.sh prints the
# executions): a short run in `make test`, a longer one on demand.
FUZZTIME ?= 10s
fuzz-short:
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME)

fuzz:
	GO=$(GO) scripts/fuzz.sh 2m

## bench: the benchmark table (Go benchmarks and test/perf against a real
## kube-apiserver and nginx; root), printed and written to .cache/bench/results.md.
bench: test-deps tools
	scripts/bench.sh

clean:
	rm -rf bin .cache
