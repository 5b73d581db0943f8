# cascadectl, the command-line tool (included from tools/CMakeLists.txt).
cascade_library(cascadectl_args
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/command_args.cc
  DEPS absl::status absl::statusor absl::strings)

# --tls, --ca-file, --cert-file, --key-file, --server-name, --api-key-env, and what every
# client command shares (client_call.h: usage errors, --timeout-ms, JSON output).
cascade_library(cascadectl_dial
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/dial.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/client_call.cc
  DEPS cascadectl_args cascade_security cascade_proto gRPC::grpc++ absl::status absl::statusor
       absl::strings)

# Outcome records as the router's outcome exemplars: `cascadectl routes learn` and the policy
# fitter's cross-fitted router estimates.
cascade_library(cascade_learn_exemplars
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/learn_exemplars.cc
  DEPS cascade_outcomes cascade_digest cascade_proto)

cascade_library(cascadectl_commands
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/router_client_commands.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/routes_fit_command.cc
  DEPS cascadectl_args cascadectl_dial cascade_learn_exemplars cascade_outcomes cascade_digest cascade_router_lib cascade_router_options cascade_config cascade_proto
       gRPC::grpc++ nlohmann_json::nlohmann_json absl::status absl::statusor absl::strings
       absl::str_format)

# A prompt file's line -> a cascade request (cascadectl replay, cascade-loadgen).
cascade_library(cascade_tools_request_line
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/common/request_line.cc
  DEPS cascade_proto nlohmann_json::nlohmann_json absl::status absl::statusor)

# The orchestrator's commands (ask, replay, health) and the cost planner.
cascade_library(cascadectl_cascade_commands
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/cascade_client_commands.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/cost_command.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/cost_planner.cc
  DEPS cascadectl_args cascadectl_dial cascade_tools_request_line cascade_proto gRPC::grpc++
       nlohmann_json::nlohmann_json absl::status absl::statusor absl::strings absl::str_format
       absl::int128)

# The answer cache's threshold fit on labelled pairs (cache fit): no server.
cascade_library(cascadectl_cache_fit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/cache_fit_command.cc
  DEPS cascadectl_args cascade_cache_lib cascade_cache_pairs_file cascade_answer_cache_embedder
       cascade_config cascade_proto_messages nlohmann_json::nlohmann_json absl::status
       absl::statusor absl::strings absl::str_format)

# The answer cache's commands (cache stats, cache purge; cache fit).
cascade_library(cascadectl_cache_commands
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/cache_commands.cc
  DEPS cascadectl_args cascadectl_dial cascadectl_cache_fit cascade_proto gRPC::grpc++
       absl::status absl::statusor absl::strings absl::str_format absl::time)

# The judge's calibration command.
cascade_library(cascadectl_judge_commands
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/judge_calibrate_command.cc
  DEPS cascadectl_commands cascade_judge_lib cascade_json_lines cascade_proto nlohmann_json::nlohmann_json
       absl::status absl::statusor absl::strings absl::str_format)

# Outcomes files: what they hold, per model; decision logs converted to them.
cascade_library(cascadectl_outcomes_commands
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/outcomes_command.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/log_command.cc
  DEPS cascadectl_args cascade_outcomes nlohmann_json::nlohmann_json absl::strings
       absl::str_format)

# Cascade policies on recorded outcomes (tools/policy): fitted to a quality target with a
# guarantee, and evaluated through the orchestrator's own cascade, in-process.
cascade_library(cascade_policy_tools
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/policy/cost_interval.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/drop_bound.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/expected_risk.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/fit_report.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/logistic_combination.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/outcomes_router_client.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/outcomes_tier_client.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/policy_evaluation.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/policy_fitter.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/query_table.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/policy/router_estimates.cc
  DEPS cascade_orchestrator_lib cascade_judge_lib cascade_outcomes cascade_concurrency
       cascade_learn_exemplars cascade_router_lib cascade_router_outcome_proto
       absl::status absl::statusor absl::strings absl::str_format absl::span)

cascade_library(cascadectl_policy_commands
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/policy_command.cc
  DEPS cascadectl_args cascade_policy_tools cascade_config cascade_log nlohmann_json::nlohmann_json
       absl::strings absl::str_format)

cascade_binary(cascadectl
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cascadectl/main.cc
  DEPS cascadectl_commands cascadectl_cascade_commands cascadectl_cache_commands
       cascadectl_outcomes_commands cascadectl_policy_commands)
target_link_libraries(cascadectl PRIVATE cascadectl_judge_commands)

# How long a policy fit takes, against simulating every candidate once.
cascade_benchmark(cascade-bench-policy-fit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/policy/policy_fit_speed.cc
  DEPS cascade_policy_tools absl::strings)
