// PEM checks at start (common/security/pem_files.h) on certificates made here with OpenSSL:
// an expired one, one not valid yet, and a key of another certificate.

#include "common/security/pem_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fstream>

namespace cascade {
namespace {

using ::testing::HasSubstr;

struct Pem {
  std::string cert;
  std::string key;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string text(data, size);
  BIO_free(bio);
  return text;
}

// A self-signed P-256 certificate valid from now+`from_days` to now+`to_days`.
Pem MakeCertificate(long from_days, long to_days) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), to_days * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {BioText(cert_bio), BioText(key_bio)};
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(PemFilesTest, ValidCertificateAndKeyAreReadAndMatch) {
  Pem pem = MakeCertificate(-1, 1);
  auto cert = ReadPemCertificates(WriteFile("valid.pem", pem.cert), "server.tls.cert_file");
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto key = ReadPemPrivateKey(WriteFile("valid.key", pem.key), "server.tls.key_file");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(CheckKeyMatchesCertificate(*cert, *key, "cert", "key").ok());
}

TEST(PemFilesTest, ExpiredCertificateIsRefused) {
  auto cert = ReadPemCertificates(WriteFile("expired.pem", MakeCertificate(-3, -1).cert),
                                  "server.tls.cert_file");
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cert.status().message(), HasSubstr("server.tls.cert_file: its certificate"));
  EXPECT_THAT(cert.status().message(), HasSubstr("has expired"));
}

TEST(PemFilesTest, CertificateNotValidYetIsRefused) {
  auto cert = ReadPemCertificates(WriteFile("future.pem", MakeCertificate(2, 4).cert), "ca_file");
  EXPECT_THAT(cert.status().message(), HasSubstr("is not valid yet"));
}

TEST(PemFilesTest, KeyOfAnotherCertificateIsRefused) {
  Pem one = MakeCertificate(-1, 1);
  Pem two = MakeCertificate(-1, 1);
  absl::Status status = CheckKeyMatchesCertificate(one.cert, two.key, "cert_file", "key_file");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("key_file is not the private key of cert_file"));
}

TEST(PemFilesTest, EmptyOrForeignFilesAreRefused) {
  EXPECT_THAT(ReadPemCertificates(WriteFile("empty.pem", ""), "f").status().message(),
              HasSubstr("holds no PEM certificate"));
  EXPECT_THAT(ReadPemPrivateKey(WriteFile("text.key", "hello\n"), "f").status().message(),
              HasSubstr("holds no unencrypted PEM private key"));
  EXPECT_THAT(ReadPemCertificates("", "server.tls.cert_file").status().message(),
              HasSubstr("server.tls.cert_file is empty"));
}

}  // namespace
}  // namespace cascade
