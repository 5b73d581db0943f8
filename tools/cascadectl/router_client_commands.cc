#include "tools/cascadectl/router_client_commands.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cascade/v1/router.grpc.pb.h"
#include "tools/cascadectl/client_call.h"
#include "tools/cascadectl/command_args.h"
#include "tools/cascadectl/dial.h"
#include "tools/cascadectl/learn_exemplars.h"

namespace cascade::cli {
namespace {

struct Connection {
  std::unique_ptr<cascade::v1::Router::Stub> stub;
  std::chrono::milliseconds timeout{5000};
};

// Parses the flags every router command shares; nullopt after printing a usage error.
std::optional<Connection> Connect(const CommandArgs& args, const std::string& command,
                                  const char* usage, std::ostream& err) {
  absl::StatusOr<ServerChannel> server = ConnectFromArgs(args, "router", Connection().timeout);
  if (!server.ok()) {
    UsageError(err, command, server.status().message(), usage);
    return std::nullopt;
  }
  return Connection{cascade::v1::Router::NewStub(server->channel), server->timeout};
}

template <typename Message>
std::string TargetText(const Message& message) {
  if (!message.start_tier().empty()) return "start_tier " + message.start_tier();
  if (!message.fixed_tier().empty()) return "fixed_tier " + message.fixed_tier();
  return "(first tier)";
}

}  // namespace

int RunRoute(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args, WithTlsValueFlags({"router", "timeout-ms"}), WithTlsSwitches({"json", "help"}));
  if (!args.ok()) return UsageError(err, "route", args.status().message(), kRouteUsage);
  if (args->Has("help")) {
    out << kRouteUsage;
    return 0;
  }
  if (args->positionals().size() != 1) {
    return UsageError(err, "route", "give exactly one TEXT to route (quote it)", kRouteUsage);
  }
  std::optional<Connection> connection = Connect(*args, "route", kRouteUsage, err);
  if (!connection) return 2;

  cascade::v1::RouteRequest request;
  request.set_query(args->positionals().front());
  cascade::v1::RouteDecision decision;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + connection->timeout);
  grpc::Status status = connection->stub->Route(&context, request, &decision);
  if (!status.ok()) return CallFailed(err, "route", status);

  if (args->Has("json")) {
    out << ProtoJson(decision);
    return 0;
  }
  out << absl::StrFormat(
      "route:    %s%s\n", decision.route(),
      decision.below_threshold() ? "  (default: no route reached its threshold)" : "");
  out << absl::StrFormat("target:   %s\n", TargetText(decision));
  out << absl::StrFormat("score:    %.4f\n", decision.score());
  out << absl::StrFormat("matched:  %s\n", decision.matched_example());
  for (const cascade::v1::RouteAlternative& alternative : decision.alternatives()) {
    out << absl::StrFormat("  runner-up %-30s %.4f\n", alternative.route(), alternative.score());
  }
  return 0;
}

int RunRoutesList(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args, WithTlsValueFlags({"router", "timeout-ms"}), WithTlsSwitches({"json", "help"}));
  if (!args.ok()) return UsageError(err, "routes list", args.status().message(), kRoutesListUsage);
  if (args->Has("help")) {
    out << kRoutesListUsage;
    return 0;
  }
  if (!args->positionals().empty()) {
    return UsageError(err, "routes list", "takes no arguments", kRoutesListUsage);
  }
  std::optional<Connection> connection = Connect(*args, "routes list", kRoutesListUsage, err);
  if (!connection) return 2;

  cascade::v1::ListRoutesResponse listed;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + connection->timeout);
  grpc::Status status = connection->stub->ListRoutes(&context, {}, &listed);
  if (!status.ok()) return CallFailed(err, "routes list", status);

  if (args->Has("json")) {
    out << ProtoJson(listed);
    return 0;
  }
  out << absl::StrFormat("%-30s %-22s %10s %10s\n", "ROUTE", "TARGET", "THRESHOLD", "EXEMPLARS");
  for (const cascade::v1::RouteSpec& route : listed.routes()) {
    out << absl::StrFormat(
        "%-30s %-22s %10s %10d\n", route.name(), TargetText(route),
        route.threshold() == 0.0 ? "default" : absl::StrFormat("%.4f", route.threshold()),
        route.utterances_size());
  }
  out << absl::StrFormat("default route: %s\n", listed.default_route());
  return 0;
}

