# archway: the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: run test build deps test-deps unit lint bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/archway ./cmd/archway
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/echo ./test/echo

deps:
	scripts/install-deps.sh runtime

test-deps:
	scripts/install-deps.sh test

## run: the demo: archway serving deploy/examples/local on port 8080.
run: deps build
	scripts/run-demo.sh

## test: everything CI runs.
test: test-deps lint unit

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

clean:
	rm -rf bin .cache
