#pragma once

// The arguments of one cascadectl command: positionals and `--name VALUE`,
// `--name=VALUE` or bare `--switch` flags, checked against what the command accepts so
// that a misspelled flag is an error rather than silently ignored.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::cli {

class CommandArgs {
 public:
  // `value_flags` take a value, `switches` do not (names without the dashes).
  static absl::StatusOr<CommandArgs> Parse(const std::vector<std::string>& args,
                                           const std::set<std::string>& value_flags,
                                           const std::set<std::string>& switches);

  const std::vector<std::string>& positionals() const { return positionals_; }
  std::optional<std::string> Value(const std::string& name) const;
  std::string ValueOr(const std::string& name, const std::string& fallback) const;
  // Every value of a flag given more than once (`--tier a=1:1 --tier b=2:2`), in order.
  std::vector<std::string> Values(const std::string& name) const;
  // Whether the flag was given: a switch, or a flag with a value.
  bool Has(const std::string& name) const;
  // InvalidArgument naming the flag when it is missing.
  absl::StatusOr<std::string> Required(const std::string& name) const;

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> switches_;
};

}  // namespace cascade::cli
