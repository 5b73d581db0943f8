#!/usr/bin/env bash
# Builds the Go client (clients/go) offline and runs its example through the client example
# test:
#
#   run_go_example.sh SOURCE_DIR WORK_DIR CLIENT_EXAMPLE_TEST...
#
# The module is copied to WORK_DIR/gopath/src/github.com/cascade/cascade/clients/go (the
# source tree stays clean), its stubs generated there (clients/go/generate.sh), then it is
# checked (gofmt, go vet) and built in GOPATH mode against Debian's Go libraries in
# /usr/share/gocode (golang-google-grpc-dev, golang-google-protobuf-dev): no module proxy,
# no network. The Go cache lives beside WORK_DIR, not in $HOME. Then
# `CLIENT_EXAMPLE_TEST... -- WORK_DIR/bin/cascade-example` runs it against the suite.
set -euo pipefail

source_dir="$1"
work="$2"
shift 2

gopath="$work/gopath"
module="$gopath/src/github.com/cascade/cascade/clients/go"
rm -rf "$gopath/src" "$work/bin"
mkdir -p "$module" "$work/bin"
cp -R "$source_dir/clients/go/." "$module/"
rm -f "$module"/cascadev1/*.pb.go  # whatever a developer generated in the tree
"$source_dir/clients/go/generate.sh" "$module"

# grpc-go's codec goes through github.com/golang/protobuf: 1.3 (golang-github-golang-protobuf-
# 1-3-dev, which apt may pick for golang-google-grpc-dev) panics on protoc-gen-go 1.28's stubs.
if [[ -e /usr/share/gocode/src/github.com/golang/protobuf/proto/table_unmarshal.go ]]; then
  echo "FAIL github.com/golang/protobuf is 1.3: install golang-github-golang-protobuf-1-5-dev" \
       "(scripts/install-deps.sh)" >&2
  exit 1
fi

# One build cache beside the work folders (Go's cache is safe to share between builds).
export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$(dirname "$work")/go-cache"
export GOENV=off GOFLAGS="" GOPROXY=off CGO_ENABLED=0
cd "$module"
unformatted="$(gofmt -l cascade cmd)"
if [[ -n "$unformatted" ]]; then
  echo "FAIL not gofmt-formatted: $unformatted" >&2
  exit 1
fi
go vet ./...
go build -o "$work/bin/cascade-example" ./cmd/cascade-example
echo "built $work/bin/cascade-example"

exec "$@" -- "$work/bin/cascade-example"
