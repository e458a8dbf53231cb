# Sanitizer switch (cf. nng's CheckSanitizer.cmake).
function (panda_setup_sanitizer which)
    if (which STREQUAL "")
        return ()
    endif ()
    string (REPLACE "+" "," list "${which}")
    set (flags "-fsanitize=${list} -fno-omit-frame-pointer -fno-sanitize-recover=all")
    set (CMAKE_C_FLAGS "${CMAKE_C_FLAGS} ${flags}" PARENT_SCOPE)
    set (CMAKE_EXE_LINKER_FLAGS "${CMAKE_EXE_LINKER_FLAGS} ${flags}" PARENT_SCOPE)
    set (CMAKE_SHARED_LINKER_FLAGS "${CMAKE_SHARED_LINKER_FLAGS} ${flags}" PARENT_SCOPE)
endfunction ()

# panda_test (name SOURCES...): a cmocka test executable registered with ctest.
function (panda_test name)
    add_executable (${name} ${ARGN})
    target_compile_options (${name} PRIVATE ${PANDA_WARNINGS})
    target_include_directories (${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_definitions (${name} PRIVATE
        PANDA_TEST_VECTORS="${PROJECT_SOURCE_DIR}/tests/vectors"
        PANDA_TEST_BIN="${PROJECT_BINARY_DIR}/bin")
    target_link_libraries (${name} PRIVATE panda_node PkgConfig::CMOCKA)
    add_test (NAME ${name} COMMAND ${name})
    set_tests_properties (${name} PROPERTIES TIMEOUT 300)
endfunction ()
