# The credential chain end to end: `iam-audit whoami` against a moto_server that
# test_whoami.py starts on a free 127.0.0.1 port and stops again (also on failure).
# Included from tests/integration/CMakeLists.txt.
if(Python3_Interpreter_FOUND)
  add_test(NAME integration.creds_whoami
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_whoami.py
                   $<TARGET_FILE:iam-audit>)
  # 77: moto_server or boto3 is not installed.
  set_tests_properties(integration.creds_whoami PROPERTIES SKIP_RETURN_CODE 77
                       LABELS integration TIMEOUT 300)
endif()
