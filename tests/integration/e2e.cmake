# End to end: planted defects -> collect -> analyse (exact findings); run and demo.
ia_moto_test(e2e)
ia_moto_test(run)

# AWS-managed policies need a moto that loads them: the test starts its own.
add_test(NAME integration.managed COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_CURRENT_SOURCE_DIR}/test_managed.py $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.managed PROPERTIES LABELS integration TIMEOUT 600)

# AWS's action catalogue on AWS's own managed policies (starts its own moto with them).
add_test(NAME integration.catalogue COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_CURRENT_SOURCE_DIR}/test_catalogue.py $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.catalogue PROPERTIES LABELS integration TIMEOUT 600)
# Delivery (issue 17): SES, Security Hub and a webhook stub; the test starts a second moto.
ia_moto_test(deliver)

# Installed, not just built: install into a temporary prefix and run the demo from there.
add_test(NAME integration.install COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_CURRENT_SOURCE_DIR}/test_install.py ${PROJECT_BINARY_DIR})
set_tests_properties(integration.install PROPERTIES LABELS integration TIMEOUT 600)

# docs/getting-started.md followed literally against moto: a documented set-up runs clean.
ia_moto_test(getting_started)
