#!/bin/sh
# Baseline: the root example's node and cluster files rendered with makejinja from data.yaml.
# A per-node directory of templates, each selecting its node, as a makejinja user keeps them.
# Usage: render.sh OUTDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1; work=$(mktemp -d)
mkdir -p "$work/templates/cluster"
cp "$here"/cluster/*.jinja "$work/templates/cluster/"
for node in node1 node2 node3 node4 backup1; do
  mkdir -p "$work/templates/nodes/$node"
  for template in "$here"/node/*.jinja; do
    { echo "{% set node = \"$node\" %}"; cat "$template"; } > "$work/templates/nodes/$node/$(basename "$template")"
  done
done
makejinja --input "$work/templates" --output "$out" --data "$here/data.yaml" --force >/dev/null
rm -rf "$work"
