# tofu_set_warnings(target): the warning set every first-party target compiles with.
# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++ (stl_construct.h) on
# correct code; ASan/UBSan find real null dereferences instead.
function(tofu_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Woverloaded-virtual -Wnon-virtual-dtor)
  if(TOFU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
