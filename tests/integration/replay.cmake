# Recorded real-format AWS answers (tests/replay/): what real AWS sends that moto does not.
# The driver starts and stops its own loopback replay server for each of its modes.
add_test(NAME integration.replay
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_replay.py
                 $<TARGET_FILE:iam-audit>)
set_tests_properties(integration.replay PROPERTIES LABELS integration TIMEOUT 600)
