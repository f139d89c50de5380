#!/bin/sh
# Baseline: the same PKI with cfssl from JSON CSRs, as the "Kubernetes the hard way" family of
# guides does. Usage: cfssl-pki.sh OUTDIR
set -eu
out=$1; mkdir -p "$out"; cd "$out"
cat > ca-config.json <<'JSON'
{"signing": {"default": {"expiry": "8760h"}, "profiles": {
  "server": {"usages": ["signing", "key encipherment", "server auth"], "expiry": "8760h"},
  "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"},
  "peer": {"usages": ["signing", "key encipherment", "server auth", "client auth"], "expiry": "8760h"}}}}
JSON
csr() { printf '{"CN": "%s", "key": {"algo": "ecdsa", "size": 256}, "names": [%s], "hosts": [%s]}' "$1" "$2" "$3"; }
ca() { csr "$2" "" "" > "$1-csr.json"; cfssl gencert -initca "$1-csr.json" 2>/dev/null | cfssljson -bare "$1"; }
# leaf NAME CA CN PROFILE [O] [HOSTS]
leaf() {
  o=""; [ -n "${5:-}" ] && o="{\"O\": \"$5\"}"
  csr "$3" "$o" "${6:-}" > "$1-csr.json"
  cfssl gencert -ca "$2.pem" -ca-key "$2-key.pem" -config ca-config.json -profile "$4" "$1-csr.json" 2>/dev/null | cfssljson -bare "$1"
}
ca ca kubernetes; ca front-proxy-ca front-proxy-ca; ca etcd-ca etcd-ca
hosts='"kubernetes","kubernetes.default","kubernetes.default.svc","kubernetes.default.svc.cluster.local","k8s.home.arpa","10.233.0.1","127.0.0.1","192.168.110.20"'
for n in 1 2 3; do hosts="$hosts,\"node$n\",\"node$n.home.arpa\",\"192.168.110.2$n\""; done
leaf apiserver ca kube-apiserver server "" "$hosts"
leaf apiserver-kubelet-client ca kube-apiserver-kubelet-client client kubeadm:cluster-admins
leaf front-proxy-client front-proxy-ca front-proxy-client client
leaf etcd-healthcheck-client etcd-ca kube-etcd-healthcheck-client client
leaf apiserver-etcd-client etcd-ca kube-apiserver-etcd-client client
for n in 1 2 3; do
  for kind in server peer; do
    leaf "etcd-node$n-$kind" etcd-ca "node$n" peer "" "\"node$n\",\"localhost\",\"192.168.110.2$n\",\"127.0.0.1\",\"::1\""
  done
  leaf "node$n-controller-manager" ca system:kube-controller-manager client
  leaf "node$n-scheduler" ca system:kube-scheduler client
done
leaf admin ca kubernetes-admin client kubeadm:cluster-admins
leaf super-admin ca kubernetes-super-admin client system:masters
leaf node1-kubelet ca system:node:node1 client system:nodes
csr service-accounts "" "" > sa-csr.json; cfssl genkey sa-csr.json 2>/dev/null | cfssljson -bare sa
