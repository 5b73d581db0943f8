#!/usr/bin/env bash
# Installs clients/python the way its README says, offline, into a fresh venv for the
# client_python_* tests:
#   python_client_install.sh SOURCE_DIR WORK_DIR
# WORK_DIR (recreated) gets checkout/ (a copy of proto/ and clients/python/ without build
# outputs, so pip's in-tree build never writes into the source tree) and venv/ (made with
# --system-site-packages: Debian's python3-grpcio and python3-protobuf). Then, from
# checkout/, `pip install --no-index ./clients/python`: setup.py generates the stubs with
# protoc and Debian's setuptools builds the package; no index is ever asked.
set -euo pipefail
source_dir="${1:?usage: python_client_install.sh SOURCE_DIR WORK_DIR}"
work="${2:?usage: python_client_install.sh SOURCE_DIR WORK_DIR}"

rm -rf "$work"
mkdir -p "$work/checkout/clients"
cp -r "$source_dir/proto" "$work/checkout/proto"
cp -r "$source_dir/clients/python" "$work/checkout/clients/python"
(cd "$work/checkout/clients/python" &&
   rm -rf build dist cascade ./*.egg-info &&
   find . -name __pycache__ -prune -exec rm -rf {} +)

/usr/bin/python3 -m venv --system-site-packages "$work/venv"
cd "$work/checkout"
PIP_CONFIG_FILE=/dev/null "$work/venv/bin/pip" install --no-index --no-cache-dir \
  --disable-pip-version-check ./clients/python

# The installed package (not the checkout) answers the imports the README shows.
cd /
"$work/venv/bin/python" - "$work/venv" <<'EOF'
import os, sys
import cascade_client
from cascade.v1 import cascade_pb2, cascade_pb2_grpc, router_pb2_grpc
for module in (cascade_client, cascade_pb2, cascade_pb2_grpc, router_pb2_grpc):
    if not os.path.realpath(module.__file__).startswith(os.path.realpath(sys.argv[1])):
        sys.exit(f"FAIL {module.__name__} imported from {module.__file__}, not the venv")
print("PASS cascade_client and cascade.v1 installed in", sys.argv[1])
EOF
