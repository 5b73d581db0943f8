#include "tools/cascadectl/command_args.h"

#include "absl/strings/str_cat.h"

namespace cascade::cli {

absl::StatusOr<CommandArgs> CommandArgs::Parse(const std::vector<std::string>& args,
                                               const std::set<std::string>& value_flags,
                                               const std::set<std::string>& switches) {
  CommandArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      parsed.positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    if (switches.count(name) > 0) {
      if (value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      parsed.switches_.insert(name);
      continue;
    }
    if (value_flags.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    parsed.values_[name] = *value;
    parsed.all_values_[name].push_back(*value);
  }
  return parsed;
}

std::optional<std::string> CommandArgs::Value(const std::string& name) const {
  auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

std::string CommandArgs::ValueOr(const std::string& name, const std::string& fallback) const {
  return Value(name).value_or(fallback);
}

std::vector<std::string> CommandArgs::Values(const std::string& name) const {
  auto found = all_values_.find(name);
  if (found == all_values_.end()) return {};
  return found->second;
}

bool CommandArgs::Has(const std::string& name) const {
  return switches_.count(name) > 0 || values_.count(name) > 0;
}

absl::StatusOr<std::string> CommandArgs::Required(const std::string& name) const {
  std::optional<std::string> value = Value(name);
  if (!value || value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  }
  return *value;
}

}  // namespace cascade::cli
