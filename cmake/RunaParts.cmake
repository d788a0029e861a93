# Library parts: each folder src/<part>/ becomes the static library runatime_<part>.
#
# Parts expose only include/ to their users; src/ is a PRIVATE include directory, so
# one part's internal headers are visible to another part only through a private
# link, never to code outside the library.
include_guard(GLOBAL)

# runa_add_part(<part> [DEPENDS <part>...])
# Creates runatime_<part> from src/<part>/**/*.cpp (subfolders included), links it to the parts it DEPENDS on
# and adds it to the umbrella INTERFACE target `runatime` (which must exist).
# New .cpp files are picked up at the next build (CONFIGURE_DEPENDS). A part without
# any .cpp yet becomes an INTERFACE library, so declaring it never breaks the build.
# The declared parts are recorded in the global property RUNA_PARTS, in order.
function(runa_add_part part)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "runa_add_part(${part}): unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET runatime)
    message(FATAL_ERROR "runa_add_part(${part}): create the INTERFACE target 'runatime' first")
  endif()

  set(target runatime_${part})
  list(TRANSFORM arg_DEPENDS PREPEND runatime_ OUTPUT_VARIABLE deps)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/${part}/*.cpp")

  if(sources)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target}
      PUBLIC "${PROJECT_SOURCE_DIR}/include"
      PRIVATE "${PROJECT_SOURCE_DIR}/src")
    target_compile_features(${target} PUBLIC cxx_std_20)
    target_link_libraries(${target} PUBLIC ${deps})
    runa_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${PROJECT_SOURCE_DIR}/include")
    target_compile_features(${target} INTERFACE cxx_std_20)
    target_link_libraries(${target} INTERFACE ${deps})
  endif()

  target_link_libraries(runatime INTERFACE ${target})
  set_property(GLOBAL APPEND PROPERTY RUNA_PARTS ${part})
endfunction()
