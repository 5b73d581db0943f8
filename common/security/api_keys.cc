#include "common/security/api_keys.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/config/config_loader.h"

namespace cascade {
namespace {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // The length is not secret (keys are long and random); the bytes are.
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return difference == 0;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ReadApiKeysFromEnv(absl::string_view env_name,
                                                            absl::string_view field) {
  absl::StatusOr<std::string> text = ReadSecretFromEnv(env_name);
  if (!text.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", text.status().message()));
  }
  std::vector<std::string> keys;
  for (absl::string_view key : absl::StrSplit(*text, absl::ByAnyChar(",\n"))) {
    key = absl::StripAsciiWhitespace(key);
    if (!key.empty()) keys.emplace_back(key);
  }
  if (keys.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, " names ", env_name, ", which holds no key"));
  }
  return keys;
}

absl::string_view BearerKey(absl::string_view header) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWith(header, kBearer)) return {};
  return absl::StripAsciiWhitespace(header.substr(kBearer.size()));
}

bool ApiKeyAccepted(const std::vector<std::string>& keys, absl::string_view presented) {
  if (presented.empty()) return false;
  bool accepted = false;
  for (const std::string& key : keys) accepted |= ConstantTimeEquals(key, presented);
  return accepted;
}

}  // namespace cascade
