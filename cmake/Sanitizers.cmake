# Sanitizers as an INTERFACE target, selected with SHOWGUARD_SANITIZE.
add_library(showguard_sanitizers INTERFACE)
if(SHOWGUARD_SANITIZE)
  list(JOIN SHOWGUARD_SANITIZE "," _showguard_sanitizers)
  target_compile_options(showguard_sanitizers INTERFACE
    -fsanitize=${_showguard_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(showguard_sanitizers INTERFACE -fsanitize=${_showguard_sanitizers})
endif()
