# Compiler warnings for RunaTime's own targets.
#
# Applied per target (never globally) so third-party code built in-tree, such as
# googletest, is compiled with its own flags.
include_guard(GLOBAL)

option(RUNA_WERROR "Treat compiler warnings as errors in RunaTime targets" ON)

# runa_warnings(<target>)
# Adds the project's warning set to <target>'s own sources (PRIVATE: consumers are
# not affected). INTERFACE libraries compile nothing, so they are left alone.
function(runa_warnings target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  # No -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++'s own
  # headers (streambuf), where nothing can be changed.
  set(flags
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
  if(RUNA_WERROR)
    list(APPEND flags -Werror)
  endif()
  # Several of these flags are C++-only; keep them away from any C sources.
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${flags}>")
endfunction()
