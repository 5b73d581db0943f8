# The inference engine's CUDA backend (services/inference/engine/cuda).
#
# Built whenever nvcc is found: CUDA 13 lives in /usr/local/cuda on our machines (usually not
# on PATH), so that is tried first. A machine without it builds everything else and the engine
# answers FailedPrecondition for `device: cuda`. One real architecture, sm_90 (H100/H200),
# plus compute_90 PTX that newer cards JIT-compile: compile time stays small for CI.
#
# CASCADE_GPU_BINARIES (off by default; the `gpu` preset turns it on) builds the GPU test and
# benchmark as self-contained executables for the GPU machine, which runs a CUDA image without
# Debian's packages: Abseil, GoogleTest, cudart, libstdc++ and libgcc linked statically.
option(CASCADE_CUDA "Build the engine's CUDA backend when nvcc is found" ON)
option(CASCADE_GPU_BINARIES "Build the static GPU test and benchmark binaries" OFF)

set(CASCADE_HAVE_CUDA OFF)
if(CASCADE_CUDA)
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
     AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "nvcc")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING "sm_90 SASS + compute_90 PTX")
    enable_language(CUDA)
    # The .cu files include only plain headers (index_math.h, kernels.h) and need C++17:
    # CMake 3.25 knows no C++20 flag for nvcc. Set after enable_language (its test compile).
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(CASCADE_HAVE_CUDA ON)
    message(STATUS "CUDA backend: ${CMAKE_CUDA_COMPILER} (${CMAKE_CUDA_COMPILER_VERSION})")
  else()
    message(STATUS "CUDA backend: nvcc not found, not built")
  endif()
endif()

if(CASCADE_GPU_BINARIES)
  if(NOT CASCADE_HAVE_CUDA)
    message(FATAL_ERROR "CASCADE_GPU_BINARIES needs nvcc (CUDA toolkit in /usr/local/cuda)")
  endif()
  if(CASCADE_SANITIZE)
    message(FATAL_ERROR "CASCADE_GPU_BINARIES is for an unsanitized Release build")
  endif()
  # Debian's Abseil CMake targets name the shared libraries; the same libraries ship as .a
  # files. Point every imported absl:: target of this build at its static archive.
  get_property(_cascade_absl_targets DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
  foreach(_target IN LISTS _cascade_absl_targets)
    if(NOT _target MATCHES "^absl::")
      continue()
    endif()
    get_target_property(_location ${_target} IMPORTED_LOCATION_NONE)
    if(_location MATCHES "^(.*/libabsl_[a-z0-9_]+)\\.so")
      if(EXISTS "${CMAKE_MATCH_1}.a")
        set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_NONE "${CMAKE_MATCH_1}.a")
      endif()
    endif()
  endforeach()
endif()

# A self-contained GPU executable: only libc, libm, libdl, libpthread and librt stay dynamic
# (libcuda.so comes from the driver and is opened by cudart at run time).
function(cascade_gpu_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} "${CMAKE_SOURCE_DIR}/tests/gpu/glibc_compat.cc")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -static-libstdc++ -static-libgcc)
  cascade_warnings(${name})
endfunction()
