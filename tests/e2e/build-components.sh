#!/usr/bin/env bash
# Build the real components the e2e suite runs against, from Go modules served by the Go module
# proxy, into a cache outside the work tree (nothing here is vendored or committed):
#   $POLYFLOW_E2E_CACHE (default ~/.cache/polyflow-argo-e2e)/<component>-<version>/bin/...
# Prints `NAME=PATH` lines (sourceable) on stdout; progress and timings on stderr.
# Usage: tests/e2e/build-components.sh [component...]   (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${POLYFLOW_E2E_CACHE:-$HOME/.cache/polyflow-argo-e2e}
mkdir -p "$cache"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath" CGO_ENABLED=${CGO_ENABLED:-0}
log() { printf '[e2e-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# POLYFLOW_E2E_NO_BUILD=1: report what is cached, fail (exit 3) instead of building what is not
need_build() {
  if [ -n "${POLYFLOW_E2E_NO_BUILD:-}" ]; then
    log "$1 is not built (cache: $cache): run tests/e2e/build-components.sh"; exit 3
  fi
  command -v go >/dev/null || { log "Go toolchain unavailable: cannot build $1"; exit 3; }
}

# a throwaway module in $1 that builds $2 (a main package) with go.mod lines from stdin
module_build() {  # dir main-import out-binary [go build flags...]
  local dir=$1 main=$2 out=$3; shift 3
  ( cd "$dir" && go mod tidy >/dev/null 2>"$dir/tidy.log" || { cat "$dir/tidy.log" >&2; exit 1; }
    go build "$@" -o "$out" . )
}

build_kube_apiserver() {
  local d="$cache/kube-apiserver-$KUBERNETES_VERSION"
  [ -x "$d/bin/kube-apiserver" ] && { echo "KUBE_APISERVER=$d/bin/kube-apiserver"; return; }
  need_build kube-apiserver
  log "kube-apiserver $KUBERNETES_VERSION: building (k8s.io/kubernetes; staging modules replaced by their published tags)"
  local w; w=$(mktemp -d "$cache/.work-kas.XXXX")
  # k8s.io/kubernetes' go.mod replaces each staging module with ./staging/...; generate the same
  # replace list pointing at each module's published v0.x.y tag (never hand-written).
  local gomod; gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  local staging_tag="v0.${KUBERNETES_VERSION#v1.}"
  {
    echo "module polyflow.local/e2e/kube-apiserver"
    echo "go 1.24"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk -v tag="$staging_tag" '{print "replace " $1 " => " $1 " " tag}'
  } > "$w/go.mod"
  cat > "$w/main.go" <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
  mkdir -p "$d/bin"
  # the version the server reports (/version; helm checks a chart's kubeVersion against it), as
  # Kubernetes' own build stamps it
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local v=k8s.io/component-base/version
  module_build "$w" . "$d/bin/kube-apiserver.tmp" \
    -ldflags "-X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" && mv "$d/bin/kube-apiserver.tmp" "$d/bin/kube-apiserver"
  rm -rf "$w"
  echo "KUBE_APISERVER=$d/bin/kube-apiserver"
}

build_etcd() {
  local d="$cache/etcd-$ETCD_VERSION"
  [ -x "$d/bin/etcd" ] && { echo "ETCD=$d/bin/etcd"; return; }
  need_build etcd
  log "etcd $ETCD_VERSION: building (go.etcd.io/etcd/server/v3 etcdmain)"
  local w; w=$(mktemp -d "$cache/.work-etcd.XXXX")
  printf 'module polyflow.local/e2e/etcd\ngo 1.24\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$w/go.mod"
  cat > "$w/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  mkdir -p "$d/bin"
  module_build "$w" . "$d/bin/etcd.tmp" && mv "$d/bin/etcd.tmp" "$d/bin/etcd"
  rm -rf "$w"
  echo "ETCD=$d/bin/etcd"
}

build_argo() {
  local d="$cache/argo-$ARGO_VERSION"
  if [ -x "$d/bin/workflow-controller" ] && [ -x "$d/bin/argo" ] && [ -d "$d/crds" ]; then
    echo "ARGO_CONTROLLER=$d/bin/workflow-controller"; echo "ARGO_CLI=$d/bin/argo"; echo "ARGO_CRDS=$d/crds"; return
  fi
  need_build argo
  log "argo $ARGO_VERSION: building workflow-controller and argo (github.com/argoproj/argo-workflows/v4)"
  local src; src=$(go mod download -json "github.com/argoproj/argo-workflows/v4@$ARGO_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  local w="$cache/.src-argo-$ARGO_VERSION"
  rm -rf "$w"; cp -r "$src" "$w"; chmod -R u+w "$w"
  # Argo's Makefile builds the CLI without the UI by writing a stub index.html for go:embed.
  mkdir -p "$w/ui/dist/app"; [ -f "$w/ui/dist/app/index.html" ] || echo 'Argo UI not built' > "$w/ui/dist/app/index.html"
  mkdir -p "$d/bin"
  ( cd "$w" && go build -o "$d/bin/workflow-controller.tmp" ./cmd/workflow-controller \
            && go build -o "$d/bin/argo.tmp" ./cmd/argo )
  mv "$d/bin/workflow-controller.tmp" "$d/bin/workflow-controller"; mv "$d/bin/argo.tmp" "$d/bin/argo"
  rm -rf "$d/crds"; mkdir -p "$d/crds"; cp "$w"/manifests/base/crds/full/*.yaml "$d/crds/"
  rm -f "$d/crds/kustomization.yaml"
  rm -rf "$w"
  echo "ARGO_CONTROLLER=$d/bin/workflow-controller"; echo "ARGO_CLI=$d/bin/argo"; echo "ARGO_CRDS=$d/crds"
}

build_helm() {
  local d="$cache/helm-$HELM_VERSION"
  [ -x "$d/bin/helm" ] && { echo "HELM=$d/bin/helm"; return; }
  need_build helm
  log "helm $HELM_VERSION: building (helm.sh/helm/v3/cmd/helm)"
  mkdir -p "$d/bin"
  GOBIN="$d/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "HELM=$d/bin/helm"
}

build_goyaml() {  # the Go YAML readers kubectl/Argo CD use (sigs.k8s.io/yaml, gopkg.in/yaml.v2, v3)
  # tests/e2e/goyaml is a module of its own (main.go, go.mod, go.sum): the cache key is a hash of it,
  # so an edit rebuilds while an unchanged decoder is never rebuilt
  local src="$here/goyaml" key
  key=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)
  local d="$cache/goyaml-$GOYAML_VERSION-$key"
  [ -x "$d/bin/goyaml" ] && { echo "GOYAML=$d/bin/goyaml"; return; }
  need_build goyaml
  log "goyaml decoder: building (sigs.k8s.io/yaml $GOYAML_VERSION, gopkg.in/yaml.v2 $YAMLV2_VERSION)"
  grep -q "sigs.k8s.io/yaml $GOYAML_VERSION" "$src/go.mod" && grep -q "gopkg.in/yaml.v2 $YAMLV2_VERSION" "$src/go.mod" \
    || { log "tests/e2e/goyaml/go.mod does not require the versions in versions.env"; exit 1; }
  local w; w=$(mktemp -d "$cache/.work-goyaml.XXXX")
  cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$w/"
  mkdir -p "$d/bin"
  module_build "$w" . "$d/bin/goyaml.tmp" && mv "$d/bin/goyaml.tmp" "$d/bin/goyaml"
  rm -rf "$w"
  echo "GOYAML=$d/bin/goyaml"
}

components=("$@"); [ ${#components[@]} -eq 0 ] && components=(etcd kube_apiserver argo helm goyaml)
start=$(date +%s)
for c in "${components[@]}"; do
  t0=$(date +%s); "build_$c"; log "$c ready in $(( $(date +%s) - t0 ))s"
done
log "all components ready in $(( $(date +%s) - start ))s (cache: $cache)"
