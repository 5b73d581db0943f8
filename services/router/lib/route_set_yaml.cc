#include "services/router/lib/route_set_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/io/atomic_file.h"

namespace cascade::router {
namespace {

// Turns one YAML document into a RouteSet; each error carries the line of the node at fault.
class RouteSetParser {
 public:
  explicit RouteSetParser(absl::string_view source) : source_(source) {}

  absl::StatusOr<RouteSet> Parse(const YAML::Node& root) {
    if (!root.IsMap()) {
      return Error(root, "expected a mapping with `routes:` (and optionally `default:`)");
    }
    RouteSet set;
    for (const auto& entry : root) {
      const std::string key = entry.first.Scalar();
      if (key == "routes") {
        if (absl::Status status = ParseRoutes(entry.second, set); !status.ok()) return status;
      } else if (key == "default") {
        if (absl::Status status = ParseDefault(entry.second, set.default_route); !status.ok()) {
          return status;
        }
      } else {
        return Error(entry.first,
                     absl::StrCat("unknown key '", key, "'; expected routes, default"));
      }
    }
    if (absl::Status status = ValidateRouteSet(set); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", status.message()));
    }
    return set;
  }

 private:
  absl::Status ErrorAt(int line, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", message));
  }
  absl::Status Error(const YAML::Node& node, absl::string_view message) const {
    return ErrorAt(node.Mark().line + 1, message);
  }

  absl::Status ParseRoutes(const YAML::Node& node, RouteSet& set) {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return Error(node, "`routes` must be a list of routes");
    absl::flat_hash_map<std::string, int> first_line;
    for (const YAML::Node& item : node) {
      RouteSpec route;
      if (absl::Status status = ParseRoute(item, route); !status.ok()) return status;
      const int line = item.Mark().line + 1;
      auto [it, inserted] = first_line.emplace(route.name, line);
      if (!inserted) {
        return Error(item, absl::StrCat("route '", route.name, "' is defined twice (first at line ",
                                        it->second, "); route names must be unique"));
      }
      set.routes.push_back(std::move(route));
    }
    return absl::OkStatus();
  }

