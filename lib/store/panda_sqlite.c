/*  panda_sqlite.c - SQL text and migrations shared by lib's databases.
    See panda_sqlite.h.                                                    */
#include "panda_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

panda_err_t
panda_sqlite_private (const char *path, panda_error_t *err)
{
    if (strncmp (path, "file:", 5) == 0 || strcmp (path, ":memory:") == 0 || !*path)
        return PANDA_OK;
    int fd = open (path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return panda_error_set (err, PANDA_ERR_IO, "cannot create %s: %s", path, strerror (errno));
    //  An older pandad made them 0644: tighten what is there.
    int rc = fchmod (fd, 0600);
    close (fd);
    if (rc != 0)
        return panda_error_set (err, PANDA_ERR_IO, "cannot chmod %s: %s", path, strerror (errno));
    static const char *const suffixes[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        char side[4096];
        if (snprintf (side, sizeof side, "%s%s", path, suffixes[i]) < (int) sizeof side &&
            chmod (side, 0600) && errno != ENOENT)
            return panda_error_set (err, PANDA_ERR_IO, "cannot chmod %s: %s", side, strerror (errno));
    }
    return PANDA_OK;
}

panda_err_t
panda_sqlite_exec (sqlite3 *db, const char *what, const char *sql, panda_error_t *err)
{
    char *message = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &message) == SQLITE_OK)
        return PANDA_OK;
    panda_err_t rc =
        panda_error_set (err, PANDA_ERR_IO, "%s: %.200s: %s", what, sql, message ? message : "failed");
    sqlite3_free (message);
    return rc;
}

//  The recorded version (0 for a new database).
static panda_err_t
s_version (sqlite3 *db, const char *what, const char *table, int *version, panda_error_t *err)
{
    char sql[128];
    snprintf (sql, sizeof sql, "SELECT version FROM %s", table);
    sqlite3_stmt *stmt = NULL;
    *version = 0;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return panda_error_set (err, PANDA_ERR_IO, "%s: read version: %s", what, sqlite3_errmsg (db));
    return PANDA_OK;
}

panda_err_t
panda_sqlite_migrate (sqlite3 *db, const char *what, const char *version_table, const char *const *migrations,
                      int count, panda_sqlite_migrate_fn *after, panda_error_t *err)
{
    char sql[256];
    snprintf (sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s (version INTEGER NOT NULL)", version_table);
    int version = 0;
    panda_err_t rc = panda_sqlite_exec (db, what, sql, err);
    if (rc == PANDA_OK)
        rc = s_version (db, what, version_table, &version, err);
    if (rc != PANDA_OK)
        return rc;
    if (version > count)
        return panda_error_set (err, PANDA_ERR_IO,
                                "%s: database schema version %d is newer than this program's (%d)", what,
                                version, count);
    for (; version < count; version++) {
        snprintf (sql, sizeof sql, "DELETE FROM %s; INSERT INTO %s VALUES (%d)", version_table, version_table,
                  version + 1);
        rc = panda_sqlite_exec (db, what, "BEGIN IMMEDIATE", err);
        if (rc == PANDA_OK)
            rc = panda_sqlite_exec (db, what, migrations[version], err);
        if (rc == PANDA_OK && after)
            rc = after (db, version, err);
        if (rc == PANDA_OK)
            rc = panda_sqlite_exec (db, what, sql, err);
        if (rc == PANDA_OK)
            rc = panda_sqlite_exec (db, what, "COMMIT", err);
        if (rc != PANDA_OK) {
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return PANDA_OK;
}
