# Security hardening (issue 12): the attacks of docs/reliability.md "Attacks tried", each
# tried against the built binary. Needs no moto_server (it fakes the endpoints it needs).
add_test(NAME integration.hardening
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_hardening.py
                 $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.hardening PROPERTIES LABELS integration TIMEOUT 300)

# The installed binary's hardening flags (readelf/objdump), issue 12 item 13.
if(IA_HAVE_fcf_protection)
  set(IA_CF 1)
else()
  set(IA_CF 0)
endif()
add_test(NAME build.binary_hardening
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_binary_hardening.py
                 ${PROJECT_BINARY_DIR} ${IA_SANITIZE} ${IA_CF})
set_tests_properties(build.binary_hardening PROPERTIES LABELS integration TIMEOUT 120)

# The shipped GitHub Actions example and systemd unit (issue 12 items 14 and 15).
add_test(NAME integration.shipped_files
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_shipped.py)
set_tests_properties(integration.shipped_files PROPERTIES LABELS integration TIMEOUT 120)
