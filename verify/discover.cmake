# discover.cmake: ctest-time test discovery (as gtest_discover_tests does).
# A verify binary prints one line per test: "NAME TIMEOUT ARG...". Tests are
# generated from that list, so a new mailbox (a new table line) is covered
# without touching any CMake file.
#
# mailroom_discover_tests(TARGET LABEL [PREFIX p] [PASS_REGEX r] [LIST_ARGS a...] [LABELS l...])
# LIST_ARGS go after --list (a second discovery of one binary lists another
# set of cases: workloads --mode pool); LABELS are added to LABEL. PASS_REGEX:
# the tests pass only if their output matches it (a report a tool must print),
# whatever their exit status. One call per TARGET, LABEL and PREFIX.
function(mailroom_discover_tests target label)
  cmake_parse_arguments(D "" "PREFIX;PASS_REGEX" "LIST_ARGS;LABELS" ${ARGN})
  if(NOT D_PREFIX)
    set(D_PREFIX ${label})
  endif()
  set(labels ${label} ${D_LABELS})
  string(JOIN " " shown --list ${D_LIST_ARGS})
  set(exe $<TARGET_FILE:${target}>)
  string(MAKE_C_IDENTIFIER "${D_PREFIX}" pfx)
  set(include_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_${label}_${pfx}_include.cmake)
  set(pass "")
  if(D_PASS_REGEX)
    set(pass "PASS_REGULAR_EXPRESSION \"${D_PASS_REGEX}\"")
  endif()
  file(GENERATE OUTPUT ${include_file} CONTENT "
execute_process(COMMAND \"${exe}\" --list ${D_LIST_ARGS} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR \"${target} ${shown} failed (rc=\${rc})\")
endif()
string(REPLACE \"\\n\" \";\" lines \"\${out}\")
set(n 0)
foreach(line IN LISTS lines)
  if(line STREQUAL \"\")
    continue()
  endif()
  separate_arguments(parts UNIX_COMMAND \"\${line}\")
  list(POP_FRONT parts name timeout)
  add_test(\"${D_PREFIX}/\${name}\" \"${exe}\" \${parts})
  set_tests_properties(\"${D_PREFIX}/\${name}\" PROPERTIES LABELS \"${labels}\" TIMEOUT \${timeout} ${pass})
  math(EXPR n \"\${n} + 1\")
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR \"${target} ${shown} listed no tests\")
endif()
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
