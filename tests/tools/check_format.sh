#!/usr/bin/env bash
# Fails when a tracked C++ or proto file differs from what .clang-format makes of it.
# Fix with: git ls-files '*.cc' '*.h' '*.cu' '*.cuh' '*.proto' | xargs clang-format -i
set -euo pipefail
cd "$1"
git ls-files -z '*.cc' '*.h' '*.cu' '*.cuh' '*.proto' | xargs -0 -r clang-format --dry-run --Werror
echo "format: every tracked file matches .clang-format"
