# run_model.cmake: verify a Promela model with Spin and assert the verdict.
#   -DMODEL=park.pml -DDEFS="-DBUG_X" -DEXPECT=pass|fail[:KIND] -DWORK=dir [-DLIVE=ON]
# LIVE: the model's LTL property is checked (pan -a, acceptance cycles, weak
# fairness -f; a deadlock is a stuttering violation); else safety only
# (-DSAFETY: assertions and invalid end states).
# pass: Spin explores everything and reports "errors: 0".
# fail: Spin must report an error (the known bug is found); its trail is printed.
# fail:KIND: an error of that kind (assertion, acceptance, end: invalid end
# state), so a bad variant is caught by the property it names, nothing else.
# pan stops at -DMEMLIM (MB, shared machine); a search cut short fails.
# pan.c is compiled -O0: gcc -O2 takes ~17 s on the pool model's pan.c, -O0
# ~2 s, more than the search loses (checks here run for seconds).
find_program(SPIN spin REQUIRED)
find_program(CC NAMES gcc cc REQUIRED)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
separate_arguments(defs UNIX_COMMAND "${DEFS}")
execute_process(COMMAND ${SPIN} ${defs} -a ${MODEL} WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "spin -a failed: ${out}${err}")
endif()
if(LIVE)
  set(cflags -DNFAIR=4 -DMEMLIM=2048) # fairness bookkeeping for up to 6 processes
  set(panargs -a -f -m100000)
else()
  set(cflags -DSAFETY -DMEMLIM=2048)
  set(panargs -m100000)
endif()
execute_process(COMMAND ${CC} -O0 ${cflags} -o pan pan.c WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compiling pan.c failed: ${err}")
endif()
execute_process(COMMAND ./pan ${panargs} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
string(REGEX MATCH "errors: ([0-9]+)" m "${out}")
set(errors ${CMAKE_MATCH_1})
string(REGEX MATCH "([0-9]+) states, stored" st "${out}")
if(errors STREQUAL "")
  message(FATAL_ERROR "no verdict from pan:\n${out}")
endif()
if(out MATCHES "search depth too small|max search depth too small|MEMLIM")
  message(FATAL_ERROR "search depth or memory too small: the search was not exhaustive\n${out}")
endif()
string(REGEX MATCH "elapsed time ([0-9.e+]+)" tm "${out}")
set(kind "")
if(EXPECT MATCHES "^fail:(.+)$")
  set(kind ${CMAKE_MATCH_1})
  set(EXPECT fail)
  set(kinds_assertion "assertion violated")
  set(kinds_acceptance "acceptance cycle")
  set(kinds_end "invalid end state")
  if(NOT DEFINED kinds_${kind})
    message(FATAL_ERROR "unknown expected failure kind '${kind}' (assertion, acceptance, end)")
  endif()
endif()
if(EXPECT STREQUAL "pass")
  if(NOT errors EQUAL 0)
    execute_process(COMMAND ${SPIN} ${defs} -t -p ${MODEL} WORKING_DIRECTORY ${WORK} OUTPUT_VARIABLE trail)
    message(FATAL_ERROR "Spin found ${errors} error(s) in ${MODEL} ${DEFS}:\n${out}\nTrail:\n${trail}")
  endif()
  message(STATUS "${MODEL} ${DEFS}: no errors, ${st} (exhaustive), ${tm} s")
else()
  if(errors EQUAL 0)
    message(FATAL_ERROR "Spin did NOT find the known bug in ${MODEL} ${DEFS}:\n${out}")
  endif()
  execute_process(COMMAND ${SPIN} ${defs} -t -p ${MODEL} WORKING_DIRECTORY ${WORK} OUTPUT_VARIABLE trail)
  string(REGEX MATCH "[^\n]*(invalid end state|assertion violated|acceptance cycle)[^\n]*" why "${out}")
  if(kind AND NOT why MATCHES "${kinds_${kind}}")
    message(FATAL_ERROR "Spin found an error in ${MODEL} ${DEFS}, but not the expected ${kind} (${why}):\n${out}\nTrail:\n${trail}")
  endif()
  message(STATUS "${MODEL} ${DEFS}: bug found as expected (${why})")
endif()
