#!/usr/bin/env bash
# Builds the real Kubernetes consumers of hlc's output from the Go module proxy, pinned:
#   kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl  (k8s.io/kubernetes)
#   etcd, etcdctl   (at the version kubeadm of that release pins, read from its constants.go)
#   helm            (helm.sh/helm/v3)
#   containerd      (github.com/containerd/containerd/v2)
# Each tool is cached by version under ${HLC_CONSUMERS:-$HOME/.cache/hlc-consumers}/<tool>-<version>/
# (GOCACHE and GOMODCACHE live there too), and only what is missing is built, so a second run takes
# seconds. Progress goes to stderr; the LAST line of stdout is the directory of symlinks to all
# binaries. Exits non-zero, saying what is missing, when something cannot be built.
set -euo pipefail

# shellcheck source=tests/support/pins.sh
. "$(dirname "${BASH_SOURCE[0]}")/pins.sh"
KUBERNETES_VERSION=${HLC_KUBERNETES_VERSION:-$(newest_kubernetes)} # src/pins.toml
HELM_VERSION=${HLC_HELM_VERSION:-v3.22.0}
CONTAINERD_VERSION=${HLC_CONTAINERD_VERSION:-v2.2.9}
kube_vip_image=$(pin images kube-vip)
KUBE_VIP_VERSION=${HLC_KUBE_VIP_VERSION:-${kube_vip_image##*:}} # source only: the env variables it reads
GO_VERSION=1.26.8 # used only when no go is installed: fetched from the module proxy as golang.org/toolchain

root=${HLC_CONSUMERS:-$HOME/.cache/hlc-consumers}
mkdir -p "$root"
root=$(cd "$root" && pwd)
log() { echo "consumers: $*" >&2; }
die() { echo "consumers: ERROR: $*" >&2; exit 1; }

# One build at a time per cache root (cargo runs tests in parallel; CI runs the installer first).
exec 9>"$root/.lock"
flock 9

export GOCACHE=$root/go-build GOMODCACHE=$root/go-mod GOPATH=$root/gopath
export GOFLAGS=-mod=mod GOPROXY=${GOPROXY:-https://proxy.golang.org} GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
# sum.golang.org is not reachable from every build machine; modules come from the proxy over TLS.
export GOSUMDB=${HLC_GOSUMDB:-off}
export GOTELEMETRY=off CGO_ENABLED=0
export PATH=$PATH:/usr/local/go/bin

if ! command -v go >/dev/null 2>&1; then
    toolchain=$root/go-toolchain-$GO_VERSION
    if [ ! -x "$toolchain/bin/go" ]; then
        log "no go on PATH: fetching go$GO_VERSION from the module proxy"
        zip=$(mktemp)
        curl -fsSL "$GOPROXY/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip" -o "$zip" ||
            die "no go on PATH and go$GO_VERSION cannot be fetched from $GOPROXY"
        python3 - "$zip" "$toolchain.tmp" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        name = info.filename.split("/", 2)[2]  # golang.org/toolchain@v0.0.1-go.../bin/go
        dest = os.path.join(sys.argv[2], name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as out:
            out.write(z.read(info))
        os.chmod(dest, (info.external_attr >> 16) & 0o777 or 0o644)
EOF
        rm -f "$zip"
        [ -x "$toolchain.tmp/bin/go" ] || die "the go$GO_VERSION toolchain from $GOPROXY has no bin/go"
        mv "$toolchain.tmp" "$toolchain"
    fi
    export PATH=$toolchain/bin:$PATH
fi
log "$(go version)"

missing_in() { # DIR TOOL...: the tools not yet built in DIR
    local dir=$1 tool
    shift
    for tool in "$@"; do [ -x "$dir/$tool" ] || echo "$tool"; done
}

# A scratch module SRC requiring REQUIREMENTS (module@version ...), with extra go.mod text on stdin.
scratch_module() {
    local src=$1 name=$2 go_line=$3
    shift 3
    rm -rf "$src"
    mkdir -p "$src"
    {
        echo "module hlc-consumers/$name"
        echo
        echo "go $go_line"
        echo
        for req in "$@"; do echo "require ${req%@*} ${req#*@}"; done
        cat
    } >"$src/go.mod"
}

tools_go() { # SRC PACKAGE...: a file importing the main packages so that `go mod tidy` keeps them
    local src=$1
    shift
    {
        echo '//go:build tools'
        echo
        echo 'package tools'
        echo
        for pkg in "$@"; do echo "import _ \"$pkg\""; done
    } >"$src/tools.go"
}

# ---- Kubernetes: six binaries from one `go build`, sharing compilation.
k8s_dir=$root/kubernetes-$KUBERNETES_VERSION
k8s_tools=(kubeadm kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
k8s_json=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION") ||
    die "cannot download k8s.io/kubernetes@$KUBERNETES_VERSION from $GOPROXY: $(sed -n 's/^\s*"Error": //p' <<<"$k8s_json")"
k8s_src=$(sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p' <<<"$k8s_json")
k8s_gomod=$(sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p' <<<"$k8s_json")
[ -f "$k8s_gomod" ] && [ -d "$k8s_src" ] || die "k8s.io/kubernetes@$KUBERNETES_VERSION: no go.mod in $k8s_json"
mapfile -t todo < <(missing_in "$k8s_dir" "${k8s_tools[@]}")
if [ ${#todo[@]} -gt 0 ]; then
    log "building ${todo[*]} $KUBERNETES_VERSION"
    staging_version=v0.${KUBERNETES_VERSION#v1.}
    src=$root/src/kubernetes-$KUBERNETES_VERSION
    # Pin every staging module k8s.io/kubernetes requires (it replaces them with ./staging/src/...,
    # which a dependency's replace cannot do) to the matching v0.x release.
    mapfile -t staging < <(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$k8s_gomod")
    [ ${#staging[@]} -gt 10 ] || die "no staging replace directives in $k8s_gomod"
    go_line=$(sed -n 's/^go //p' "$k8s_gomod")
    {
        echo
        echo 'replace ('
        for module in "${staging[@]}"; do
            grep -qE "^\s+$module v0\.0\.0" "$k8s_gomod" && echo "	$module => $module $staging_version"
        done
        echo ')'
    } | scratch_module "$src" kubernetes "$go_line" "k8s.io/kubernetes@$KUBERNETES_VERSION"
    packages=()
    for tool in "${todo[@]}"; do packages+=("k8s.io/kubernetes/cmd/$tool"); done
    tools_go "$src" "${packages[@]}"
    (cd "$src" && go mod tidy) || die "go mod tidy failed for k8s.io/kubernetes@$KUBERNETES_VERSION"
    minor=${KUBERNETES_VERSION#v1.}
    minor=${minor%%.*}
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf "$k8s_dir.tmp"
    mkdir -p "$k8s_dir.tmp" "$k8s_dir"
    (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$k8s_dir.tmp/" "${packages[@]}") ||
        die "go build failed for ${todo[*]} $KUBERNETES_VERSION"
    for tool in "${todo[@]}"; do mv "$k8s_dir.tmp/$tool" "$k8s_dir/$tool"; done
    rmdir "$k8s_dir.tmp"
fi

# ---- etcd at the version kubeadm pins for this minor (SupportedEtcdVersion, else DefaultEtcdVersion).
constants=$k8s_src/cmd/kubeadm/app/constants/constants.go
k8s_minor=${KUBERNETES_VERSION#v1.}
k8s_minor=${k8s_minor%%.*}
etcd_version=$(sed -n "/SupportedEtcdVersion = map/,/^\s*}/s/^\s*$k8s_minor:\s*\"\([0-9.]*\)-[0-9]*\".*/\1/p" "$constants")
[ -n "$etcd_version" ] || etcd_version=$(sed -n 's/^\s*DefaultEtcdVersion\s*=\s*"\([0-9.]*\)-[0-9]*".*/\1/p' "$constants")
[ -n "$etcd_version" ] || die "cannot find the etcd version kubeadm $KUBERNETES_VERSION pins in $constants"
etcd_version=v$etcd_version
etcd_dir=$root/etcd-$etcd_version
mapfile -t todo < <(missing_in "$etcd_dir" etcd etcdctl)
if [ ${#todo[@]} -gt 0 ]; then
    log "building etcd, etcdctl $etcd_version (pinned by kubeadm $KUBERNETES_VERSION)"
    src=$root/src/etcd-$etcd_version
    scratch_module "$src" etcd 1.26.0 "go.etcd.io/etcd/server/v3@$etcd_version" \
        "go.etcd.io/etcd/etcdctl/v3@$etcd_version" </dev/null
    tools_go "$src" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3
    (cd "$src" && go mod tidy) || die "go mod tidy failed for etcd $etcd_version"
    mkdir -p "$etcd_dir"
    (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$etcd_dir/etcd.tmp" go.etcd.io/etcd/server/v3 &&
        go build -trimpath -ldflags "-s -w" -o "$etcd_dir/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3) ||
        die "go build failed for etcd $etcd_version"
    mv "$etcd_dir/etcd.tmp" "$etcd_dir/etcd"
    mv "$etcd_dir/etcdctl.tmp" "$etcd_dir/etcdctl"
fi

# ---- helm
helm_dir=$root/helm-$HELM_VERSION
if [ ! -x "$helm_dir/helm" ]; then
    log "building helm $HELM_VERSION"
    src=$root/src/helm-$HELM_VERSION
    scratch_module "$src" helm 1.26.0 "helm.sh/helm/v3@$HELM_VERSION" </dev/null
    tools_go "$src" helm.sh/helm/v3/cmd/helm
    (cd "$src" && go mod tidy) || die "go mod tidy failed for helm $HELM_VERSION"
    mkdir -p "$helm_dir"
    (cd "$src" && go build -trimpath -o "$helm_dir/helm.tmp" \
        -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" helm.sh/helm/v3/cmd/helm) ||
        die "go build failed for helm $HELM_VERSION"
    mv "$helm_dir/helm.tmp" "$helm_dir/helm"
fi

# ---- containerd 2.x (static: no btrfs/devmapper/zfs snapshotters, which need cgo)
containerd_dir=$root/containerd-$CONTAINERD_VERSION
if [ ! -x "$containerd_dir/containerd" ]; then
    log "building containerd $CONTAINERD_VERSION"
    src=$root/src/containerd-$CONTAINERD_VERSION
    scratch_module "$src" containerd 1.26.0 "github.com/containerd/containerd/v2@$CONTAINERD_VERSION" </dev/null
    tools_go "$src" github.com/containerd/containerd/v2/cmd/containerd
    (cd "$src" && go mod tidy) || die "go mod tidy failed for containerd $CONTAINERD_VERSION"
    mkdir -p "$containerd_dir"
    (cd "$src" && go build -trimpath -tags "no_btrfs no_devmapper no_zfs" -o "$containerd_dir/containerd.tmp" \
        -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
        github.com/containerd/containerd/v2/cmd/containerd) || die "go build failed for containerd $CONTAINERD_VERSION"
    mv "$containerd_dir/containerd.tmp" "$containerd_dir/containerd"
fi

# ---- kube-vip: not built, its source is what the tests need (the names of the env variables it reads).
kube_vip_json=$(go mod download -json "github.com/kube-vip/kube-vip@$KUBE_VIP_VERSION") ||
    die "cannot download github.com/kube-vip/kube-vip@$KUBE_VIP_VERSION: $(sed -n 's/^\s*"Error": //p' <<<"$kube_vip_json")"
kube_vip_src=$(sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p' <<<"$kube_vip_json")
[ -f "$kube_vip_src/pkg/kubevip/config_envvar.go" ] || die "no pkg/kubevip/config_envvar.go in $kube_vip_src"

# ---- one directory of symlinks, plus the versions for the tests' messages.
bin=$root/bin
mkdir -p "$bin"
for tool in "${k8s_tools[@]}"; do ln -sfn "$k8s_dir/$tool" "$bin/$tool"; done
ln -sfn "$etcd_dir/etcd" "$bin/etcd"
ln -sfn "$etcd_dir/etcdctl" "$bin/etcdctl"
ln -sfn "$helm_dir/helm" "$bin/helm"
ln -sfn "$containerd_dir/containerd" "$bin/containerd"
ln -sfn "$kube_vip_src" "$bin/kube-vip-src"
cat >"$bin/VERSIONS" <<EOF
kubernetes $KUBERNETES_VERSION
etcd $etcd_version
helm $HELM_VERSION
containerd $CONTAINERD_VERSION
kube-vip $KUBE_VIP_VERSION (source)
EOF
for tool in "${k8s_tools[@]}" etcd etcdctl helm containerd; do
    [ -x "$bin/$tool" ] || die "$bin/$tool is missing after the build"
done
log "toolbox ready: $(tr '\n' ' ' <"$bin/VERSIONS")"
echo "$bin"
