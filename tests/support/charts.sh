#!/usr/bin/env bash
# Lays out the Helm charts hlc pins (src/pins.toml), ready for `helm template`, and the CRDs of
# the components hlc writes objects for, from the Go module proxy: the module zip of each project at
# the pinned version holds its chart and CRDs. Where the proxy does not serve the pinned version,
# the chart comes from tests/charts/ (packed from the upstream tag, checked against SHA256SUMS; see
# tests/README.md for where each came from).
#
# Cached by version under ${HLC_CONSUMERS:-$HOME/.cache/hlc-consumers}/charts-<chart>-<version>/
# (the modules in GOMODCACHE there, as consumers.sh keeps them). Progress goes to stderr; the LAST
# line of stdout is a directory holding, for each chart, `<chart>-<version>` (the chart directory,
# named as src/pins.toml names chart and version) and `crds/<project>/` (CRD files), plus SOURCES.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/support/pins.sh
. "$here/pins.sh"
FLUX_VERSION=${HLC_FLUX_VERSION:-$(pin flux version)} # the controllers' versions come from it
vendored=$here/../charts
root=${HLC_CONSUMERS:-$HOME/.cache/hlc-consumers}
mkdir -p "$root"
root=$(cd "$root" && pwd)
log() { echo "charts: $*" >&2; }
die() { echo "charts: ERROR: $*" >&2; exit 1; }

# One run at a time per cache root (its own lock: charts do not wait for a toolbox build).
exec 8>"$root/.charts.lock"
flock 8

export GOMODCACHE=$root/go-mod GOFLAGS=-mod=mod # GOPROXY: the go command's own (go env GOPROXY)
export GOSUMDB=${HLC_GOSUMDB:-off} GOTELEMETRY=off GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null 2>&1; then # the toolchain consumers.sh fetches when there is no go
    for toolchain in "$root"/go-toolchain-*/bin; do [ -x "$toolchain/go" ] && export PATH=$toolchain:$PATH; done
fi
command -v go >/dev/null 2>&1 || die "no go on PATH (run tests/support/consumers.sh first: it fetches one)"

