# Security hardening (issue 12): the attacks of docs/reliability.md "Attacks tried", each
# tried against the built binary. Needs no moto_server (it fakes the endpoints it needs).
add_test(NAME integration.hardening
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_hardening.py
                 $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.hardening PROPERTIES LABELS integration TIMEOUT 300)
