# moto_server for the end-to-end analyser test, its own so it can run beside the others.
set(IA_MOTO_E2E ${CMAKE_CURRENT_BINARY_DIR}/moto-e2e)
file(MAKE_DIRECTORY ${IA_MOTO_E2E})
add_test(NAME integration.moto_e2e.start
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py start
                 --port-file ${IA_MOTO_E2E}/port --pid-file ${IA_MOTO_E2E}/pid --auth)
add_test(NAME integration.moto_e2e.stop
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py stop
                 --pid-file ${IA_MOTO_E2E}/pid)
set_tests_properties(integration.moto_e2e.start PROPERTIES FIXTURES_SETUP moto_e2e)
set_tests_properties(integration.moto_e2e.stop PROPERTIES FIXTURES_CLEANUP moto_e2e)
add_test(NAME integration.e2e
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_e2e.py
                 $<TARGET_FILE:iam-audit> ${IA_MOTO_E2E}/port)
set_tests_properties(integration.e2e PROPERTIES FIXTURES_REQUIRED moto_e2e
                     LABELS integration TIMEOUT 600)

# `run` and `demo`: their own moto (the estate build resets the server it is given).
set(IA_MOTO_RUN ${CMAKE_CURRENT_BINARY_DIR}/moto-run)
file(MAKE_DIRECTORY ${IA_MOTO_RUN})
add_test(NAME integration.moto_run.start
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py start
                 --port-file ${IA_MOTO_RUN}/port --pid-file ${IA_MOTO_RUN}/pid --auth)
add_test(NAME integration.moto_run.stop
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/estate/moto_ctl.py stop
                 --pid-file ${IA_MOTO_RUN}/pid)
set_tests_properties(integration.moto_run.start PROPERTIES FIXTURES_SETUP moto_run)
set_tests_properties(integration.moto_run.stop PROPERTIES FIXTURES_CLEANUP moto_run)
add_test(NAME integration.run
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_run.py
                 $<TARGET_FILE:iam-audit> ${IA_MOTO_RUN}/port)
set_tests_properties(integration.run PROPERTIES FIXTURES_REQUIRED moto_run
                     LABELS integration TIMEOUT 600)
