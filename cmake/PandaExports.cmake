# libpanda.so exports the public API only: the functions declared in
# include/panda/*.h. Everything else of lib/ and actors/ stays inside the
# library (a version script with "local: *"), so an embedder cannot come to
# depend on it and the dynamic symbol table stays small.
file (GLOB panda_public_headers ${PROJECT_SOURCE_DIR}/include/panda/*.h)
set (panda_exports "")
foreach (header ${panda_public_headers})
    file (READ ${header} text)
    # "panda_name (" at a declaration: a return type, then the name.
    string (REGEX MATCHALL "[a-z_0-9*]+ \\**panda_[a-z0-9_]+ \\(" found "${text}")
    foreach (hit ${found})
        string (REGEX MATCH "panda_[a-z0-9_]+ \\($" name "${hit}")
        string (REGEX REPLACE " \\($" "" name "${name}")
        if (NOT name MATCHES "_t$") # a type's name, not a function
            list (APPEND panda_exports ${name})
        endif ()
    endforeach ()
endforeach ()
list (REMOVE_DUPLICATES panda_exports)
list (SORT panda_exports)
list (JOIN panda_exports ";\n        " panda_export_list)
set (panda_export_map ${PROJECT_BINARY_DIR}/libpanda.map)
file (WRITE ${panda_export_map}.new "# made by cmake/PandaExports.cmake from include/panda/*.h\n"
                                    "PANDA_${PROJECT_VERSION_MAJOR} {\n    global:\n        ${panda_export_list};\n"
                                    "    local:\n        *;\n};\n")
configure_file (${panda_export_map}.new ${panda_export_map} COPYONLY)
set_property (DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${panda_public_headers})
