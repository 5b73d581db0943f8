# The inference engine's command-line tools (included from tools/CMakeLists.txt).
cascade_binary(cascade-run SOURCES run/main.cc DEPS cascade_engine nlohmann_json::nlohmann_json)
cascade_binary(cascade-quantize SOURCES quantize/main.cc DEPS cascade_engine)
cascade_binary(make-random-model
  SOURCES make_random_model/hf_tokenizer.cc make_random_model/main.cc
  DEPS cascade_engine nlohmann_json::nlohmann_json)
cascade_binary(cascade-bench-engine SOURCES bench/engine/main.cc DEPS cascade_engine)
