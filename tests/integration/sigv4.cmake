# SigV4 against a second oracle: sigv4_botocore_oracle.py signs a few hundred seeded
# random requests with botocore.auth.SigV4Auth and compares what sigv4_tool (the signer
# behind a JSON-lines driver) produces. Included from tests/integration/CMakeLists.txt.
add_executable(sigv4_tool ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_tool.c)
target_link_libraries(sigv4_tool PRIVATE ia_collector ia_core PkgConfig::JANSSON)

if(Python3_Interpreter_FOUND)
  add_test(NAME integration.sigv4_botocore
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_botocore_oracle.py
                   $<TARGET_FILE:sigv4_tool>)
  # 77: botocore is not installed for that interpreter.
  set_tests_properties(integration.sigv4_botocore PROPERTIES SKIP_RETURN_CODE 77
                       LABELS integration TIMEOUT 300)
endif()
