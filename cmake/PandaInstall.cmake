# What `cmake --install <build> [--prefix DIR]` puts where (docs/operating.md):
#   bin/pandad, bin/panda
#   lib/libpanda.a, lib/libpanda.so.0.x.y (+ .so.0, .so): every library of
#       lib/ and actors/ as one, the node and the client API together
#   include/panda/*.h           the public API only (lib/ and actors/ headers stay private)
#   lib/pkgconfig/panda.pc      relocatable: its prefix is found from its own place
#   share/man/man1/pandad.1, panda.1   made from --help at build time
#   lib/systemd/system/pandad.service  ExecStart names the installed pandad
include (GNUInstallDirs)

get_property (panda_objects GLOBAL PROPERTY PANDA_OBJECT_LIBRARIES)
add_library (panda_static STATIC)
add_library (panda_shared SHARED)
foreach (lib panda_static panda_shared)
    target_link_libraries (${lib} PRIVATE ${panda_objects})
    set_target_properties (${lib} PROPERTIES OUTPUT_NAME panda ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib
                                             LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
endforeach ()
# libpanda.so.0 -> libpanda.so.0.1.0: the soname changes with the major version.
set_target_properties (panda_shared PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
if (NOT PANDA_SANITIZER AND NOT PANDA_FUZZ)
    target_link_options (panda_shared PRIVATE -Wl,--no-undefined) # every dependency is named
endif ()
include (${PROJECT_SOURCE_DIR}/cmake/PandaExports.cmake)
target_link_options (panda_shared PRIVATE -Wl,--version-script=${panda_export_map})
set_property (TARGET panda_shared APPEND PROPERTY LINK_DEPENDS ${panda_export_map})

install (TARGETS pandad panda RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install (TARGETS panda_static panda_shared ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
         LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install (DIRECTORY ${PROJECT_SOURCE_DIR}/include/panda DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
         FILES_MATCHING PATTERN "*.h")

# panda.pc: ${pcfiledir} makes it right under any --prefix.
file (RELATIVE_PATH PANDA_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file (${PROJECT_SOURCE_DIR}/packaging/panda.pc.in ${PROJECT_BINARY_DIR}/panda.pc @ONLY)
install (FILES ${PROJECT_BINARY_DIR}/panda.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages from the programs' own --help, so they never disagree.
set (man_dir ${PROJECT_BINARY_DIR}/man)
foreach (prog pandad panda)
    add_custom_command (OUTPUT ${man_dir}/${prog}.1
                        COMMAND ${CMAKE_COMMAND} -E make_directory ${man_dir}
                        COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/man.sh $<TARGET_FILE:${prog}> ${prog}
                                ${PROJECT_VERSION} > ${man_dir}/${prog}.1
                        DEPENDS ${prog} ${PROJECT_SOURCE_DIR}/scripts/man.sh VERBATIM)
    list (APPEND man_pages ${man_dir}/${prog}.1)
endforeach ()
add_custom_target (man ALL DEPENDS ${man_pages})
install (FILES ${man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The unit names the pandad of the prefix installed to, known only then.
install (CODE "
    set (bindir \"${CMAKE_INSTALL_BINDIR}\")
    if (NOT IS_ABSOLUTE \"\${bindir}\")
        set (bindir \"\${CMAKE_INSTALL_PREFIX}/\${bindir}\")
    endif ()
    set (PANDAD \"\${bindir}/pandad\")
    configure_file (\"${PROJECT_SOURCE_DIR}/packaging/pandad.service.in\"
                    \"${PROJECT_BINARY_DIR}/install/pandad.service\" @ONLY)")
install (FILES ${PROJECT_BINARY_DIR}/install/pandad.service DESTINATION lib/systemd/system)
