# Installs the build in LASER_BINARY_DIR to a temporary prefix, builds
# examples/ against it with find_package(Laser), builds the C example again
# with pkg-config alone, and runs all three. Run with cmake -P.
set(prefix ${LASER_BINARY_DIR}/install-test/prefix)
set(build ${LASER_BINARY_DIR}/install-test/build)
file(REMOVE_RECURSE ${LASER_BINARY_DIR}/install-test)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${LASER_BINARY_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${LASER_SOURCE_DIR}/examples -B ${build}
                        -DCMAKE_PREFIX_PATH=${prefix} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring examples against the installed package failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building examples against the installed package failed")
endif()
foreach(exe service_cpp service_c)
  execute_process(COMMAND ${build}/${exe} ${LASER_BINARY_DIR}/install-test/db_${exe}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(rc)
    message(FATAL_ERROR "${exe} failed: ${out}")
  endif()
  message(STATUS "${exe}:\n${out}")
endforeach()
# pkg-config only (no CMake): the C example against the shared library. The
# package was configured for another prefix, hence --define-variable.
file(GLOB pcdir ${prefix}/lib*/pkgconfig ${prefix}/lib/*/pkgconfig)
execute_process(COMMAND sh -c "PKG_CONFIG_PATH=${pcdir} cc ${LASER_SOURCE_DIR}/examples/service.c \
  $(PKG_CONFIG_PATH=${pcdir} pkg-config --define-variable=prefix=${prefix} --cflags --libs laser) -Wl,-rpath,${prefix}/lib \
  -o ${build}/service_c_pc && ${build}/service_c_pc ${LASER_BINARY_DIR}/install-test/db_pc"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "pkg-config build of the C example failed: ${out} ${err}")
endif()
message(STATUS "service_c (pkg-config):\n${out}")
