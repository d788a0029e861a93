# runa_public_only(<target>)
#
# For targets outside the library (engines/, tools/): fails configuration, naming file
# and line, if the target includes anything from src/. Scanned are the target's sources
# plus every header in its folder (recursively). The rules are in check_boundary.cmake.
#
# The check runs when CMake configures (every `cmake --preset ...`, so every `make test`
# and CI run); new files in the folder trigger a reconfigure by themselves.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/check_boundary.cmake")

function(runa_public_only target)
  get_target_property(dir ${target} SOURCE_DIR)
  get_target_property(sources ${target} SOURCES)
  if(NOT sources)
    set(sources "")
  endif()

  set(files "")
  foreach(source IN LISTS sources)
    # Generator expressions and generated files (not there yet) cannot be scanned.
    if(source MATCHES "^\\$<")
      continue()
    endif()
    cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${dir}" OUTPUT_VARIABLE path)
    if(EXISTS "${path}")
      list(APPEND files "${path}")
    endif()
  endforeach()
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS
    "${dir}/*.h" "${dir}/*.hh" "${dir}/*.hpp" "${dir}/*.hxx" "${dir}/*.ipp" "${dir}/*.inl")
  list(APPEND files ${headers})
  list(REMOVE_DUPLICATES files)

  runa_check_boundary("target '${target}'" ${files})
endfunction()
