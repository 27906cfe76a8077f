# `iam-audit report` read back by an independent reader: test_reports.py builds a synthetic
# database with Python's sqlite3 from sql/NNNN_*.sql, runs the binary, and checks the XLSX
# (zipfile + xml.etree), CSV (csv) and JSONL (json). Included from
# tests/integration/CMakeLists.txt. Exit 77 (skipped) while cli/main.c lacks `report`.
if(Python3_Interpreter_FOUND)
  add_test(NAME integration.reports
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_reports.py
                   $<TARGET_FILE:iam-audit> ${PROJECT_SOURCE_DIR})
  set_tests_properties(integration.reports PROPERTIES SKIP_RETURN_CODE 77
                       LABELS integration TIMEOUT 300)
endif()
