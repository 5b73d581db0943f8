# cascade-loadgen: open-loop load on the orchestrator (gRPC or the HTTP front door).
cascade_library(cascade_loadgen_lib
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/latency_recorder.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/open_loop.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/grpc_cascade_target.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/http_chat_target.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/load_report.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/loadgen_options.cc
  DEPS cascadectl_args cascadectl_dial cascade_tools_request_line cascade_proto gRPC::grpc++
       PkgConfig::HTTPLIB nlohmann_json::nlohmann_json absl::status absl::statusor absl::strings absl::str_format
       absl::time Threads::Threads)

cascade_binary(cascade-loadgen
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/loadgen/main.cc
  DEPS cascade_loadgen_lib)
