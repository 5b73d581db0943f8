# Flags and helpers shared by every target of the build.

if(CASCADE_SANITIZE)
  list(JOIN CASCADE_SANITIZE "," _cascade_sanitizers)
  # C and C++ only: nvcc does not take -fsanitize, and sanitizers cannot see into GPU code.
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=${_cascade_sanitizers}>"
                      "$<$<COMPILE_LANGUAGE:C,CXX>:-fno-omit-frame-pointer>"
                      "$<$<COMPILE_LANGUAGE:C,CXX>:-fno-sanitize-recover=undefined>")
  add_link_options(-fsanitize=${_cascade_sanitizers})
endif()

# Our own code builds clean with -Wall -Wextra; generated code does not get these flags.
function(cascade_warnings target)
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:-Wall;-Wextra>"
                                           "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>")
endfunction()

# A library of ours: cascade_library(NAME SOURCES ... DEPS ...).
function(cascade_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  cascade_warnings(${name})
endfunction()

# A binary of ours, landing in ${CASCADE_BIN_DIR}.
function(cascade_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  cascade_warnings(${name})
endfunction()

# A benchmark (tools/bench): built by the unsanitized presets only. Timings under ASan say
# little, no test runs a benchmark, and leaving them out saves the sanitizer build (CI's) a
# minute. Build them with the release preset (build/bin).
function(cascade_benchmark name)
  if(NOT CASCADE_SANITIZE)
    cascade_binary(${name} ${ARGN})
  endif()
endfunction()

# A GoogleTest binary registered with CTest, one test per TEST():
# cascade_test(NAME SOURCES ... DEPS ... [LABELS ...] [ENV ...]).
function(cascade_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE CASCADE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                                             CASCADE_BIN_DIR="${CASCADE_BIN_DIR}"
                                             CASCADE_TEST_BIN_DIR="${CMAKE_BINARY_DIR}/tests")
  cascade_warnings(${name})
  set(properties)
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  if(ARG_ENV)
    list(APPEND properties ENVIRONMENT "${ARG_ENV}")
  endif()
  if(properties)
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${properties})
  else()
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST)
  endif()
endfunction()
