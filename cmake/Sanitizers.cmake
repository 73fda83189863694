# Sanitizers as an INTERFACE target, selected with SHOWGUARD_SANITIZE.
add_library(showguard_sanitizers INTERFACE)
if(SHOWGUARD_SANITIZE)
  list(JOIN SHOWGUARD_SANITIZE "," _showguard_sanitizers)
  target_compile_options(showguard_sanitizers INTERFACE
    -fsanitize=${_showguard_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(showguard_sanitizers INTERFACE -fsanitize=${_showguard_sanitizers})
endif()
# A fuzz build instruments everything for libFuzzer's coverage feedback; only
# the fuzz targets themselves link libFuzzer's main (fuzz/CMakeLists.txt).
if(SHOWGUARD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SHOWGUARD_FUZZ needs clang (CXX=clang++): libFuzzer is part of clang")
  endif()
  target_compile_options(showguard_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()
