# cascade-cache-eval: the semantic cache's hit and wrong-hit rates over similarity
# thresholds, with and without the near-miss guard, on CLINC150 and templated query pairs.
cascade_binary(cascade-cache-eval
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cache_eval/main.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/cache_eval/pair_set.cc
  DEPS cascade_cache_lib cascade_router_lib cascade_router_clinc150 absl::strings
       absl::flat_hash_map)

# cascade-cache-bench: what a semantic miss costs the answer cache at 1k, 10k and 100k
# entries (HNSW above the index's threshold) against an exact scan of the same entries.
cascade_benchmark(cascade-cache-bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench/cache/cache_bench.cc
  DEPS cascade_cache_lib absl::strings absl::time)
