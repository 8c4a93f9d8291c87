#!/usr/bin/env bash
# e2e-tools.sh: builds the Go tools the e2e tests need from the Go module
# proxy and caches them under .cache/e2e/bin/<version>/, so only the first
# run pays (5-10 minutes and ~2.5 GB of memory for kube-apiserver).
#   scripts/e2e-tools.sh            build what is missing, print the bin dir
#                                   of kube-apiserver and
#                                   kube-controller-manager (helm goes to
#                                   .cache/e2e/bin/helm-<version>/)
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
STAGING_VERSION=v0${KUBE_VERSION#v1}   # v1.37.2 -> v0.37.2
bin=$PWD/.cache/e2e/bin/$KUBE_VERSION
mkdir -p "$bin"

# kube-apiserver, and kube-controller-manager for the tests that run
# Deployments (test/harness Workloads). They share most packages: one go
# build compiles them once for both and links the two in parallel, without
# symbol tables or DWARF (as Kubernetes releases them; nothing debugs them
# here), which makes the links faster.
missing=()
for cmd in kube-apiserver kube-controller-manager; do
  [ -x "$bin/$cmd" ] || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "e2e-tools: building ${missing[*]} $KUBE_VERSION (first run only)" >&2
  # k8s.io/kubernetes cannot be 'go install'ed: its go.mod replaces every
  # staging module with a local folder. A throwaway module replaces them with
  # the published versions instead.
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module archway.local/e2e-tools"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$modfile"
  } > "$work/go.mod"
  pkgs=("${missing[@]/#/k8s.io/kubernetes/cmd/}")
  { echo "package tools"; echo; printf 'import _ "%s"\n' "${pkgs[@]}"; } > "$work/tools.go"
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
   GOFLAGS=-mod=mod go build -trimpath -ldflags '-s -w' -o "$bin/" "${pkgs[@]}")
  rm -rf "$work"
fi

# helm, for the chart tests (test/chart): 2-3 minutes on the first run.
HELM_VERSION=${HELM_VERSION:-v3.22.0}
helm_bin=$PWD/.cache/e2e/bin/helm-$HELM_VERSION
if [ ! -x "$helm_bin/helm" ]; then
  echo "e2e-tools: building helm $HELM_VERSION (first run only)" >&2
  GOBIN=$helm_bin go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "$bin"
