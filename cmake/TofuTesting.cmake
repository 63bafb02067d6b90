# tofu_add_gtest(name SOURCES ... LABEL label [TIMEOUT seconds] [LIBS ...]): one GoogleTest
# executable; every test case becomes its own CTest test with a timeout and one label
# (engine, fault, stress or cli; `ctest -LE stress` is the quick run).
# One label only: gtest_discover_tests (CMake 3.25) cannot carry a list-valued property.
include(GoogleTest)
find_package(GTest REQUIRED)

function(tofu_add_gtest name)
  cmake_parse_arguments(arg "" "TIMEOUT;LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()
  if(NOT arg_LABEL)
    message(FATAL_ERROR "tofu_add_gtest(${name}): LABEL is required")
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tofu_engine tofu_test_support GTest::gtest GTest::gtest_main Threads::Threads ${arg_LIBS})
  tofu_set_warnings(${name})
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${arg_TIMEOUT} LABELS ${arg_LABEL})
endfunction()

# tofu_add_qtest(name SOURCES ... LABEL label [TIMEOUT seconds] [LIBS ...]): one Qt Test
# executable registered as one CTest test, run offscreen (no display needed).
function(tofu_add_qtest name)
  cmake_parse_arguments(arg "" "TIMEOUT;LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  if(NOT arg_LABEL)
    message(FATAL_ERROR "tofu_add_qtest(${name}): LABEL is required")
  endif()
  add_executable(${name} ${arg_SOURCES})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(${name} PRIVATE Qt6::Test ${arg_LIBS})
  tofu_set_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${arg_TIMEOUT}
    LABELS ${arg_LABEL}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
  tofu_use_qt_tsan_suppressions(${name})
endfunction()

