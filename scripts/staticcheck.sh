#!/usr/bin/env bash
# staticcheck.sh: `make lint`'s staticcheck (honnef.co/go/tools), built from
# the Go module proxy once and cached under .cache/tools/, like the e2e
# tools. Its checks are set in staticcheck.conf.
#   scripts/staticcheck.sh              check ./...
#   scripts/staticcheck.sh PACKAGES     check those
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

# Pinned: the newest release on the module proxy; it reads Go 1.26 code.
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
bin=$PWD/.cache/tools/staticcheck-$STATICCHECK_VERSION
if [ ! -x "$bin/staticcheck" ]; then
  echo "staticcheck.sh: building staticcheck $STATICCHECK_VERSION (first run only)" >&2
  GOBIN=$bin "$go" install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
exec "$bin/staticcheck" "${@:-./...}"
