# msgcost_smoke.cmake: mailroom-msgcost once per kind (names from
# mailroom-info --names), at batch 1 and 64. -DMSGCOST=... -DINFO=...
execute_process(COMMAND ${INFO} --names OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mailroom-info --names failed")
endif()
string(REPLACE "\n" ";" names "${out}")
list(REMOVE_ITEM names "")
foreach(name IN LISTS names)
  foreach(batch 1 64)
    execute_process(COMMAND ${MSGCOST} --mailbox ${name} --batch ${batch} --messages 2000 --warmup 200
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "mailroom-msgcost --mailbox ${name} --batch ${batch}: exit ${rc}")
    endif()
  endforeach()
endforeach()
