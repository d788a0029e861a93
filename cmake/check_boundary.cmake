# Public-API boundary check: code outside the library (engines/, tools/) may include
# only the public headers under include/. A file fails the check if one of its
# #include lines
#   - names a path starting with src/ or containing /src/ ("src/x.hpp", "../../src/x.hpp",
#     <src/x.hpp>, "engine/../src/x.hpp"), or
#   - is a quoted include whose first path component is a part folder ("module/reader.hpp"),
#     which would only resolve with src/ on the include path.
#
# Shared by both users so the rules live in one place:
#   - runa_public_only() in RunaBoundary.cmake include()s this file and calls
#     runa_check_boundary() at configure time;
#   - script mode, used by the boundary tests:
#       cmake -DRUNA_BOUNDARY_FILES=<file>[;<file>...] -P cmake/check_boundary.cmake
include_guard(GLOBAL)
# Needed in script mode (-P), which starts with no policies set.
cmake_policy(VERSION 3.25)

# Folders of src/ that are (or will be) library parts.
set(RUNA_PART_FOLDERS services module memory types concurrency io bridge system)

# _runa_boundary_scan(<file> <out-var>)
# Sets <out-var> to one "<file>:<line>: <include line>" entry per offending #include.
function(_runa_boundary_scan file out_var)
  file(READ "${file}" text)
  # Turn the text into a CMake list of lines. Characters with a meaning in lists
  # (\ escapes, [ ] brackets, ;) are neutralised first; they never matter to the rules.
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "\r" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")

  set(found "")
  set(line_no 0)
  foreach(line IN LISTS lines)
    math(EXPR line_no "${line_no} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]*)")
      continue()
    endif()
    set(delimiter "${CMAKE_MATCH_1}")
    set(path "${CMAKE_MATCH_2}")
    string(REGEX REPLACE "/.*" "" first_component "${path}")
    if(path MATCHES "(^|/)src/"
        OR (delimiter STREQUAL "\"" AND path MATCHES "/" AND first_component IN_LIST RUNA_PART_FOLDERS))
      string(STRIP "${line}" line)
      list(APPEND found "${file}:${line_no}: ${line}")
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

# runa_check_boundary(<what> <file>...)
# Fails (FATAL_ERROR) listing every offending include of the given files; <what> names
# the checked code in the message.
function(runa_check_boundary what)
  set(violations "")
  foreach(file IN LISTS ARGN)
    _runa_boundary_scan("${file}" found)
    list(APPEND violations ${found})
  endforeach()
  if(violations)
    list(JOIN violations "\n  " report)
    message(FATAL_ERROR "${what}: #include of private headers from src/ "
      "(include the public headers in include/runatime/ instead):\n  ${report}\n")
  endif()
endfunction()

# Script mode: check the files named in RUNA_BOUNDARY_FILES.
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT RUNA_BOUNDARY_FILES)
    message(FATAL_ERROR
      "usage: cmake -DRUNA_BOUNDARY_FILES=<file>[;<file>...] -P ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  foreach(file IN LISTS RUNA_BOUNDARY_FILES)
    if(NOT EXISTS "${file}")
      message(FATAL_ERROR "boundary check: no such file: ${file}")
    endif()
  endforeach()
  runa_check_boundary("boundary check" ${RUNA_BOUNDARY_FILES})
  list(LENGTH RUNA_BOUNDARY_FILES count)
  message(STATUS "boundary check: ${count} file(s) include only public headers")
endif()
