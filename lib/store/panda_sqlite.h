/*  panda_sqlite.h - what lib's SQLite databases (the store, the views)
    share: running SQL text with a clear error, and migrating tables
    forward one version per transaction. Private to lib/.                  */
#ifndef PANDA_SQLITE_H_INCLUDED
#define PANDA_SQLITE_H_INCLUDED

#include "panda/panda_err.h"

#include <sqlite3.h>

//  Run sql (one or more statements). On failure PANDA_ERR_IO with
//  "<what>: <sql, first 200 bytes>: <SQLite's message>".
PANDA_NODISCARD panda_err_t panda_sqlite_exec (sqlite3 *db, const char *what, const char *sql,
                                               panda_error_t *err);

//  Make the database file at path (and its -wal and -shm files, when they
//  exist) private to this user, creating it empty with mode 0600 if it is
//  missing: SQLite creates 0644 files and gives -wal/-shm the database's
//  mode. URIs and ":memory:" are left alone (SQLite opens them).
PANDA_NODISCARD panda_err_t panda_sqlite_private (const char *path, panda_error_t *err);

//  Called inside the transaction of migration `version` (0-based), after
//  its SQL ran, for steps SQL text cannot do; NULL when none.
typedef panda_err_t (panda_sqlite_migrate_fn) (sqlite3 *db, int version, panda_error_t *err);

//  Bring the database to version count: migrations[v] takes it from
//  version v to v + 1, each in its own transaction together with the new
//  version number, kept in table version_table. A database newer than
//  count is refused ("<what>: database schema version N is newer than this
//  program's (M)"), so an old program never writes a layout it does not
//  know.
PANDA_NODISCARD panda_err_t panda_sqlite_migrate (sqlite3 *db, const char *what, const char *version_table,
                                                  const char *const *migrations, int count,
                                                  panda_sqlite_migrate_fn *after, panda_error_t *err);

#endif
