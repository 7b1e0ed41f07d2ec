# Test suite: Catch2 unit, statistical and CLI tests, registered with CTest (one CTest test per TEST_CASE).
include(Catch)
add_executable(tamcarlo_tests
  tests/main_test.cpp
  tests/support.cpp
  tests/cli_test.cpp
  tests/cluster_test.cpp
  tests/decision_test.cpp
  tests/design_test.cpp
  tests/correlation_test.cpp
  tests/distribution_test.cpp
  tests/engine_test.cpp
  tests/evidence_test.cpp
  tests/formula_test.cpp
  tests/fuzz/scenario_fuzz.cpp
  tests/fuzz_replay_test.cpp
  tests/hardening_test.cpp
  tests/integrity_test.cpp
  tests/investment_test.cpp
  tests/library_test.cpp
  tests/matrix_test.cpp
  tests/models_test.cpp
  tests/report_test.cpp
  tests/results_test.cpp
  tests/risk_test.cpp
  tests/rng_test.cpp
  tests/scenario_test.cpp
  tests/sobol_test.cpp
  tests/statistics_test.cpp
  tests/stream_test.cpp
  tests/text_test.cpp
  tests/guardrails_test.cpp
  tests/timeline_test.cpp
  tests/units_test.cpp
  tests/venture_test.cpp
)
target_link_libraries(tamcarlo_tests PRIVATE tamcarlo_sim Catch2::Catch2 nlohmann_json::nlohmann_json)
# Tests include their own helpers as "tests/..." (the layers' include roots serve "sim/...").
target_include_directories(tamcarlo_tests PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(tamcarlo_tests PRIVATE
  TAMCARLO_EXE="$<TARGET_FILE:tamcarlo>"
  TAMCARLO_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
if(MPI_C_FOUND AND MPIEXEC_EXECUTABLE)  # mpirun tests (Open MPI's flags)
  target_compile_definitions(tamcarlo_tests PRIVATE TAMCARLO_MPIEXEC="${MPIEXEC_EXECUTABLE}")
endif()
add_dependencies(tamcarlo_tests tamcarlo)
# Build time (CI's largest share): the test code itself is compiled at -O1 (the library it links is built as shipped),
# and the headers nearly every test file includes are parsed once, into a precompiled header. main_test.cpp compiles
# Catch2's runner (CATCH_CONFIG_RUNNER before catch.hpp), so it reads the headers itself.
target_compile_options(tamcarlo_tests PRIVATE -O1)
target_precompile_headers(tamcarlo_tests PRIVATE
  <catch2/catch.hpp> <nlohmann/json.hpp> <fmt/format.h> <boost/math/distributions/normal.hpp>
  <algorithm> <cmath> <filesystem> <fstream> <map> <random> <set> <sstream> <string> <vector>
  "${PROJECT_SOURCE_DIR}/tests/support.hpp" "${PROJECT_SOURCE_DIR}/sim/io/results_file.hpp")
set_source_files_properties(tests/main_test.cpp PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
# tests/main_test.cpp turns on Catch2's NoTests and NoAssertions warnings: a CTest entry whose name selects no
# TEST_CASE fails instead of passing without running anything, and so does a TEST_CASE that checks nothing.
# The sanitized build leaves out the TEST_CASEs that draw reports ([report], but for their [errors]): what they test is
# the report package's Python, which the sanitizers do not see, and they took a minute of CI's time there.
if(TAMCARLO_SANITIZE)
  catch_discover_tests(tamcarlo_tests TEST_SPEC "~[report],[errors]")
else()
  catch_discover_tests(tamcarlo_tests)
endif()
# CTest splits a test name at ';', so such a TEST_CASE would be registered under a truncated name that selects
# nothing: refuse them by name too (a clearer message than the failing entry).
add_test(NAME "test names hold no semicolon (CTest would run nothing under them)"
         COMMAND sh -c "! grep -n 'TEST_CASE(\"[^\"]*;' ${PROJECT_SOURCE_DIR}/tests/*.cpp")
# A '[' in a name breaks catch_discover_tests (every later case is registered as one entry with a joined name).
add_test(NAME "test names hold no square bracket (test discovery would merge the cases after it)"
         COMMAND sh -c "! grep -n 'TEST_CASE(\"[^\"]*\\[' ${PROJECT_SOURCE_DIR}/tests/*.cpp")
# The report package: every name it uses is defined or imported, and every import is used (pyflakes, Debian's
# python3-pyflakes), so a module split or a rename cannot leave a NameError for the first user of a chart.
add_test(NAME "report package: pyflakes finds no undefined or unused names"
         COMMAND /usr/bin/python3 -m pyflakes ${PROJECT_SOURCE_DIR}/sim/report/tamcarlo_report ${PROJECT_SOURCE_DIR}/tests/fit_check.py ${PROJECT_SOURCE_DIR}/tests/chart_check.py ${PROJECT_SOURCE_DIR}/tests/browser_check.py)
# The Python module (tests/python_test.py, one CTest entry per class), run by Debian's python3 against this build.
if(TAMCARLO_PYTHON)
  foreach(cls RunMatchesCommandLine Errors Interrupt Progress Gil Evidence Xarray Suites Files SipExport Notebook)
    add_test(NAME "python module: ${cls}"
             COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/python_test.py -v ${cls})
    set_tests_properties("python module: ${cls}" PROPERTIES
      ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;TAMCARLO_EXE=$<TARGET_FILE:tamcarlo>;TAMCARLO_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endforeach()
  add_test(NAME "python module: pyflakes finds no undefined or unused names"
           COMMAND /usr/bin/python3 -m pyflakes ${PROJECT_SOURCE_DIR}/sim/python/tamcarlo ${PROJECT_SOURCE_DIR}/tests/python_test.py)
endif()
# tamcarlo fit and the report's charts test Python code; the sanitized build (whose program is only slower) skips them.
if(NOT TAMCARLO_SANITIZE)
# tamcarlo fit (tests/fit_check.py, one CTest entry per class): the report package's fitter under Debian's python3.
foreach(cls Families PValues CommandLine)
  add_test(NAME "fit: ${cls}" COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/fit_check.py -v ${cls})
  set_tests_properties("fit: ${cls}" PROPERTIES
    ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/sim/report;TAMCARLO_EXE=$<TARGET_FILE:tamcarlo>;TAMCARLO_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endforeach()
# The report's charts on hard shapes (tests/chart_check.py): ticks, point masses, log axes, clipped index axes.
foreach(cls Ticks Shapes Page Chinese)
  add_test(NAME "charts: ${cls}" COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/chart_check.py -v ${cls})
  set_tests_properties("charts: ${cls}" PROPERTIES
    ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/sim/report;TAMCARLO_EXE=$<TARGET_FILE:tamcarlo>;TAMCARLO_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endforeach()
# The report page in a real browser (tests/browser_check.py: Debian's chromium over the DevTools protocol): it loads
# with no console error, every chart draws with data, the CDF read at the pointer is right, the number rule agrees.
foreach(cls Page Main NumberRule)
  add_test(NAME "browser: ${cls}" COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/browser_check.py -v ${cls})
  set_tests_properties("browser: ${cls}" PROPERTIES
    ENVIRONMENT "TAMCARLO_EXE=$<TARGET_FILE:tamcarlo>;TAMCARLO_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endforeach()
endif()
