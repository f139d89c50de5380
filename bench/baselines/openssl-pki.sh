#!/bin/sh
# Baseline: the kubeadm PKI of the root example (3 control planes) issued with openssl commands,
# as homelab guides do by hand: ECDSA P-256 keys, CSRs, and signatures with SANs and usages.
# Usage: openssl-pki.sh OUTDIR
set -eu
out=$1; mkdir -p "$out/etcd"; cd "$out"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
ca() { key "$1"; openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -out "$1.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"; }
# leaf NAME CA SUBJECT EKU [SANS]
leaf() {
  key "$1"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$4" > "$1.ext"
  [ -n "${5:-}" ] && printf 'subjectAltName=%s\n' "$5" >> "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 365 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca kubernetes; ca front-proxy-ca front-proxy-ca; ca etcd/ca etcd-ca
sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:k8s.home.arpa,IP:10.233.0.1,IP:127.0.0.1,IP:192.168.110.20"
for n in 1 2 3; do sans="$sans,DNS:node$n,DNS:node$n.home.arpa,IP:192.168.110.2$n"; done
leaf apiserver ca "/CN=kube-apiserver" serverAuth "$sans"
leaf apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
leaf etcd/healthcheck-client etcd/ca "/CN=kube-etcd-healthcheck-client" clientAuth
leaf apiserver-etcd-client etcd/ca "/CN=kube-apiserver-etcd-client" clientAuth
for n in 1 2 3; do
  for kind in server peer; do
    leaf "etcd/node$n-$kind" etcd/ca "/CN=node$n" serverAuth,clientAuth "DNS:node$n,DNS:localhost,IP:192.168.110.2$n,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
  done
  leaf "node$n-controller-manager" ca "/CN=system:kube-controller-manager" clientAuth
  leaf "node$n-scheduler" ca "/CN=system:kube-scheduler" clientAuth
done
leaf admin ca "/O=kubeadm:cluster-admins/CN=kubernetes-admin" clientAuth
leaf super-admin ca "/O=system:masters/CN=kubernetes-super-admin" clientAuth
leaf node1-kubelet ca "/O=system:nodes/CN=system:node:node1" clientAuth
key sa; openssl pkey -in sa.key -pubout -out sa.pub
