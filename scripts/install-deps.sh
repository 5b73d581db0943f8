#!/usr/bin/env bash
# Installs the Debian 12 packages Cascade needs to build, test and run its demo.
# This script holds the one list; tests/tools/check_apt_list.py proves that every package
# the build and the tests use is in it (or is pulled in by something in it).
#
#   scripts/install-deps.sh          install what is missing (apt-get, as root or via sudo)
#   scripts/install-deps.sh --list   print the list
set -euo pipefail

PACKAGES=(
  # Toolchain
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libomp-14-dev  # OpenMP for clang: the fuzz preset configures the whole tree (FAISS needs it)
  # Libraries
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libabsl-dev
  libfaiss-dev prometheus-cpp-dev libgtest-dev libgmock-dev
  libbenchmark-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libcpp-httplib-dev
  libboost-dev  # Asio and Beast: the front door's HTTP server
  libssl-dev
  # Test and demo peers
  python3 python3-grpcio python3-protobuf nodejs curl prometheus
  python3-pip python3-venv  # the Python client (clients/python): pip install into a venv
  openssl  # the TLS tests make a throwaway CA (tests/support/make_test_ca.sh)
  # The Go client (clients/go): Go, the stub generators and the libraries, built offline;
  # github.com/golang/protobuf 1.5 (grpc-go's codec), not 1.3, which panics on these stubs
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev
)

if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# Debian's nodejs comes without npm; NodeSource's nodejs bundles it.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
