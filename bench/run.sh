#!/usr/bin/env bash
# Whole-process benchmarks of hlc and of the tools it replaces, in one run on one machine.
# Prints markdown tables (paste into BENCHMARKS.md). Installs what it needs.
#   BENCH_DIR   where labs are built (default: a fresh directory under /dev/shm, i.e. tmpfs)
#   SIZES       synthetic lab sizes (default: "10 100 1000 5000")
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
need() { command -v "$1" >/dev/null 2>&1; }
export DEBIAN_FRONTEND=noninteractive
need hyperfine && need cfssl && [ -x /usr/bin/time ] || { apt-get update -qq; apt-get install -y -qq hyperfine golang-cfssl time openssl >/dev/null; }
need makejinja || python3 -m pip install -q --disable-pip-version-check makejinja
cargo build --release --quiet --bin hlc --example synthetic
hlc=$repo/target/release/hlc
work=${BENCH_DIR:-$(mktemp -d /dev/shm/hlc-bench.XXXXXX)}
mkdir -p "$work"; cd "$work"
cp "$repo/homelab.kdl" homelab.kdl
# runs WARMUP RUNS COMMAND…: hyperfine without a shell; shell_runs: with one (for --prepare).
runs() { hyperfine -N --style none --warmup "$1" --runs "$2" "${@:3}" --export-json /tmp/hlc-bench.json >/dev/null 2>&1
  python3 "$repo/bench/mean.py" /tmp/hlc-bench.json; }
shell_runs() { hyperfine --style none --warmup "$1" --runs "$2" "${@:3}" --export-json /tmp/hlc-bench.json >/dev/null 2>&1
  python3 "$repo/bench/mean.py" /tmp/hlc-bench.json; }
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

echo "## Root example ($(uname -m), $(nproc) cores, build dir: $(df --output=fstype "$work" | tail -1))"
echo
echo "| run | time | peak memory |"
echo "| --- | --- | --- |"
echo "| \`hlc check\` | $(runs 20 200 "$hlc check homelab.kdl") | $(peak $hlc check homelab.kdl) KB |"
echo "| \`hlc build\` cold (empty state: ECDSA PKI issued) | $(shell_runs 2 20 --prepare 'rm -rf out homelab.state' "$hlc build homelab.kdl") | $(rm -rf out homelab.state; peak $hlc build homelab.kdl) KB |"
echo "| \`hlc build\` warm (state kept, output rewritten) | $(shell_runs 3 30 --prepare 'rm -rf out' "$hlc build homelab.kdl") | $(rm -rf out; peak $hlc build homelab.kdl) KB |"
$hlc build homelab.kdl 2>/dev/null
echo "| \`hlc build\` no-op (nothing changed) | $(runs 5 50 "$hlc build homelab.kdl") | $(peak $hlc build homelab.kdl) KB |"
echo "| files written by the no-op build | $($hlc build homelab.kdl 2>&1 | grep -o '[0-9]* written') | |"
sed 's/key-type "ecdsa-p256"/key-type "rsa-2048"/' homelab.kdl > rsa.kdl
echo "| \`hlc build\` cold, RSA-2048 PKI | $(shell_runs 0 3 --prepare 'rm -rf out rsa.state' "$hlc build rsa.kdl -o out") | |"
echo
echo "## Synthetic labs"
echo
echo "| nodes | files | check | build cold | build no-op | peak memory (cold) |"
echo "| --- | --- | --- | --- | --- | --- |"
for n in ${SIZES:-10 100 1000 5000}; do
  "$repo/target/release/examples/synthetic" "$n" > "lab$n.kdl"
  r=$([ "$n" -ge 1000 ] && echo 3 || echo 10)
  check=$(runs 1 "$r" "$hlc check lab$n.kdl")
  cold=$(shell_runs 0 "$r" --prepare "rm -rf out$n lab$n.state" "$hlc build lab$n.kdl -o out$n")
  rm -rf "out$n" "lab$n.state"; memory=$(peak $hlc build "lab$n.kdl" -o "out$n")
  noop=$(runs 1 "$r" "$hlc build lab$n.kdl -o out$n")
  echo "| $n | $(find "out$n" -type f | wc -l) | $check | $cold | $noop | $memory KB |"
  rm -rf "out$n" "lab$n.state"
done
echo
echo "## Side by side with the tools hlc replaces (root example)"
echo
osl=$(shell_runs 1 10 --prepare 'rm -rf osl' "$repo/bench/baselines/openssl-pki.sh osl")
cfs=$(shell_runs 1 10 --prepare 'rm -rf cfs' "$repo/bench/baselines/cfssl-pki.sh cfs")
mj=$(shell_runs 1 10 --prepare 'rm -rf mj' "$repo/bench/baselines/jinja/render.sh mj")
cold=$(shell_runs 2 20 --prepare 'rm -rf out homelab.state' "$hlc build homelab.kdl")
warm=$(shell_runs 3 30 --prepare 'rm -rf out' "$hlc build homelab.kdl")
ms() { echo "$1" | cut -d' ' -f1; }
ratio() { python3 -c "print(f'{$(ms "$1")/$(ms "$2"):.1f}×')"; }
echo "| task | tool | time | hlc | hlc time | hlc faster by |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| issue the kubeadm PKI (22 certificates + SA key) | openssl script | $osl | whole cold build (PKI + every file) | $cold | $(ratio "$osl" "$cold") |"
echo "| issue the kubeadm PKI | cfssl (JSON CSRs) | $cfs | whole cold build | $cold | $(ratio "$cfs" "$cold") |"
echo "| render node and cluster files (32 files, no PKI) | makejinja | $mj | whole warm build (all files) | $warm | $(ratio "$mj" "$warm") |"
[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"
