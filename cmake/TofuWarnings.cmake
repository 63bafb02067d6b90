# tofu_set_warnings(target): the warning set every first-party target compiles with.
function(tofu_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Woverloaded-virtual -Wnon-virtual-dtor -Wnull-dereference)
  if(TOFU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
