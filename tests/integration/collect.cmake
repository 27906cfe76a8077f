# collect against moto (readback comparison, partial run, SIGKILL), and the tests that
# need no server: prune and the lock, the nightly wrapper.
ia_moto_test(collect)

add_test(NAME integration.ops COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_ops.py
                                      $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.ops PROPERTIES LABELS integration TIMEOUT 120)

add_test(NAME integration.cron COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_cron.py
                                       $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.cron PROPERTIES LABELS integration TIMEOUT 120)
