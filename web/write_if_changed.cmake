# write_if_changed(PATH CONTENT): writes CONTENT to PATH only when it differs from what is there,
# so a build step that regenerates a file keeps unrelated rebuilds incremental (an unchanged
# timestamp recompiles nothing). Included by the web/*.cmake scripts.
function(write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()
