# Router tools: CLINC150 loading shared by the tools and the accuracy test, the accuracy
# report (tune on val, report on test) and the in-process latency benchmark.
cascade_library(cascade_router_clinc150
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/router/clinc150.cc
  DEPS cascade_router_lib nlohmann_json::nlohmann_json absl::statusor)
target_compile_definitions(cascade_router_clinc150 PRIVATE CASCADE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

cascade_binary(cascade-router-accuracy
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/router/router_accuracy.cc
  DEPS cascade_router_lib cascade_router_clinc150)

cascade_benchmark(cascade-router-latency
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/router/route_latency.cc
  DEPS cascade_router_lib cascade_router_clinc150 Threads::Threads)

# HNSW recall@k against the exact index, build and search cost, over a grid of (M,
# efConstruction, efSearch) on CLINC150: how the index defaults were chosen.
cascade_benchmark(cascade-router-hnsw-recall
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/router/hnsw_recall.cc
  DEPS cascade_router_lib cascade_router_clinc150 absl::strings)

# Route() over gRPC on loopback, open loop at steady rates, through the router's real
# adapter on the common service host.
cascade_benchmark(cascade-router-grpc-latency
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/router/grpc_route_latency.cc
  DEPS cascade_router_service cascade_router_options cascade_router_lib cascade_router_clinc150
       cascade_grpc_runtime gRPC::grpc++ absl::synchronization Threads::Threads)

# RouteLLM's metrics (APGR, CPT) for a weak/strong router, and cascade-routing-eval: the
# learned per-tier success estimate judged with them, 2-fold on recorded outcomes.
cascade_library(cascade_routing_gain_curve
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/routing_eval/routing_gain_curve.cc
  DEPS absl::status absl::statusor absl::strings absl::span)

cascade_library(cascade_routing_eval
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/routing_eval/routing_eval.cc
  DEPS cascade_routing_gain_curve cascade_router_lib cascade_outcomes absl::status
       absl::statusor absl::strings)

cascade_binary(cascade-routing-eval
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/routing_eval/main.cc
  DEPS cascade_routing_eval cascade_outcomes nlohmann_json::nlohmann_json absl::strings
       absl::str_format)
