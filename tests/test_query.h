/*  test_query.h - fills a views database with direct SQL that follows the
    layout of panda_views.h, for the query tests and the bench (the
    materialiser is not needed). Static functions: include it once.        */
#ifndef TEST_QUERY_H_INCLUDED
#define TEST_QUERY_H_INCLUDED

#include "panda/panda_hash.h"
#include "panda/panda_hex.h"
#include "panda_query.h"
#include "panda_scalar.h"
#include "panda/panda_schema.h"
#include "panda_views.h"

#include <assert.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TQ_FN static __attribute__ ((unused))

typedef struct {
    char path[64];
    panda_views_t *views;
    sqlite3 *db;
    sqlite3_stmt *field_stmt;
} tq_db_t;

TQ_FN void
tq_exec (tq_db_t *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "tq: %s: %s\n", sql, msg);
        abort ();
    }
}

//  A new views database in a temporary file (removed by tq_close).
TQ_FN void
tq_open (tq_db_t *db)
{
    memset (db, 0, sizeof *db);
    snprintf (db->path, sizeof db->path, "/tmp/panda_query_XXXXXX");
    int fd = mkstemp (db->path);
    assert (fd >= 0);
    close (fd);
    panda_error_t err;
    db->views = panda_views_open (db->path, false, &err);
    assert (db->views);
    db->db = panda_views_db (db->views);
}

