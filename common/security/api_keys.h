#pragma once

// API keys: read from the environment variable a config names (never from the config
// itself), and compared in constant time. Used by the HTTP front door (`Authorization:
// Bearer KEY`) and by gRPC servers (the same header as metadata).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade {

// The keys in environment variable `env_name`, comma- or newline-separated, blanks
// trimmed. FAILED_PRECONDITION naming `field` and the variable (never a value) when it is
// unset or holds no key.
absl::StatusOr<std::vector<std::string>> ReadApiKeysFromEnv(absl::string_view env_name,
                                                            absl::string_view field);

// The KEY of "Bearer KEY"; empty when `header` has another form.
absl::string_view BearerKey(absl::string_view header);

// Whether `presented` is one of `keys`. Every key is compared in full, so the time taken
// does not tell an attacker how much of a key was right.
bool ApiKeyAccepted(const std::vector<std::string>& keys, absl::string_view presented);

}  // namespace cascade
