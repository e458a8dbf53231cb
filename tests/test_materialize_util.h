/*  test_materialize_util.h - fixtures shared by the materialiser tests: a
    real store and views database, publishing signed operations, reading
    back what the materialiser wrote and comparing it with a reference
    view built by panda_document_build.                                    */
#ifndef TEST_MATERIALIZE_UTIL_H_INCLUDED
#define TEST_MATERIALIZE_UTIL_H_INCLUDED

#include "panda_test.h"
#include "panda/panda_document.h"
#include "panda/panda_log_writer.h"
#include "panda_materialize.h"
#include "panda_scalar.h"
#include "panda/panda_view_id.h"

#include <stdio.h>
#include <unistd.h>

#define T_SCHEMAS_MAX 64

typedef struct {
    char store_path[128];
    char *views_path;
    panda_store_t *store;
    panda_views_t *views;
    panda_materializer_t *mat;
    panda_schema_t *known[T_SCHEMAS_MAX]; //  found in views, for publishing
    size_t known_count;
    char *announced[T_SCHEMAS_MAX]; //  on_schema calls
    size_t announced_count;
} t_env_t;

static inline const panda_schema_t *
t_schema_lookup (void *ctx, const char *schema_id)
{
    t_env_t *env = ctx;
    const panda_schema_t *system = panda_schema_system (schema_id);
    if (system)
        return system;
    for (size_t i = 0; i < env->known_count; i++)
        if (strcmp (panda_schema_id (env->known[i]), schema_id) == 0)
            return env->known[i];
    panda_schema_t *schema = NULL;
    assert_int_equal (panda_views_schema_find (env->views, schema_id, &schema, NULL), PANDA_OK);
    if (schema) {
        assert_true (env->known_count < T_SCHEMAS_MAX);
        env->known[env->known_count++] = schema;
    }
    return schema;
}

static inline void
t_on_schema (void *ctx, const char *schema_id)
{
    t_env_t *env = ctx;
    assert_true (env->announced_count < T_SCHEMAS_MAX);
    env->announced[env->announced_count++] = strdup (schema_id);
}

static inline void
t_env_start (t_env_t *env)
{
    panda_error_t err;
    env->store = panda_store_open (env->store_path, &err);
    if (!env->store)
        fail_msg ("store: %s", err.message);
    assert_int_equal (panda_store_set_durable (env->store, false, NULL), PANDA_OK);
    env->views = panda_views_open (env->views_path, false, &err);
    if (!env->views)
        fail_msg ("views: %s", err.message);
    env->mat = panda_materializer_new (env->store, env->views, &err);
    if (!env->mat)
        fail_msg ("materialiser: %s", err.message);
}

//  A fresh environment: name is a memdb name, or a path under /tmp when
//  on_disk (for restart tests).
static inline void
t_env_open (t_env_t *env, const char *name, bool on_disk)
{
    memset (env, 0, sizeof *env);
    if (on_disk) {
        snprintf (env->store_path, sizeof env->store_path, "/tmp/%s-%d.sqlite3", name, (int) getpid ());
        unlink (env->store_path);
    } else
        snprintf (env->store_path, sizeof env->store_path, "file:/%s?vfs=memdb", name);
    env->views_path = panda_views_path (env->store_path);
    if (on_disk)
        unlink (env->views_path);
    t_env_start (env);
}

static inline void
t_env_stop (t_env_t *env)
{
    panda_materializer_destroy (&env->mat);
    panda_views_destroy (&env->views);
    panda_store_destroy (&env->store);
    for (size_t i = 0; i < env->known_count; i++)
        panda_schema_destroy (&env->known[i]);
    env->known_count = 0;
}

static inline void
t_env_close (t_env_t *env)
{
    t_env_stop (env);
    for (size_t i = 0; i < env->announced_count; i++)
        free (env->announced[i]);
    if (env->store_path[0] == '/') {
        const char *suffix[] = {"", "-wal", "-shm"};
        char path[256];
        for (int i = 0; i < 3; i++) {
            snprintf (path, sizeof path, "%s%s", env->store_path, suffix[i]);
            unlink (path);
            snprintf (path, sizeof path, "%s%s", env->views_path, suffix[i]);
            unlink (path);
        }
    }
    free (env->views_path);
}

//  Materialise everything, batch entries per run; returns entries done.
static inline size_t
t_run_all (t_env_t *env, size_t batch)
{
    size_t total = 0, done = 0;
    do {
        panda_error_t err;
        if (panda_materializer_run (env->mat, batch, &done, t_on_schema, env, &err) != PANDA_OK)
            fail_msg ("run: %s", err.message);
        total += done;
    } while (done > 0);
    return total;
}

