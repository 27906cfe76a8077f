# moto_server for the collect tests, started and stopped by ctest fixtures.
set(IA_MOTO_DIR ${CMAKE_CURRENT_BINARY_DIR}/moto-collect)
file(MAKE_DIRECTORY ${IA_MOTO_DIR})
add_test(NAME integration.moto_collect.start
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py start
                 --port-file ${IA_MOTO_DIR}/port --pid-file ${IA_MOTO_DIR}/pid --auth)
add_test(NAME integration.moto_collect.stop
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py stop
                 --pid-file ${IA_MOTO_DIR}/pid)
set_tests_properties(integration.moto_collect.start PROPERTIES FIXTURES_SETUP moto_collect)
set_tests_properties(integration.moto_collect.stop PROPERTIES FIXTURES_CLEANUP moto_collect)
add_test(NAME integration.collect
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_collect.py
                 $<TARGET_FILE:iam-audit> ${IA_MOTO_DIR}/port)
set_tests_properties(integration.collect PROPERTIES FIXTURES_REQUIRED moto_collect
                     LABELS integration TIMEOUT 600)

add_test(NAME integration.ops COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_ops.py
                                      $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.ops PROPERTIES LABELS integration TIMEOUT 120)

add_test(NAME integration.cron COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_cron.py)
set_tests_properties(integration.cron PROPERTIES LABELS integration TIMEOUT 120)
