# Extra test targets of the query layer (included by tests/CMakeLists.txt).

# MemDB: an in-memory laser::DB for tests of sql/, operators/ and api/.
add_library(laser_test_support STATIC ${CMAKE_CURRENT_SOURCE_DIR}/sql/support/mem_db.cc)
target_include_directories(laser_test_support PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
target_include_directories(laser_test_support PRIVATE ${LASER_GENERATED_DIR})
foreach(t test_sql test_ops test_api)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE laser_test_support)
  endif()
endforeach()

# Differential test against SQLite: the same generated data and >= 500
# generated SELECTs, compared row for row.
pkg_check_modules(SQLITE3 IMPORTED_TARGET sqlite3)
if(SQLITE3_FOUND)
  add_executable(test_sql_differential ${CMAKE_CURRENT_SOURCE_DIR}/sql/differential/differential_test.cc)
  target_link_libraries(test_sql_differential PRIVATE laser_all laser_test_support PkgConfig::SQLITE3
                        doctest::doctest)
  target_include_directories(test_sql_differential PRIVATE ${CMAKE_SOURCE_DIR})
  add_test(NAME sql_differential COMMAND test_sql_differential)
endif()

# Packaging: install to a temporary prefix and build examples/ against it.
# Not in sanitizer builds: the examples are built without the sanitizer
# runtime the installed library would need.
if(NOT LASER_SANITIZE AND NOT LASER_TSAN)
  add_test(NAME install_examples
           COMMAND ${CMAKE_COMMAND} -DLASER_BINARY_DIR=${CMAKE_BINARY_DIR}
                   -DLASER_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                   -P ${CMAKE_SOURCE_DIR}/examples/test_install.cmake)
endif()
# The install rules live in cmake/install.cmake (include-guarded, so the
# top-level CMakeLists.txt may include it too).
include(${CMAKE_SOURCE_DIR}/cmake/install.cmake)
