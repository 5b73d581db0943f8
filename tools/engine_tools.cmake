# The inference engine's command-line tools (included from tools/CMakeLists.txt).
cascade_binary(cascade-run SOURCES run/main.cc DEPS cascade_engine nlohmann_json::nlohmann_json)
cascade_binary(cascade-quantize SOURCES quantize/main.cc DEPS cascade_engine)
cascade_library(cascade_hf_tokenizer
  SOURCES make_random_model/hf_tokenizer.cc
  DEPS cascade_tokenizer nlohmann_json::nlohmann_json absl::status absl::statusor absl::strings
       absl::flat_hash_map)
cascade_binary(make-random-model
  SOURCES make_random_model/main.cc
  DEPS cascade_engine cascade_hf_tokenizer)
cascade_benchmark(cascade-bench-engine SOURCES bench/engine/main.cc DEPS cascade_engine)
cascade_benchmark(cascade-bench-streams SOURCES bench/inference/streams_bench.cc DEPS cascade_inference_service)
cascade_benchmark(cascade-bench-batch-speculation
  SOURCES bench/engine/batch_speculation_bench.cc DEPS cascade_engine)
# Reading a 150k-token tokenizer.json is nlohmann::json template code compiled into this file; at
# -O0 (the sanitizer preset) it takes seconds, and the conformance tests run the tool often.
set_source_files_properties(make_random_model/hf_tokenizer.cc PROPERTIES COMPILE_OPTIONS -O2)
if(TARGET benchmark::benchmark)
  cascade_benchmark(cascade-bench-kernels SOURCES bench/engine/kernels_bench.cc
    DEPS cascade_engine benchmark::benchmark)
endif()
