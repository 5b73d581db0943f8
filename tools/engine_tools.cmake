# The inference engine's command-line tools (included from tools/CMakeLists.txt).
cascade_binary(cascade-run SOURCES run/main.cc DEPS cascade_engine nlohmann_json::nlohmann_json)