# module MODULE@VERSION: the directory of that module's files (downloaded when missing).
module() {
    local json dir
    json=$(go mod download -json "$1" 2>&1) ||
        die "cannot download $1 from the Go module proxy: $(sed -n 's/^\s*"Error": //p' <<<"$json")"
    dir=$(sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p' <<<"$json")
    [ -d "$dir" ] || die "$1: no directory in $json"
    echo "$dir"
}

# vendored FILE: tests/charts/FILE, after checking its sha256 against tests/charts/SHA256SUMS.
vendored() {
    local sum
    sum=$(awk -v f="$1" '$2 == f { print $1 }' "$vendored/SHA256SUMS")
    [ -n "$sum" ] || die "$1 is not listed in tests/charts/SHA256SUMS"
    echo "$sum  $vendored/$1" | sha256sum --check --quiet >&2 || die "tests/charts/$1 does not match its sha256"
    echo "$vendored/$1"
}

out=$root/charts
mkdir -p "$out/crds"
sources=()

# chart NAME SOURCE-TEXT: the chart at its version in src/pins.toml (VERSION in SOURCE-TEXT).
pinned_chart() {
    local version
    version=$(pin "charts.$1" version) || die "src/pins.toml pins no chart $1"
    chart "$1" "$version" "${2//VERSION/$version}"
}

# chart NAME VERSION SOURCE-TEXT: prepares $root/charts-NAME-VERSION/NAME (the function `lay_NAME`
# fills $dir.tmp/NAME when missing) and links it as $out/NAME-VERSION.
chart() {
    local name=$1 version=$2 dir=$root/charts-$1-$2
    if [ ! -f "$dir/$name/Chart.yaml" ]; then
        log "laying out $name $version"
        rm -rf "$dir.tmp"
        mkdir -p "$dir.tmp"
        "lay_${name//-/_}" "$dir.tmp" "$version" || die "cannot lay out $name $version"
        [ -f "$dir.tmp/$name/Chart.yaml" ] || die "$name $version: no Chart.yaml after laying it out"
        chmod -R u+w "$dir.tmp"
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
    fi
    ln -sfn "$dir/$name" "$out/$name-$version"
    sources+=("$name $version $3")
}

# copy DIR TARGET: a module directory's copy (module files are read-only).
copy() { cp -R "$1" "$2" && chmod -R u+w "$2"; }

# (Each step assigns a command substitution on its own, so that a failed download stops the script.)
lay_cilium() { src=$(module "github.com/cilium/cilium@v$2") && copy "$src/install/kubernetes/cilium" "$1/cilium"; }
lay_flannel() { src=$(module "github.com/flannel-io/flannel@$2") && copy "$src/chart/kube-flannel" "$1/flannel"; }
# MetalLB's chart carries its CRDs subchart and the frr-k8s chart it depends on (charts/).
lay_metallb() { src=$(module "go.universe.tf/metallb@v$2") && copy "$src/charts/metallb" "$1/metallb"; }
untar() { src=$(vendored "$1") && tar -xzf "$src" -C "$2"; } # untar FILE DIR: a vendored chart
# The proxy serves no module version of projectcalico/calico at the v3.31.7 tag (it is not a valid
# version of that module; the tag commit's pseudo-version is not served either).
lay_tigera_operator() { untar "tigera-operator-$2.tgz" "$1"; }
# Not served: github.com/rook/rook@v1.19.10 (the proxy has v1.19.1 and v1.18.x) and any
# ceph/ceph-csi-operator version; its library chart and the ceph-csi-operator chart (its Chart.yaml
# dependency at v1.19.10, 0.6.0) go into charts/, as `helm dependency build` would put them.
lay_rook_ceph() {
    untar "rook-ceph-$2.tgz" "$1" && rm -rf "$1/rook-ceph/charts" && mkdir -p "$1/rook-ceph/charts" &&
        untar "rook-library-$2.tgz" "$1/rook-ceph/charts" && untar ceph-csi-operator-v0.6.0.tgz "$1/rook-ceph/charts"
}
# Not served: kubernetes-csi/csi-driver-nfs (v4 tags are not versions of that module) and
# kubernetes/ingress-nginx (module k8s.io/ingress-nginx, only a 2024 pseudo-version).
lay_csi_driver_nfs() { untar "csi-driver-nfs-$2.tgz" "$1"; }
lay_ingress_nginx() { untar "ingress-nginx-$2.tgz" "$1"; }

pinned_chart tigera-operator "tests/charts/tigera-operator-VERSION.tgz (projectcalico/calico tag VERSION, charts/tigera-operator, crds/calico from libcalico-go/config/crd)"
pinned_chart cilium "github.com/cilium/cilium@vVERSION install/kubernetes/cilium"
pinned_chart flannel "github.com/flannel-io/flannel@VERSION chart/kube-flannel"
pinned_chart metallb "go.universe.tf/metallb@vVERSION charts/metallb (with charts/crds and its charts/frr-k8s-*.tgz)"
pinned_chart rook-ceph "tests/charts/rook-ceph-VERSION.tgz (rook/rook tag VERSION, deploy/charts/rook-ceph; charts/library from deploy/charts/library; charts/ceph-csi-operator: ceph/ceph-csi-operator tag v0.6.0)"
pinned_chart csi-driver-nfs "tests/charts/csi-driver-nfs-VERSION.tgz (kubernetes-csi/csi-driver-nfs tag vVERSION, charts/vVERSION/csi-driver-nfs-VERSION.tgz)"
pinned_chart ingress-nginx "tests/charts/ingress-nginx-VERSION.tgz (kubernetes/ingress-nginx tag helm-chart-VERSION, charts/ingress-nginx)"

# ---- CRDs that no chart above renders: Cilium's (its operator creates them from these files) and
# Flux's, at the controller versions Flux $FLUX_VERSION installs (its manifests/bases name them).
cilium_version=v$(pin charts.cilium version) # the chart's version above
cilium=$(module "github.com/cilium/cilium@$cilium_version")
ln -sfn "$cilium/pkg/k8s/apis/cilium.io/client/crds" "$out/crds/cilium"
sources+=("crds/cilium github.com/cilium/cilium@$cilium_version pkg/k8s/apis/cilium.io/client/crds")
flux2=$(module "github.com/fluxcd/flux2/v2@$FLUX_VERSION")
for controller in source-controller kustomize-controller helm-controller; do
    version=$(sed -n "s#.*/$controller/releases/download/\(v[0-9.]*\)/.*crds.yaml#\1#p" \
        "$flux2/manifests/bases/$controller/kustomization.yaml")
    [ -n "$version" ] || die "no $controller version in flux2 $FLUX_VERSION's manifests/bases/$controller"
    src=$(module "github.com/fluxcd/$controller@$version")
    ln -sfn "$src/config/crd/bases" "$out/crds/$controller"
    sources+=("crds/$controller github.com/fluxcd/$controller@$version config/crd/bases (flux2 $FLUX_VERSION)")
done

printf '%s\n' "${sources[@]}" >"$out/SOURCES"
log "charts ready in $out"
echo "$out"
