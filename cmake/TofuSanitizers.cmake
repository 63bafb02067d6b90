# TOFU_SANITIZER=address|thread instruments every target of the build (see CMakePresets.json).
if(TOFU_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(TOFU_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
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
