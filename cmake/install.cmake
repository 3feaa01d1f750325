include_guard(GLOBAL)
# install() rules: headers, libraries, a CMake package (find_package(Laser))
# and a pkg-config file. Included from the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS laser_static laser_shared EXPORT LaserTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/laser/laser.hpp ${CMAKE_SOURCE_DIR}/include/laser/laser.h
              ${CMAKE_SOURCE_DIR}/include/laser/db.hpp ${CMAKE_SOURCE_DIR}/include/laser/batch.hpp
              ${CMAKE_SOURCE_DIR}/include/laser/schema.hpp
              ${CMAKE_SOURCE_DIR}/include/laser/status.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/laser)
install(EXPORT LaserTargets NAMESPACE Laser:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Laser)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/LaserConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/LaserConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Laser)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/LaserConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/LaserConfig.cmake ${CMAKE_BINARY_DIR}/LaserConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Laser)
configure_file(${CMAKE_SOURCE_DIR}/cmake/laser.pc.in ${CMAKE_BINARY_DIR}/laser.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/laser.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
