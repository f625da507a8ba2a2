# tidemark_add_test(NAME src... LIBS lib...): one GoogleTest binary registered with ctest.
# tidemark_add_benchmark(NAME src... LIBS lib...): one Google Benchmark binary (not run by ctest).
include(CMakeParseArguments)
if(TIDEMARK_BUILD_TESTS)
  enable_testing()
endif()

function(tidemark_add_test name)
  if(NOT TIDEMARK_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "TIDEMARK_SOURCE_DIR=${PROJECT_SOURCE_DIR};TIDEMARK_BINARY=${PROJECT_BINARY_DIR}/server/tidemark"
    TIMEOUT 900)
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

function(tidemark_add_benchmark name)
  if(NOT TIDEMARK_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(B "" "" "LIBS" ${ARGN})
  add_executable(${name} ${B_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${B_LIBS} benchmark::benchmark)
endfunction()