int RunRoutesLearn(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  const std::string command = "routes learn";
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args,
      WithTlsValueFlags({"router", "timeout-ms", "outcomes", "policy", "tier-name", "batch"}),
      WithTlsSwitches({"json", "help"}));
  if (!args.ok()) return UsageError(err, command, args.status().message(), kRoutesLearnUsage);
  if (args->Has("help")) {
    out << kRoutesLearnUsage;
    return 0;
  }
  if (!args->positionals().empty()) {
    return UsageError(err, command, "takes no positional arguments", kRoutesLearnUsage);
  }
  for (const char* flag : {"outcomes", "policy"}) {
    if (!args->Value(flag)) {
      return UsageError(err, command, absl::StrCat("--", flag, " is required"), kRoutesLearnUsage);
    }
  }
  std::map<std::string, std::string> tier_of_model;
  for (const std::string& pair : args->Values("tier-name")) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size()) {
      return UsageError(err, command, absl::StrCat("--tier-name '", pair, "' must be MODEL=TIER"),
                        kRoutesLearnUsage);
    }
    tier_of_model[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  int batch = 1000;
  if (std::optional<std::string> value = args->Value("batch")) {
    if (!absl::SimpleAtoi(*value, &batch) || batch < 1 || batch > 10000) {
      return UsageError(err, command, "--batch must be an integer in [1, 10000]",
                        kRoutesLearnUsage);
    }
  }
  std::optional<Connection> connection = Connect(*args, command, kRoutesLearnUsage, err);
  if (!connection) return 2;

  auto records = outcomes::ReadOutcomesFile(*args->Value("outcomes"));
  if (!records.ok()) {
    err << "cascadectl " << command << ": " << records.status().message() << "\n";
    return 1;
  }
  const LearnedExemplars learned = ExemplarsFromOutcomes(*records, tier_of_model);
  if (learned.exemplars.empty()) {
    err << "cascadectl " << command << ": no record of " << *args->Value("outcomes")
        << " has a graded answer"
        << (tier_of_model.empty() ? "" : " of a model named by --tier-name") << "\n";
    return 1;
  }

  cascade::v1::AddOutcomesResponse total;
  const std::string policy = *args->Value("policy");
  for (size_t begin = 0; begin < learned.exemplars.size(); begin += batch) {
    cascade::v1::AddOutcomesRequest request;
    request.set_policy(policy);
    const size_t end = std::min(learned.exemplars.size(), begin + static_cast<size_t>(batch));
    for (size_t i = begin; i < end; ++i) *request.add_exemplars() = learned.exemplars[i];
    cascade::v1::AddOutcomesResponse response;
    grpc::ClientContext context;
    // Each batch rebuilds the policy's estimator: allow for it on top of the call timeout.
    context.set_deadline(std::chrono::system_clock::now() + connection->timeout +
                         std::chrono::seconds(60));
    grpc::Status status = connection->stub->AddOutcomes(&context, request, &response);
    if (!status.ok()) {
      err << "cascadectl " << command << ": records " << begin << ".." << end - 1 << ": ";
      return CallFailed(err, command, status);
    }
    total.set_added(total.added() + response.added());
    total.set_merged(total.merged() + response.merged());
    total.set_evicted(total.evicted() + response.evicted());
    total.set_exemplars(response.exemplars());
    if (learned.exemplars.size() > static_cast<size_t>(batch)) {
      err << "sent " << end << " of " << learned.exemplars.size() << "\n";
    }
  }

  cascade::v1::ListOutcomesResponse listed;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + connection->timeout);
  grpc::Status status = connection->stub->ListOutcomes(&context, {}, &listed);
  if (!status.ok()) return CallFailed(err, command, status);
  cascade::v1::OutcomePolicy calibrated;
  for (const cascade::v1::OutcomePolicy& entry : listed.policies()) {
    if (entry.policy() == policy) calibrated = entry;
  }

  if (args->Has("json")) {
    cascade::v1::ListOutcomesResponse summary;
    *summary.add_policies() = calibrated;
    out << "{\"added\": " << total.added() << ", \"merged\": " << total.merged()
        << ", \"evicted\": " << total.evicted() << ", \"unlabelled\": " << learned.unlabelled
        << ", \"policy\": " << ProtoJson(calibrated) << "}\n";
    return 0;
  }
  out << absl::StrFormat(
      "policy %s: %d added, %d merged, %d evicted; %d exemplars now (%d records unlabelled)\n",
      policy, total.added(), total.merged(), total.evicted(), total.exemplars(),
      learned.unlabelled);
  out << absl::StrFormat("%-24s %9s %9s %8s %6s %14s %14s\n", "TIER", "LABELLED", "BASE RATE",
                         "PRIOR", "POWER", "LOO LOG LOSS", "BASE LOG LOSS");
  for (const cascade::v1::TierCalibration& tier : calibrated.calibration()) {
    out << absl::StrFormat("%-24s %9d %9.3f %8.2f %6.0f %14.4f %14.4f\n", tier.tier(),
                           tier.labelled(), tier.base_rate(), tier.prior_strength(),
                           tier.kernel_power(), tier.log_loss(), tier.base_log_loss());
  }
  return 0;
}

}  // namespace cascade::cli
