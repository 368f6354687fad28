# Copies uPlot (the status page's chart library, npm package "uplot" in tools/node, installed by
# scripts/install-deps.sh) into the embedded assets with its licence on top; run at build time
# by web/CMakeLists.txt as `cmake -DUPLOT_DIR=... -DOUT_DIR=... -P vendor_uplot.cmake`.
cmake_minimum_required(VERSION 3.25)

foreach(f dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE package.json)
  if(NOT EXISTS "${UPLOT_DIR}/${f}")
    message(FATAL_ERROR "vendor_uplot: ${UPLOT_DIR}/${f} not found; run scripts/install-deps.sh")
  endif()
endforeach()
file(READ "${UPLOT_DIR}/package.json" package)
string(JSON version GET "${package}" version)
file(READ "${UPLOT_DIR}/LICENSE" license)
# The licence text must not end the comment early.
string(REPLACE "*/" "* /" license "${license}")
set(header "/*! uPlot ${version} (npm package \"uplot\"), embedded unchanged below.\n${license}*/\n")
file(READ "${UPLOT_DIR}/dist/uPlot.iife.min.js" js)
file(READ "${UPLOT_DIR}/dist/uPlot.min.css" css)

include("${CMAKE_CURRENT_LIST_DIR}/write_if_changed.cmake")
write_if_changed("${OUT_DIR}/uplot.js" "${header}${js}")
write_if_changed("${OUT_DIR}/uplot.css" "${header}${css}")
