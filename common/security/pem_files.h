#pragma once

// Reads the PEM files a TLS config names and checks them before gRPC sees them, so a
// mistake is a startup error naming the field and the file, not a handshake failure later:
// missing or unreadable files, files without a certificate or key, a key that does not
// belong to its certificate, a certificate that has expired or is not valid yet.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade {

// The PEM text of one or more certificates (a chain or a CA bundle). `field` names the
// config field in errors, e.g. "server.tls.cert_file".
absl::StatusOr<std::string> ReadPemCertificates(const std::string& path, absl::string_view field);

// The PEM text of an unencrypted private key.
absl::StatusOr<std::string> ReadPemPrivateKey(const std::string& path, absl::string_view field);

// OK when `key_pem` is the private key of the first certificate of `cert_pem`.
absl::Status CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem,
                                        absl::string_view cert_field, absl::string_view key_field);

}  // namespace cascade