TQ_FN void
tq_close (tq_db_t *db)
{
    sqlite3_finalize (db->field_stmt);
    panda_views_destroy (&db->views);
    unlink (db->path);
    char side[80];
    snprintf (side, sizeof side, "%s-wal", db->path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", db->path);
    unlink (side);
}

//  Record an application schema: fields as "name", "type", ..., NULL.
TQ_FN panda_schema_t *
tq_schema (tq_db_t *db, const char *id, const char *name, ...)
{
    panda_error_t err;
    panda_schema_t *schema = panda_schema_new (id, name, "test schema", &err);
    assert (schema);
    va_list ap;
    va_start (ap, name);
    const char *field;
    while ((field = va_arg (ap, const char *)) != NULL) {
        const char *type = va_arg (ap, const char *);
        panda_err_t rc = panda_schema_add_field (schema, field, type, &err);
        assert (rc == PANDA_OK);
        (void) rc;
    }
    va_end (ap);
    panda_hash_t definition;
    panda_hash_compute (&definition, id, strlen (id));
    panda_err_t rc = panda_views_schema_put (db->views, schema, &definition, &err);
    assert (rc == PANDA_OK);
    (void) rc;
    return schema;
}

TQ_FN void
tq_hash (panda_hash_t *h, const char *hex)
{
    panda_error_t err;
    panda_err_t rc = panda_hash_from_hex (h, hex, strlen (hex), &err);
    assert (rc == PANDA_OK);
    (void) rc;
}

//  A deterministic document / operation id: "0020" + BLAKE3 of the text.
TQ_FN const char *
tq_id (const char *seed, char out[PANDA_HASH_HEX_SIZE + 1])
{
    panda_hash_t h;
    panda_hash_compute (&h, seed, strlen (seed));
    return panda_hash_to_hex (&h, out);
}

TQ_FN void
tq_bind_value (sqlite3_stmt *stmt, int at, panda_field_kind_t kind, json_t *v)
{
    switch (kind) {
        case PANDA_FIELD_BOOL: sqlite3_bind_int (stmt, at, json_is_true (v)); break;
        case PANDA_FIELD_INT: sqlite3_bind_int64 (stmt, at, json_integer_value (v)); break;
        case PANDA_FIELD_FLOAT: sqlite3_bind_double (stmt, at, json_number_value (v)); break;
        case PANDA_FIELD_STR:
        case PANDA_FIELD_PINNED_RELATION:
        case PANDA_FIELD_PINNED_RELATION_LIST:
            sqlite3_bind_text (stmt, at, json_string_value (v), (int) json_string_length (v),
                               SQLITE_TRANSIENT);
            break;
        default: {
            uint8_t *bytes = NULL;
            size_t len = 0;
            panda_error_t err;
            panda_err_t rc =
                panda_hex_decode (json_string_value (v), json_string_length (v), &bytes, &len, &err);
            assert (rc == PANDA_OK);
            (void) rc;
            sqlite3_bind_blob (stmt, at, bytes ? bytes : (const uint8_t *) "", (int) len, SQLITE_TRANSIENT);
            free (bytes);
        }
    }
}

//  Insert one fields row (value NULL for an empty list).
TQ_FN void
tq_field_row (tq_db_t *db, int64_t view, int64_t field, const char *name, size_t idx, panda_field_kind_t kind,
              json_t *v, const panda_hash_t *writer)
{
    if (!db->field_stmt) {
        int rc = sqlite3_prepare_v2 (db->db, "INSERT INTO fields VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
                                     &db->field_stmt, NULL);
        assert (rc == SQLITE_OK);
        (void) rc;
    }
    sqlite3_stmt *stmt = db->field_stmt;
    uint8_t cursor[32];
    panda_views_row_cursor (idx, name, writer, cursor);
    sqlite3_bind_int64 (stmt, 1, view);
    sqlite3_bind_int64 (stmt, 2, field);
    sqlite3_bind_int64 (stmt, 3, (int64_t) idx);
    if (v)
        tq_bind_value (stmt, 4, kind, v);
    else
        sqlite3_bind_null (stmt, 4);
    sqlite3_bind_blob (stmt, 5, writer->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 6, cursor, 32, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    assert (rc == SQLITE_DONE);
    (void) rc;
    sqlite3_reset (stmt);
}

//  A view of document doc (documents.id) with the given field values (JSON
//  object by field name, typed per the schema; lists as arrays), every
//  value written by writer_hex. Returns views.id.
TQ_FN int64_t
tq_view (tq_db_t *db, const panda_schema_t *schema, int64_t doc, const char *view_id, const char *writer_hex,
         const char *values_json)
{
    char sql[512];
    snprintf (sql, sizeof sql, "INSERT INTO views (document, view_id) VALUES (%lld, '%s')", (long long) doc,
              view_id);
    tq_exec (db, sql);
    int64_t view = sqlite3_last_insert_rowid (db->db);
    panda_hash_t writer;
    tq_hash (&writer, writer_hex);
    json_t *values = json_loads (values_json, 0, NULL);
    assert (values);
    for (size_t f = 0; f < panda_schema_field_count (schema); f++) {
        const char *name = panda_schema_field_name (schema, f);
        panda_field_kind_t kind = panda_schema_field_kind (schema, f);
        json_t *v = json_object_get (values, name);
        assert (v);
        int64_t field;
        panda_error_t err;
        panda_err_t rc = panda_views_field_id (db->views, panda_schema_id (schema), name, &field, &err);
        assert (rc == PANDA_OK);
        (void) rc;
        if (json_is_array (v)) {
            for (size_t i = 0; i < json_array_size (v); i++)
                tq_field_row (db, view, field, name, i, kind, json_array_get (v, i), &writer);
            if (json_array_size (v) == 0)
                tq_field_row (db, view, field, name, 0, kind, NULL, &writer);
        } else
            tq_field_row (db, view, field, name, 0, kind, v, &writer);
    }
    json_decref (values);
    return view;
}

static const char *const tq_owner_hex = "2f8e50c2ede6d936ecc3144187ff1c273808185cfbc5ff3d3748d1ff7353fc96";

//  A live document created by one CREATE (id = view id = writer =
//  doc_hex). owner_hex NULL: tq_owner_hex. Returns documents.id.
TQ_FN int64_t
tq_doc (tq_db_t *db, const panda_schema_t *schema, const char *doc_hex, const char *owner_hex,
        const char *values_json)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "INSERT INTO documents (document_id, schema, owner, view) VALUES (x'%s', '%s', x'%s', NULL)",
              doc_hex, panda_schema_id (schema), owner_hex ? owner_hex : tq_owner_hex);
    tq_exec (db, sql);
    int64_t doc = sqlite3_last_insert_rowid (db->db);
    int64_t view = tq_view (db, schema, doc, doc_hex, doc_hex, values_json);
    snprintf (sql, sizeof sql, "UPDATE documents SET view = %lld WHERE id = %lld", (long long) view,
              (long long) doc);
    tq_exec (db, sql);
    return doc;
}

//  Make view the current view of doc (an UPDATE was applied).
TQ_FN void
tq_update (tq_db_t *db, int64_t doc, int64_t view)
{
    char sql[256];
    snprintf (sql, sizeof sql, "UPDATE documents SET view = %lld, edited = 1 WHERE id = %lld",
              (long long) view, (long long) doc);
    tq_exec (db, sql);
}

//  Delete doc: no current view any more.
TQ_FN void
tq_delete (tq_db_t *db, int64_t doc)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "DELETE FROM fields WHERE view IN (SELECT view FROM documents WHERE id = %lld);"
              "DELETE FROM views WHERE id IN (SELECT view FROM documents WHERE id = %lld);"
              "UPDATE documents SET view = NULL, deleted = 1, edited = 1 WHERE id = %lld",
              (long long) doc, (long long) doc, (long long) doc);
    tq_exec (db, sql);
}

#endif