static inline void
t_publish (t_env_t *env, const panda_entry_t *entry, panda_operation_t *op)
{
    panda_entry_args_t next;
    panda_error_t err;
    if (panda_store_publish (env->store, entry, op, t_schema_lookup, env, &next, &err) != PANDA_OK)
        fail_msg ("publish: %s", err.message);
}

//  Publish an entry and operation given in hex.
static inline void
t_publish_hex (t_env_t *env, const char *entry_hex, const char *operation_hex)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (entry_hex, &len);
    panda_entry_t *entry = NULL;
    panda_error_t err;
    if (panda_entry_decode_verified (&entry, bytes, len, &err) != PANDA_OK)
        fail_msg ("entry: %s", err.message);
    free (bytes);
    bytes = panda_test_unhex (operation_hex, &len);
    panda_operation_t *op = panda_operation_decode (bytes, len, &err);
    if (!op)
        fail_msg ("operation: %s", err.message);
    free (bytes);
    t_publish (env, entry, op);
    panda_operation_destroy (&op);
    panda_entry_destroy (&entry);
}

//  Sign op with writer, publish it; *id gets its operation id.
static inline void
t_publish_op (t_env_t *env, panda_log_writer_t *writer, panda_operation_t *op, panda_hash_t *id)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_error_t err;
    panda_entry_t *entry = panda_log_writer_sign (writer, bytes, len, &err);
    if (!entry)
        fail_msg ("sign: %s", err.message);
    if (id)
        *id = *panda_entry_hash (entry);
    t_publish (env, entry, op);
    panda_entry_destroy (&entry);
}

//  A new operation (fails the test on error). previous: count ids.
static inline panda_operation_t *
t_op (panda_action_t action, const char *schema_id, const panda_hash_t *previous, size_t count)
{
    panda_error_t err;
    panda_operation_t *op = panda_operation_new (action, schema_id, previous, count, &err);
    if (!op)
        fail_msg ("operation: %s", err.message);
    return op;
}

static inline void
t_set_str (panda_operation_t *op, const char *name, const char *text)
{
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, text, strlen (text)), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, name, &value, NULL), PANDA_OK);
    panda_value_clear (&value);
}

static inline void
t_set_pinned_list (panda_operation_t *op, const char *name, const panda_hash_t *ids, size_t count)
{
    panda_value_t value;
    panda_value_set_hash_list_list (&value);
    for (size_t i = 0; i < count; i++)
        assert_int_equal (panda_value_append_list (&value, &ids[i], 1), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, name, &value, NULL), PANDA_OK);
    panda_value_clear (&value);
}

//  --------------------------------------------------------------------------
//  Reading back

static inline sqlite3_stmt *
t_query (t_env_t *env, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (panda_views_db (env->views), sql, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (panda_views_db (env->views)));
    return stmt;
}

static inline int64_t
t_count (t_env_t *env, const char *sql)
{
    sqlite3_stmt *stmt = t_query (env, sql);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return n;
}

//  Current view id of a document (caller frees; NULL when deleted), its
//  deleted flag; false if the document has no row.
static inline bool
t_current (t_env_t *env, const panda_hash_t *document_id, char **view_id, bool *deleted)
{
    sqlite3_stmt *stmt = t_query (env, "SELECT v.view_id, d.deleted FROM documents d"
                                       " LEFT JOIN views v ON v.id = d.view WHERE d.document_id = ?1");
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    *view_id = found && sqlite3_column_type (stmt, 0) != SQLITE_NULL
                   ? strdup ((const char *) sqlite3_column_text (stmt, 0))
                   : NULL;
    *deleted = found && sqlite3_column_int (stmt, 1);
    sqlite3_finalize (stmt);
    return found;
}

static inline bool
t_view_stored (t_env_t *env, const char *view_id)
{
    sqlite3_stmt *stmt = t_query (env, "SELECT 1 FROM views WHERE view_id = ?1");
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_finalize (stmt);
    return found;
}

//  The text value of field name (item 0) in view view_id, caller frees.
static inline char *
t_text (t_env_t *env, const char *view_id, const char *name, panda_hash_t *writer)
{
    sqlite3_stmt *stmt = t_query (env, "SELECT f.value, f.writer FROM fields f JOIN views v ON v.id = f.view"
                                       " JOIN schema_fields s ON s.id = f.field"
                                       " WHERE v.view_id = ?1 AND s.name = ?2 AND f.idx = 0");
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    char *text = strdup ((const char *) sqlite3_column_text (stmt, 0));
    if (writer)
        memcpy (writer->bytes, sqlite3_column_blob (stmt, 1), PANDA_HASH_SIZE);
    sqlite3_finalize (stmt);
    return text;
}

