#!/usr/bin/env bash
# Reads src/pins.toml, the one table of versions hlc pins, for the test scripts (sourced by
# consumers.sh and charts.sh), so the tools they build and the charts they lay out follow a bump
# there. The table keeps one `key = "value"` per line, which is all this reader understands;
# tests/customisation.rs checks it reads every value as the TOML parser does.

pins_file=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/src/pins.toml

# pin SECTION KEY: the value of KEY in [SECTION] (e.g. `pin charts.cilium version`); fails when absent.
pin() {
    awk -v section="[$1]" -v key="$2" '
        /^\[/ { inside = ($0 == section); next }
        inside && /=/ {
            name = substr($0, 1, index($0, "=") - 1); gsub(/[ \t"]/, "", name)
            if (name != key) next
            value = substr($0, index($0, "=") + 1); sub(/^[ \t]*"/, "", value); sub(/"[ \t]*(#.*)?$/, "", value)
            print value; found = 1; exit
        }
        END { exit !found }' "$pins_file"
}

# The newest Kubernetes release the table pins (the last line of [kubernetes]), e.g. v1.37.2.
newest_kubernetes() {
    awk '/^\[/ { inside = ($0 == "[kubernetes]"); next } inside && /=/ { v = $0 } END { sub(/^[^=]*=[ \t]*"/, "", v); sub(/".*/, "", v); print "v" v }' "$pins_file"
}
