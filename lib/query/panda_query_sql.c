/*  panda_query_sql.c - SQL text with typed parameters: the queries of
    panda_query*.c are built as text plus binds, then prepared. See
    panda_query_int.h.                                                       */
#include "panda_grow.h"
#include "panda_query_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
//  SQL text with typed parameters

void
panda_query_sql_init (panda_query_sql_t *self)
{
    memset (self, 0, sizeof *self);
}

void
panda_query_sql_release (panda_query_sql_t *self)
{
    for (size_t i = 0; i < self->nbinds; i++)
        free (self->binds[i].p);
    free (self->binds);
    free (self->text);
    memset (self, 0, sizeof *self);
}

void
panda_query_sql_add (panda_query_sql_t *self, const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (NULL, 0, format, ap);
    va_end (ap);
    if (n < 0 || self->oom)
        return;
    if (!panda_grow ((void **) &self->text, &self->cap, self->len + (size_t) n + 1, 1)) {
        self->oom = true;
        return;
    }
    va_start (ap, format);
    vsnprintf (self->text + self->len, (size_t) n + 1, format, ap);
    va_end (ap);
    self->len += (size_t) n;
}

static panda_query_bind_t *
s_bind_new (panda_query_sql_t *self, int type)
{
    if (self->oom)
        return NULL;
    if (!panda_grow ((void **) &self->binds, &self->capbinds, self->nbinds + 1, sizeof *self->binds)) {
        self->oom = true;
        return NULL;
    }
    panda_query_bind_t *b = &self->binds[self->nbinds++];
    memset (b, 0, sizeof *b);
    b->type = type;
    panda_query_sql_add (self, "?%zu", self->nbinds);
    return b;
}

void
panda_query_sql_int (panda_query_sql_t *self, int64_t value)
{
    panda_query_bind_t *b = s_bind_new (self, SQLITE_INTEGER);
    if (b)
        b->i = value;
}

void
panda_query_sql_real (panda_query_sql_t *self, double value)
{
    panda_query_bind_t *b = s_bind_new (self, SQLITE_FLOAT);
    if (b)
        b->d = value;
}

static void
s_bind_bytes (panda_query_sql_t *self, int type, const uint8_t *bytes, size_t len)
{
    panda_query_bind_t *b = s_bind_new (self, type);
    if (!b)
        return;
    b->p = malloc (len ? len : 1);
    if (!b->p) {
        self->oom = true;
        return;
    }
    if (len)
        memcpy (b->p, bytes, len);
    b->len = len;
}

void
panda_query_sql_text (panda_query_sql_t *self, const char *text, size_t len)
{
    s_bind_bytes (self, SQLITE_TEXT, (const uint8_t *) text, len);
}

void
panda_query_sql_blob (panda_query_sql_t *self, const uint8_t *bytes, size_t len)
{
    s_bind_bytes (self, SQLITE_BLOB, bytes, len);
}

void
panda_query_sql_value (panda_query_sql_t *self, sqlite3_value *value)
{
    int type = sqlite3_value_type (value);
    if (type == SQLITE_INTEGER)
        panda_query_sql_int (self, sqlite3_value_int64 (value));
    else if (type == SQLITE_FLOAT)
        panda_query_sql_real (self, sqlite3_value_double (value));
    else if (type == SQLITE_TEXT)
        panda_query_sql_text (self, (const char *) sqlite3_value_text (value),
                              (size_t) sqlite3_value_bytes (value));
    else if (type == SQLITE_BLOB)
        panda_query_sql_blob (self, sqlite3_value_blob (value), (size_t) sqlite3_value_bytes (value));
    else
        s_bind_new (self, SQLITE_NULL);
}

void
panda_query_sql_binds_from (panda_query_sql_t *self, const panda_query_sql_t *other)
{
    for (size_t i = 0; i < other->nbinds && !self->oom; i++) {
        const panda_query_bind_t *b = &other->binds[i];
        size_t len = self->len;
        if (b->type == SQLITE_INTEGER)
            panda_query_sql_int (self, b->i);
        else if (b->type == SQLITE_FLOAT)
            panda_query_sql_real (self, b->d);
        else if (b->type == SQLITE_NULL)
            s_bind_new (self, SQLITE_NULL);
        else
            s_bind_bytes (self, b->type, b->p, b->len);
        //  Only the parameter is wanted, not its "?N" text.
        if (!self->oom) {
            self->len = len;
            self->text[len] = 0;
        }
    }
}

sqlite3_stmt *
panda_query_sql_prepare (sqlite3 *db, panda_query_sql_t *self, panda_error_t *err)
{
    if (self->oom) {
        panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
        return NULL;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, self->text, (int) self->len, &stmt, NULL) != SQLITE_OK) {
        panda_error_set (err, PANDA_ERR_IO, "query: prepare: %s", sqlite3_errmsg (db));
        return NULL;
    }
    for (size_t i = 0; i < self->nbinds; i++) {
        const panda_query_bind_t *b = &self->binds[i];
        int at = (int) i + 1;
        if (b->type == SQLITE_INTEGER)
            sqlite3_bind_int64 (stmt, at, b->i);
        else if (b->type == SQLITE_FLOAT)
            sqlite3_bind_double (stmt, at, b->d);
        else if (b->type == SQLITE_TEXT)
            sqlite3_bind_text (stmt, at, (const char *) b->p, (int) b->len, SQLITE_TRANSIENT);
        else if (b->type == SQLITE_BLOB)
            sqlite3_bind_blob (stmt, at, b->p, (int) b->len, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null (stmt, at);
    }
    return stmt;
}
