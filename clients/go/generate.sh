#!/usr/bin/env bash
# Generates the Go stubs of Cascade's contracts (proto/cascade/v1/*.proto) into
# cascadev1/ of the module: messages with protoc-gen-go, services with protoc-gen-go-grpc.
# The stubs are never committed: run this (or `go generate ./...`) before building.
#
#   clients/go/generate.sh            into this module's cascadev1/
#   clients/go/generate.sh MODULE_DIR into MODULE_DIR/cascadev1/ (a copy of this module)
#
# Needs protoc, protoc-gen-go and protoc-gen-go-grpc on PATH (Debian: protobuf-compiler,
# protoc-gen-go, protoc-gen-go-grpc). PROTOC overrides the protoc used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here}"
proto_root="$here/../../proto"
module="github.com/cascade/cascade/clients/go"

mkdir -p "$out/cascadev1"
rm -f "$out"/cascadev1/*.pb.go
# module= strips the go_package's module prefix, so the files land in OUT/cascadev1/.
"${PROTOC:-protoc}" -I "$proto_root" \
  --go_out="$out" --go_opt="module=$module" \
  --go-grpc_out="$out" --go-grpc_opt="module=$module" \
  "$proto_root"/cascade/v1/*.proto
