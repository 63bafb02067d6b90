# TOFU_SANITIZER=address|thread instruments every target of the build (see CMakePresets.json).
# Code that must know (tests scaling their waits, the adapter's TSan annotations) tests
# TOFU_SANITIZER_ADDRESS / TOFU_SANITIZER_THREAD rather than each compiler's own macro: GCC
# defines __SANITIZE_ADDRESS__, clang 14 only answers __has_feature(address_sanitizer).
if(TOFU_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_definitions(TOFU_SANITIZER_ADDRESS=1)
  add_link_options(-fsanitize=address,undefined)
elseif(TOFU_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_compile_definitions(TOFU_SANITIZER_THREAD=1)
  add_link_options(-fsanitize=thread)
elseif(NOT TOFU_SANITIZER STREQUAL "none")
  message(FATAL_ERROR "TOFU_SANITIZER must be none, address or thread, not '${TOFU_SANITIZER}'")
endif()

# tofu_use_qt_tsan_suppressions(test...): under ThreadSanitizer, tests whose processes run Qt
# threads read tests/qtadapter/tsan.supp. Qt is not TSan-instrumented, so TSan cannot see the
# synchronisation inside it. The file is appended to the TSAN_OPTIONS the test runs with, so the
# preset's halt_on_error=1 stays in force.
function(tofu_use_qt_tsan_suppressions)
  if(TOFU_SANITIZER STREQUAL "thread")
    foreach(test ${ARGN})
      set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT_MODIFICATION
        "TSAN_OPTIONS=string_append::suppressions=${PROJECT_SOURCE_DIR}/tests/qtadapter/tsan.supp")
    endforeach()
  endif()
endfunction()
