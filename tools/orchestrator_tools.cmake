# The orchestrator's overhead benchmark: orchestrator -> trivial tier vs a direct tier call,
# open loop over gRPC on loopback.
cascade_benchmark(cascade-orchestrator-overhead
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/orchestrator/orchestrator_overhead.cc
  DEPS cascade_orchestrator_service cascade_orchestrator_lib cascade_grpc_runtime gRPC::grpc++
       Threads::Threads)

# How long a replay tier worker takes to read an outcomes file: the strict reader against a
# bare JSON parse of the same lines.
cascade_benchmark(cascade-bench-outcomes-load
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/outcomes/outcomes_load.cc
  DEPS cascade_outcomes nlohmann_json::nlohmann_json absl::strings)
