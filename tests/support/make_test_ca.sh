#!/usr/bin/env bash
# Writes a throwaway test PKI into DIR with the openssl CLI (for the TLS tests; never for
# production):
#   ca.pem ca.key                 the test CA
#   server.pem server.key         signed by it; names localhost and 127.0.0.1
#   client.pem client.key         signed by it (mutual TLS)
#   other_ca.pem                  a second CA that signed nothing here trusts
#   other_client.pem other_client.key   signed by other_ca (a stranger's client)
# Keys are P-256 (fast to make); certificates are valid for 2 days.
set -euo pipefail
dir="${1:?usage: make_test_ca.sh DIR}"
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # ca NAME: self-signed CA NAME.pem / NAME.key
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=cascade test $1" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
}

leaf() {  # leaf NAME CA USAGE [SAN]: NAME.pem / NAME.key signed by CA
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=cascade test $1" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "extendedKeyUsage=$3"
    if [[ -n "${4:-}" ]]; then echo "subjectAltName=$4"; fi
  } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca
ca other_ca
leaf server ca serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client ca clientAuth
leaf other_client other_ca clientAuth
rm -f ./*.srl