  absl::Status ParseRoute(const YAML::Node& node, RouteSpec& route) {
    if (!node.IsMap()) {
      return Error(node,
                   "a route must be a mapping with name, utterances, start_tier | tier, "
                   "threshold");
    }
    bool has_utterances = false;
    int start_tier_line = 0;  // 1-based; 0 = absent.
    int fixed_tier_line = 0;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& value = entry.second;
      if (key == "name") {
        if (!value.IsScalar() || value.Scalar().empty()) {
          return Error(entry.first, "`name` must be a non-empty string");
        }
        route.name = value.Scalar();
      } else if (key == "utterances") {
        if (!value.IsSequence())
          return Error(entry.first, "`utterances` must be a list of strings");
        for (const YAML::Node& utterance : value) {
          if (!utterance.IsScalar() || utterance.Scalar().empty()) {
            return Error(utterance, "an utterance must be a non-empty string");
          }
          route.utterances.push_back(utterance.Scalar());
        }
        has_utterances = true;
      } else if (key == "start_tier" || key == "tier") {
        if (!value.IsScalar() || value.Scalar().empty()) {
          return Error(entry.first, absl::StrCat("`", key, "` must be a tier name"));
        }
        (key == "tier" ? fixed_tier_line : start_tier_line) = entry.first.Mark().line + 1;
        route.target = key == "tier" ? RouteTarget::FixedTier(value.Scalar())
                                     : RouteTarget::StartTier(value.Scalar());
      } else if (key == "threshold") {
        if (absl::Status status = ParseThreshold(value, route.threshold); !status.ok()) {
          return status;
        }
      } else {
        return Error(entry.first, absl::StrCat("unknown key '", key,
                                               "' in a route; expected name, utterances, "
                                               "start_tier, tier, threshold"));
      }
    }
    if (route.name.empty()) return Error(node, "a route has no `name`");
    if (start_tier_line != 0 && fixed_tier_line != 0) {
      return ErrorAt(std::max(start_tier_line, fixed_tier_line),
                     absl::StrCat("route '", route.name,
                                  "' has both `start_tier` and `tier`; keep one "
                                  "(start_tier climbs from there, tier stays there)"));
    }
    if (!has_utterances || route.utterances.empty()) {
      return Error(node, absl::StrCat("route '", route.name,
                                      "' has no utterances; give it at least one example query"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseThreshold(const YAML::Node& value, double& threshold) {
    // Quoted scalars stay strings (the suite's YAML typing rule), so "0.5" is an error.
    if (!value.IsScalar() || value.Tag() == "!") {
      return Error(value, "`threshold` must be a number in [-1, 1]");
    }
    try {
      threshold = value.as<double>();
    } catch (const YAML::Exception&) {
      return Error(value, absl::StrCat("`threshold` must be a number in [-1, 1], not '",
                                       value.Scalar(), "'"));
    }
    if (!(threshold >= -1.0 && threshold <= 1.0)) {
      return Error(value, absl::StrCat("`threshold` ", value.Scalar(), " is outside [-1, 1]"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseDefault(const YAML::Node& node, DefaultRoute& default_route) {
    if (node.IsScalar()) {
      default_route.name = node.Scalar();
      if (default_route.name.empty()) return Error(node, "`default` names an empty route");
      return absl::OkStatus();
    }
    if (!node.IsMap()) {
      return Error(node, "`default` must be a route name or {name, start_tier | tier}");
    }
    bool has_start = false, has_fixed = false;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& value = entry.second;
      if (!value.IsScalar() || value.Scalar().empty()) {
        return Error(entry.first, absl::StrCat("`", key, "` must be a non-empty string"));
      }
      if (key == "name") {
        default_route.name = value.Scalar();
      } else if (key == "start_tier") {
        default_route.target = RouteTarget::StartTier(value.Scalar());
        has_start = true;
      } else if (key == "tier") {
        default_route.target = RouteTarget::FixedTier(value.Scalar());
        has_fixed = true;
      } else {
        return Error(entry.first, absl::StrCat("unknown key '", key,
                                               "' in `default`; expected name, start_tier, tier"));
      }
    }
    if (has_start && has_fixed) {
      return Error(node, "`default` has both `start_tier` and `tier`; keep one");
    }
    return absl::OkStatus();
  }

  std::string source_;
};

void EmitTarget(YAML::Emitter& out, const RouteTarget& target) {
  switch (target.kind) {
    case RouteTarget::Kind::kNone:
      break;
    case RouteTarget::Kind::kStartTier:
      out << YAML::Key << "start_tier" << YAML::Value << target.tier;
      break;
    case RouteTarget::Kind::kFixedTier:
      out << YAML::Key << "tier" << YAML::Value << target.tier;
      break;
  }
}

}  // namespace

absl::StatusOr<RouteSet> ParseRouteSetYaml(absl::string_view yaml, absl::string_view source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  }
  try {
    return RouteSetParser(source_name).Parse(root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", e.mark.line + 1, ": YAML error: ", e.msg));
  }
}

absl::StatusOr<RouteSet> LoadRouteSetFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open routes file ", path));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  return ParseRouteSetYaml(contents.str(), path);
}

std::string RouteSetToYaml(const RouteSet& set) {
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << YAML::BeginMap;
  out << YAML::Key << "default" << YAML::Value;
  if (set.default_route.target.kind == RouteTarget::Kind::kNone) {
    out << set.default_route.name;
  } else {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << set.default_route.name;
    EmitTarget(out, set.default_route.target);
    out << YAML::EndMap;
  }
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
  for (const RouteSpec& route : set.routes) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << route.name;
    EmitTarget(out, route.target);
    if (route.threshold != 0.0) out << YAML::Key << "threshold" << YAML::Value << route.threshold;
    out << YAML::Key << "utterances" << YAML::Value << YAML::BeginSeq;
    // Double-quoted, so that an utterance such as `yes` or `42` stays text for any reader.
    for (const std::string& utterance : route.utterances) {
      out << YAML::DoubleQuoted << utterance;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

absl::Status WriteRouteSetFile(const RouteSet& set, const std::string& path) {
  return WriteFileAtomically(path, RouteSetToYaml(set));
}

}  // namespace cascade::router
