# The labelled pairs file of the cache's threshold fit: cascade-cache-eval writes it,
# `cascadectl cache fit` reads it.
cascade_library(cascade_cache_pairs_file
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cache_eval/pairs_file.cc
  DEPS cascade_cache_lib cascade_json_lines nlohmann_json::nlohmann_json absl::status
       absl::statusor absl::strings)

# cascade-cache-eval: the semantic cache's hit and wrong-hit rates over similarity
# thresholds, with and without the near-miss guard, on CLINC150 and templated query pairs.
cascade_binary(cascade-cache-eval
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cache_eval/main.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/cache_eval/pair_set.cc
  DEPS cascade_cache_lib cascade_cache_pairs_file cascade_router_lib cascade_router_clinc150
       absl::strings)

# cascade-cache-bench: what a semantic miss costs the answer cache at 1k, 10k and 100k
# entries (HNSW above the index's threshold) against an exact scan of the same entries.
cascade_benchmark(cascade-cache-bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/cache/cache_bench.cc
  DEPS cascade_cache_lib absl::strings absl::time)
