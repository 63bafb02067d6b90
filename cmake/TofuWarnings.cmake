# Checks the GUARDED_BY / REQUIRES annotations (tofu/support/mutex.h). GCC has no such
# analysis, so clang builds enforce them: the asan and engine-only presets and fuzzing;
# thread_safety_check_test shows these flags refusing an unguarded access.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(TOFU_THREAD_SAFETY_FLAGS -Wthread-safety)
else()
  set(TOFU_THREAD_SAFETY_FLAGS "")
endif()

# tofu_set_warnings(target): the warning set every first-party target compiles with.
# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++ (stl_construct.h) on
# correct code; ASan/UBSan find real null dereferences instead.
function(tofu_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Woverloaded-virtual -Wnon-virtual-dtor)
  target_compile_options(${target} PRIVATE ${TOFU_THREAD_SAFETY_FLAGS})
  if(TOFU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
