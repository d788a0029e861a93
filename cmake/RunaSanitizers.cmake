# Sanitizer and fuzzing instrumentation, selected with the cache variable RUNA_SANITIZE.
#
# The flags are added globally (add_compile_options/add_link_options), so this file
# must be included before any target or third-party subdirectory is created: that way
# googletest is instrumented too and no uninstrumented code hides errors.
include_guard(GLOBAL)

set(RUNA_SANITIZE "" CACHE STRING
  "Instrumentation: empty, 'address,undefined', 'thread' or 'fuzzer' (clang only)")
set_property(CACHE RUNA_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread" "fuzzer")

# runa_fuzz_target(<target>)
# Links libFuzzer's driver into the executable <target>, which must define
# LLVMFuzzerTestOneInput. Only valid with RUNA_SANITIZE=fuzzer.
function(runa_fuzz_target target)
  if(NOT RUNA_SANITIZE STREQUAL "fuzzer")
    message(FATAL_ERROR "runa_fuzz_target(${target}) needs RUNA_SANITIZE=fuzzer")
  endif()
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endfunction()

if(RUNA_SANITIZE STREQUAL "")
  return()
elseif(RUNA_SANITIZE STREQUAL "address,undefined" OR RUNA_SANITIZE STREQUAL "thread")
  set(_runa_compile_sanitizers "${RUNA_SANITIZE}")
  set(_runa_link_sanitizers "${RUNA_SANITIZE}")
elseif(RUNA_SANITIZE STREQUAL "fuzzer")
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RUNA_SANITIZE=fuzzer needs clang (libFuzzer); use the 'fuzz' preset")
  endif()
  # Coverage instrumentation everywhere, but libFuzzer's main() is linked only into
  # the fuzz targets themselves (runa_fuzz_target).
  set(_runa_compile_sanitizers "fuzzer-no-link,address,undefined")
  set(_runa_link_sanitizers "address,undefined")
else()
  message(FATAL_ERROR "Unknown RUNA_SANITIZE='${RUNA_SANITIZE}'; "
    "expected '', 'address,undefined', 'thread' or 'fuzzer'")
endif()

# -fno-sanitize-recover=all makes every UBSan report fatal, so no test can pass over one.
add_compile_options(
  -fsanitize=${_runa_compile_sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=${_runa_link_sanitizers})
