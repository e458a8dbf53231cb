/*  test_views.c - the views database: layout, resume position, schemas and
    the row cursor of node-api §6.3.6.                                      */
#include "panda_test.h"
#include "panda/panda_hash.h"
#include "panda_scalar.h"
#include "panda_views.h"

#include <unistd.h>

//  aquadoggo's collection_query vector (node-api §6.3.6): the greatest row
//  cursor of the document's "bool" and "data" fields, base58 of its hex.
static void
test_views_row_cursor_vector (void **state)
{
    panda_hash_t doc;
    const char *hex = "00204ca0609fc55756c2aed7045f72b62bedeff7c96e4900b3aa29f7106f4a70baf1";
    assert_int_equal (panda_hash_from_hex (&doc, hex, strlen (hex), NULL), PANDA_OK);
    uint8_t a[32], b[32];
    panda_views_row_cursor (0, "bool", &doc, a);
    panda_views_row_cursor (0, "data", &doc, b);
    char *a_hex = panda_test_hex (a, 32), *b_hex = panda_test_hex (b, 32);
    assert_true (strncmp (a_hex, "46a05a", 6) == 0);
    assert_true (strncmp (b_hex, "eb987e53", 8) == 0);
    char *cursor = panda_base58_encode ((const uint8_t *) b_hex, 64);
    assert_string_equal (
        cursor, "32Zn29gCkVQfdCBqnau1WWu4xVKYjmU5F1SPgoZ3sW6GALcbY22EGxEL2K8aNRPQaxppPGfUjSR41Xg9NyayD613");
    free (cursor), free (a_hex), free (b_hex);
}

static void
test_views_path (void **state)
{
    char *p = panda_views_path ("/data/pandad.sqlite3");
    assert_string_equal (p, "/data/pandad.sqlite3-views");
    free (p);
    p = panda_views_path ("file:/pandad-7?vfs=memdb");
    assert_string_equal (p, "file:/pandad-7-views?vfs=memdb");
    free (p);
}

//  A schema recorded by the writer is found by id and listed, with its
//  fields sorted; a reopened database keeps it and the position.
static void
test_views_schemas_persist (void **state)
{
    char path[] = "/tmp/panda_views_XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    panda_error_t err;
    panda_views_t *views = panda_views_open (path, false, &err);
    assert_non_null (views);
    int64_t id, position;
    assert_int_equal (panda_views_field_id (views, "blob_v1", "pieces", &id, &err), PANDA_OK);
    assert_int_equal (panda_views_field_id (views, "blob_v1", "nope", &id, &err), PANDA_ERR_NOT_FOUND);
    const char *sid = "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a";
    panda_schema_t *schema = panda_schema_new (sid, "chat", "A chat message", &err);
    assert_non_null (schema);
    assert_int_equal (panda_schema_add_field (schema, "message", "str", &err), PANDA_OK);
    assert_int_equal (panda_schema_add_field (schema, "at", "int", &err), PANDA_OK);
    panda_hash_t def;
    panda_hash_compute (&def, "x", 1);
    assert_int_equal (panda_views_begin (views, &err), PANDA_OK);
    assert_int_equal (panda_views_schema_put (views, schema, &def, &err), PANDA_OK);
    assert_int_equal (panda_views_set_position (views, 42, &err), PANDA_OK);
    assert_int_equal (panda_views_commit (views, &err), PANDA_OK);
    panda_schema_destroy (&schema);
    panda_views_destroy (&views);

    views = panda_views_open (path, true, &err);
    assert_non_null (views);
    assert_int_equal (panda_views_position (views, &position, &err), PANDA_OK);
    assert_int_equal (position, 42);
    assert_int_equal (panda_views_schema_find (views, sid, &schema, &err), PANDA_OK);
    assert_non_null (schema);
    assert_string_equal (panda_schema_description (schema), "A chat message");
    assert_int_equal (panda_schema_field_count (schema), 2);
    assert_string_equal (panda_schema_field_name (schema, 0), "at");
    assert_int_equal (panda_schema_field_kind (schema, 1), PANDA_FIELD_STR);
    panda_schema_destroy (&schema);
    assert_int_equal (panda_views_schema_find (views, "other_v1", &schema, &err), PANDA_OK);
    assert_null (schema);
    assert_int_equal (panda_views_field_id (views, sid, "message", &id, &err), PANDA_OK);
    panda_views_destroy (&views);
    unlink (path);
    char side[64];
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_views_row_cursor_vector),
        cmocka_unit_test (test_views_path),
        cmocka_unit_test (test_views_schemas_persist),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