//  Compare one stored row value with item idx of value (typed as stored).
static inline void
t_check_item (sqlite3_stmt *row, const char *type, const panda_value_t *value, size_t idx)
{
    panda_field_kind_t kind;
    size_t off, len;
    assert_int_equal (panda_field_type_parse (type, strlen (type), &kind, &off, &len, NULL), PANDA_OK);
    int col = sqlite3_column_type (row, 1);
    switch (kind) {
        case PANDA_FIELD_BOOL:
        case PANDA_FIELD_INT:
            assert_int_equal (col, SQLITE_INTEGER);
            assert_int_equal (sqlite3_column_int64 (row, 1),
                              kind == PANDA_FIELD_BOOL ? (int64_t) value->as.boolean : value->as.integer);
            break;
        case PANDA_FIELD_FLOAT:
            assert_int_equal (col, SQLITE_FLOAT);
            assert_true (sqlite3_column_double (row, 1) == value->as.real);
            break;
        case PANDA_FIELD_STR:
            assert_int_equal (col, SQLITE_TEXT);
            assert_string_equal ((const char *) sqlite3_column_text (row, 1),
                                 (const char *) value->as.bytes.data);
            break;
        case PANDA_FIELD_BYTES:
        case PANDA_FIELD_RELATION:
            assert_int_equal (col, SQLITE_BLOB);
            assert_int_equal (sqlite3_column_bytes (row, 1), value->as.bytes.len);
            assert_memory_equal (sqlite3_column_blob (row, 1), value->as.bytes.data, value->as.bytes.len);
            break;
        case PANDA_FIELD_RELATION_LIST:
            if (value->as.list.count == 0)
                return assert_int_equal (col, SQLITE_NULL);
            assert_int_equal (col, SQLITE_BLOB);
            assert_memory_equal (sqlite3_column_blob (row, 1), value->as.list.items[idx].bytes,
                                 PANDA_HASH_SIZE);
            break;
        case PANDA_FIELD_PINNED_RELATION:
        case PANDA_FIELD_PINNED_RELATION_LIST: {
            if (kind == PANDA_FIELD_PINNED_RELATION_LIST &&
                (value->kind != PANDA_VALUE_HASH_LIST_LIST || value->as.lists.count == 0))
                return assert_int_equal (col, SQLITE_NULL);
            const panda_hash_list_t *ids =
                kind == PANDA_FIELD_PINNED_RELATION ? &value->as.list : &value->as.lists.lists[idx];
            char *text = panda_view_id_to_string_new (ids->items, ids->count);
            assert_int_equal (col, SQLITE_TEXT);
            assert_string_equal ((const char *) sqlite3_column_text (row, 1), text);
            free (text);
            break;
        }
    }
}

static inline size_t
t_items (const panda_value_t *value)
{
    if (value->kind == PANDA_VALUE_HASH_LIST_LIST)
        return value->as.lists.count ? value->as.lists.count : 1;
    return 1; //  relation lists are checked by row count below
}

//  The stored view view_id has exactly the fields, values, writers and
//  cursors of the reference view.
static inline void
t_check_view (t_env_t *env, const char *view_id, const panda_document_view_t *view)
{
    sqlite3_stmt *stmt =
        t_query (env, "SELECT s.name, f.value, f.writer, f.idx, s.type, f.cursor FROM fields f"
                      " JOIN views v ON v.id = f.view JOIN schema_fields s ON s.id = f.field"
                      " WHERE v.view_id = ?1 ORDER BY s.name, f.idx");
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    size_t field = 0, idx = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        assert_true (field < panda_document_view_field_count (view));
        const char *name = panda_document_view_field_name (view, field);
        const panda_value_t *value = panda_document_view_field_value (view, field);
        const panda_hash_t *writer = panda_document_view_field_writer (view, field);
        assert_string_equal ((const char *) sqlite3_column_text (stmt, 0), name);
        assert_int_equal (sqlite3_column_int64 (stmt, 3), idx);
        assert_memory_equal (sqlite3_column_blob (stmt, 2), writer->bytes, PANDA_HASH_SIZE);
        uint8_t cursor[32];
        panda_views_row_cursor (idx, name, writer, cursor);
        assert_memory_equal (sqlite3_column_blob (stmt, 5), cursor, 32);
        t_check_item (stmt, (const char *) sqlite3_column_text (stmt, 4), value, idx);
        size_t items =
            value->kind == PANDA_VALUE_HASH_LIST &&
                    strncmp ((const char *) sqlite3_column_text (stmt, 4), "relation_list", 13) == 0
                ? (value->as.list.count ? value->as.list.count : 1)
                : t_items (value);
        if (++idx == items) {
            field++;
            idx = 0;
        }
    }
    sqlite3_finalize (stmt);
    assert_int_equal (field, panda_document_view_field_count (view));
}

//  --------------------------------------------------------------------------
//  Reference: panda_document_build over a document's stored operations

