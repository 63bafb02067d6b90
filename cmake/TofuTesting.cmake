# tofu_add_gtest(name SOURCES ... [LABELS ...] [TIMEOUT seconds]): one GoogleTest executable;
# every test case becomes its own CTest test with a timeout and the `engine` label.
include(GoogleTest)
find_package(GTest REQUIRED)

function(tofu_add_gtest name)
  cmake_parse_arguments(arg "" "TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tofu_engine tofu_test_support GTest::gtest GTest::gtest_main Threads::Threads ${arg_LIBS})
  tofu_set_warnings(${name})
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${arg_TIMEOUT} LABELS "engine;${arg_LABELS}")
endfunction()
