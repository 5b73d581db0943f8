#pragma once

// Loads a service's configuration: YAML file -> JSON -> the service's proto config message.
//
// Every error names the file, the line and the field path, e.g.
//   router.yaml:3: unknown field 'server.grpc_lisen' (did you mean 'grpc_listen'?)
// Checked: unknown keys, wrong types, missing fields marked (cascade.v1.required), two
// members of one oneof, and secrets: a field marked (cascade.v1.secret_env) names an
// environment variable that must be set and non-empty.

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade {

// Parses `yaml` into `out`. `source_name` is used in messages (normally the file path).
absl::Status ParseConfigYaml(absl::string_view yaml, absl::string_view source_name,
                             google::protobuf::Message* out);

// Reads `path` and parses it. A missing or unreadable file is NOT_FOUND; every config
// mistake is FAILED_PRECONDITION.
absl::Status LoadConfigFile(const std::string& path, google::protobuf::Message* out);

template <typename ConfigT>
absl::StatusOr<ConfigT> LoadConfig(const std::string& path) {
  ConfigT config;
  absl::Status status = LoadConfigFile(path, &config);
  if (!status.ok()) return status;
  return config;
}

// The value of the secret held in environment variable `env_name`; FAILED_PRECONDITION
// naming the variable (never a value) when it is unset or empty.
absl::StatusOr<std::string> ReadSecretFromEnv(absl::string_view env_name);

}  // namespace cascade
