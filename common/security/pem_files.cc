#include "common/security/pem_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

constexpr size_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view field) {
  if (path.empty()) return absl::FailedPreconditionError(absl::StrCat(field, " is empty"));
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": cannot read ", path));
  }
  std::ostringstream text;
  text << file.rdbuf();
  std::string content = text.str();
  if (content.size() > kMaxPemBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", path, " is larger than 1 MiB; is it a PEM file?"));
  }
  return content;
}

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

X509Ptr FirstCertificate(const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

absl::StatusOr<std::string> ReadPemCertificates(const std::string& path, absl::string_view field) {
  absl::StatusOr<std::string> pem = ReadSmallFile(path, field);
  if (!pem.ok()) return pem.status();
  BioPtr bio = MemoryBio(*pem);
  int count = 0;
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    ++count;
    const std::string which = count == 1 ? "its certificate" : absl::StrCat("certificate ", count);
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": ", which, " in ", path, " has expired"));
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": ", which, " in ", path, " is not valid yet"));
    }
  }
  ERR_clear_error();  // The loop ends on "no start line", which is not an error here.
  if (count == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", path, " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  return pem;
}

absl::StatusOr<std::string> ReadPemPrivateKey(const std::string& path, absl::string_view field) {
  absl::StatusOr<std::string> pem = ReadSmallFile(path, field);
  if (!pem.ok()) return pem.status();
  BioPtr bio = MemoryBio(*pem);
  // An empty passphrase callback: an encrypted key fails here instead of prompting.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": ", path, " holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"));
  }
  return pem;
}

absl::Status CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem,
                                        absl::string_view cert_field, absl::string_view key_field) {
  X509Ptr cert = FirstCertificate(cert_pem);
  BioPtr bio = MemoryBio(key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  bool matches = cert != nullptr && key != nullptr && X509_check_private_key(cert.get(), key.get());
  ERR_clear_error();
  if (!matches) {
    return absl::FailedPreconditionError(
        absl::StrCat(key_field, " is not the private key of ", cert_field, "'s certificate"));
  }
  return absl::OkStatus();
}

}  // namespace cascade
