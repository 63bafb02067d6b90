# Install and export: `cmake --install` puts the headers, the static libraries, a CMake package
# (find_package(Tofu CONFIG) -> Tofu::engine and Tofu::telemetry, and Tofu::qt when the Qt
# adapter was built) and pkg-config files (tofu-engine.pc, and tofu-qt.pc with the adapter).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TOFU_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tofu)

# Tofu::engine links Tofu::vocabulary (the enum names) and, for its telemetry server,
# Tofu::telemetry (the telemetry codec, usable on its own); the three share one export set.
set_target_properties(tofu_engine PROPERTIES EXPORT_NAME engine)
set_target_properties(tofu_vocabulary PROPERTIES EXPORT_NAME vocabulary)
set_target_properties(tofu_telemetry PROPERTIES EXPORT_NAME telemetry)
foreach(target tofu_engine tofu_vocabulary tofu_telemetry)
  target_include_directories(${target} PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
install(TARGETS tofu_engine tofu_vocabulary tofu_telemetry EXPORT TofuEngineTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY engine/include/tofu DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(DIRECTORY telemetry/include/tofu/telemetry DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tofu
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/tofu/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tofu)
install(EXPORT TofuEngineTargets NAMESPACE Tofu:: FILE TofuEngineTargets.cmake DESTINATION ${TOFU_CMAKE_INSTALL_DIR})

if(TARGET tofu_qt)
  set_target_properties(tofu_qt PROPERTIES EXPORT_NAME qt)
  target_include_directories(tofu_qt PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS tofu_qt EXPORT TofuQtTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY qtadapter/include/tofu/qt DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tofu FILES_MATCHING PATTERN "*.h")
  install(EXPORT TofuQtTargets NAMESPACE Tofu:: FILE TofuQtTargets.cmake DESTINATION ${TOFU_CMAKE_INSTALL_DIR})
endif()

configure_package_config_file(cmake/TofuConfig.cmake.in ${PROJECT_BINARY_DIR}/TofuConfig.cmake
  INSTALL_DESTINATION ${TOFU_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TofuConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TofuConfig.cmake ${PROJECT_BINARY_DIR}/TofuConfigVersion.cmake
  DESTINATION ${TOFU_CMAKE_INSTALL_DIR})

file(RELATIVE_PATH TOFU_PC_PREFIX_FROM_PCDIR /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
# The engine is a static library: with TLS its consumers link OpenSSL too.
set(TOFU_PC_REQUIRES "")
if(TOFU_WITH_TLS)
  set(TOFU_PC_REQUIRES "Requires: openssl")
endif()
configure_file(cmake/tofu-engine.pc.in ${PROJECT_BINARY_DIR}/tofu-engine.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tofu-engine.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET tofu_qt)
  configure_file(cmake/tofu-qt.pc.in ${PROJECT_BINARY_DIR}/tofu-qt.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/tofu-qt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

if(TARGET tofu-cli)
  install(TARGETS tofu-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET tofu-monitor)
  install(TARGETS tofu-monitor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
