#!/usr/bin/env bash
# Installs the npm packages the tests use (tests/npm/package-lock.json, pinned) once into
# a cached folder keyed by the lockfile's hash, and prints that folder's node_modules.
#
#   NODE_PATH=$(scripts/install-npm-tools.sh) node my-test.mjs
#
# Optional GPU builds of node-llama-cpp are left out (--omit=optional; the CPU build,
# @node-llama-cpp/linux-x64, is a direct dependency) and install scripts are not run: the
# prebuilt llama.cpp binaries need no build step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lock="$root/tests/npm/package-lock.json"
hash=$(sha256sum "$lock" | cut -c1-16)
cache="${CASCADE_NPM_CACHE:-$root/.cache/npm-tools}/$hash"
if [[ ! -f "$cache/.installed" ]]; then
  mkdir -p "$cache"
  cp "$root/tests/npm/package.json" "$lock" "$cache/"
  (cd "$cache" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$cache/.installed"
fi
echo "$cache/node_modules"
