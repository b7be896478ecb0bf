# run_mc_mutant.cmake: the model checker must catch a mutant, replayably, and
# pass the unmutated code (the control). Three runs:
#   1. MUT ARGS --expect KIND: a failure of that kind, with a schedule string;
#   2. MUT --replay <that schedule> --expect KIND: the same failure again;
#   3. CONTROL ARGS: the same harness and mode on the shipped code pass.
#   -DID=n -DNAME=x -DMUT=exe -DCONTROL=exe -DKIND=kind "-DARGS=--harness;h;--mode;m"
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
  set(rc ${rc} PARENT_SCOPE)
  set(out "${out}${err}" PARENT_SCOPE)
  message(STATUS "${what}: exit ${rc}")
endfunction()

run("mutant ${ID}" ${MUT} ${ARGS} --expect ${KIND})
if(NOT rc EQUAL 0 OR NOT out MATCHES "FAIL ${KIND}: ([^\n]*)")
  message(FATAL_ERROR "mutant ${ID} ${NAME} survived: no ${KIND} failure\n${out}")
endif()
set(how "${CMAKE_MATCH_1}")
if(NOT out MATCHES "schedule: (MC1:[^\n]*)")
  message(FATAL_ERROR "mutant ${ID} ${NAME}: the failure printed no schedule\n${out}")
endif()
set(sched "${CMAKE_MATCH_1}")
message(STATUS "caught: ${KIND}: ${how}\n   schedule: ${sched}")

run("replay" ${MUT} --replay ${sched} --expect ${KIND})
if(NOT rc EQUAL 0 OR NOT out MATCHES "FAIL ${KIND}: ([^\n]*)")
  message(FATAL_ERROR "mutant ${ID} ${NAME}: replaying ${sched} did not reproduce the ${KIND} failure\n${out}")
endif()
if(NOT "${CMAKE_MATCH_1}" STREQUAL "${how}")
  message(FATAL_ERROR "mutant ${ID} ${NAME}: the replay failed differently: ${CMAKE_MATCH_1}")
endif()

run("control" ${CONTROL} ${ARGS})
if(NOT rc EQUAL 0 OR NOT out MATCHES "PASS")
  message(FATAL_ERROR "mutant ${ID} ${NAME}: the control (unmutated code) does not pass\n${out}")
endif()
message(STATUS "mutant ${ID} ${NAME}: killed by the model checker (${KIND}), replayed, control passes")