typedef struct {
    panda_operation_t **ops;
    panda_hash_t *ids;
    int64_t *positions;
    size_t count;
    panda_document_builder_t *builder;
} t_ref_t;

static inline panda_err_t
t_ref_add (void *ctx, const panda_hash_t *id, int64_t position, const uint8_t *bytes, size_t len)
{
    t_ref_t *ref = ctx;
    ref->ops = realloc (ref->ops, (ref->count + 1) * sizeof (*ref->ops));
    ref->ids = realloc (ref->ids, (ref->count + 1) * sizeof (*ref->ids));
    ref->positions = realloc (ref->positions, (ref->count + 1) * sizeof (*ref->positions));
    ref->ops[ref->count] = panda_operation_decode (bytes, len, NULL);
    assert_non_null (ref->ops[ref->count]);
    ref->ids[ref->count] = *id;
    ref->positions[ref->count++] = position;
    return PANDA_OK;
}

static inline void
t_ref_fini (t_ref_t *ref)
{
    panda_document_builder_destroy (&ref->builder);
    for (size_t i = 0; i < ref->count; i++)
        panda_operation_destroy (&ref->ops[i]);
    free (ref->ops), free (ref->ids), free (ref->positions);
    memset (ref, 0, sizeof *ref);
}

//  Build document_id from its operations at positions <= until; NULL if
//  that build fails. The view borrows from ref.
static inline panda_document_view_t *
t_ref_build (t_env_t *env, const panda_hash_t *document_id, int64_t until, t_ref_t *ref)
{
    t_ref_fini (ref);
    assert_int_equal (panda_store_document_operations (env->store, document_id, t_ref_add, ref, NULL),
                      PANDA_OK);
    ref->builder = panda_document_builder_new ();
    for (size_t i = 0; i < ref->count; i++)
        if (ref->positions[i] <= until)
            assert_int_equal (panda_document_builder_add (ref->builder, &ref->ids[i], ref->ops[i], NULL),
                              PANDA_OK);
    panda_document_view_t *view = NULL;
    panda_error_t err;
    if (panda_document_build (ref->builder, &view, &err) != PANDA_OK)
        return NULL;
    return view;
}

//  What the views must hold for document_id after materialising up to
//  position until: the last of its operation prefixes that builds.
static inline panda_document_view_t *
t_expected (t_env_t *env, const panda_hash_t *document_id, int64_t until, t_ref_t *ref)
{
    t_ref_t probe = {0};
    assert_int_equal (panda_store_document_operations (env->store, document_id, t_ref_add, &probe, NULL),
                      PANDA_OK);
    int64_t *positions = malloc (probe.count * sizeof (int64_t));
    size_t n = 0;
    for (size_t i = 0; i < probe.count; i++)
        if (probe.positions[i] <= until)
            positions[n++] = probe.positions[i];
    t_ref_fini (&probe);
    panda_document_view_t *view = NULL;
    while (!view && n > 0)
        view = t_ref_build (env, document_id, positions[--n], ref);
    free (positions);
    return view;
}

//  The current state of document_id in the views equals t_expected.
static inline void
t_check_document (t_env_t *env, const panda_hash_t *document_id, int64_t until)
{
    t_ref_t ref = {0};
    panda_document_view_t *view = t_expected (env, document_id, until, &ref);
    char *view_id = NULL;
    bool deleted = false;
    if (!view) {
        assert_false (t_current (env, document_id, &view_id, &deleted));
        t_ref_fini (&ref);
        return;
    }
    assert_true (t_current (env, document_id, &view_id, &deleted));
    assert_int_equal (deleted, panda_document_view_deleted (view));
    if (deleted)
        assert_null (view_id);
    else {
        assert_non_null (view_id);
        assert_string_equal (view_id, panda_document_view_id_str (view));
        t_check_view (env, view_id, view);
    }
    free (view_id);
    panda_document_view_destroy (&view);
    t_ref_fini (&ref);
}

//  Every document the store holds, checked as above, up to the views'
//  position.
static inline void
t_check_all (t_env_t *env)
{
    int64_t position = 0;
    assert_int_equal (panda_views_position (env->views, &position, NULL), PANDA_OK);
    sqlite3_stmt *stmt = t_query (env, "SELECT document_id FROM documents");
    size_t n = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        panda_hash_t id;
        memcpy (id.bytes, sqlite3_column_blob (stmt, 0), PANDA_HASH_SIZE);
        t_check_document (env, &id, position);
        n++;
    }
    sqlite3_finalize (stmt);
    panda_store_counts_t counts;
    assert_int_equal (panda_store_counts (env->store, &counts, NULL), PANDA_OK);
    if (position == counts.entries)
        assert_int_equal (n, counts.documents);
}

#endif
