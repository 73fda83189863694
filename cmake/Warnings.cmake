# Compiler warnings as an INTERFACE target that our own targets link.
add_library(showguard_warnings INTERFACE)
target_compile_options(showguard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(SHOWGUARD_WARNINGS_AS_ERRORS)
  target_compile_options(showguard_warnings INTERFACE -Werror)
endif()
