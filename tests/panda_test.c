/*  panda_test.c - shared helpers for the unit tests. See panda_test.h.     */
#include "panda_test.h"
#include "panda/panda_hex.h"

#include <stdio.h>
#include <sys/wait.h>

json_t *
panda_test_vectors (const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", PANDA_TEST_VECTORS, name);
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    if (!root)
        fail_msg ("cannot load %s: %s (line %d)", path, error.text, error.line);
    return root;
}

uint8_t *
panda_test_unhex (const char *hex, size_t *len)
{
    uint8_t *bytes;
    panda_error_t err;
    if (panda_hex_decode (hex, strlen (hex), &bytes, len, &err))
        fail_msg ("bad hex (%s): %s", err.message, hex);
    return bytes;
}

char *
panda_test_hex (const uint8_t *bytes, size_t len)
{
    char *hex = panda_hex_encode (bytes, len);
    assert_non_null (hex);
    return hex;
}

void
panda_test_random_bytes (uint64_t *state, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        buf[i] = (uint8_t) (x >> 24);
    }
}

int
panda_test_run (const char *command, char **out)
{
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return -1;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc (cap + 1);
    assert_non_null (buf);
    size_t got;
    while (len < cap && (got = fread (buf + len, 1, cap - len, pipe)) > 0)
        len += got;
    buf[len] = '\0';
    int status = pclose (pipe);
    if (out)
        *out = buf;
    else
        free (buf);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

const char *
panda_test_bin (const char *program)
{
    static char path[1024];
    snprintf (path, sizeof path, "%s/%s", PANDA_TEST_BIN, program);
    return path;
}

panda_hash_t *
panda_test_hashes (json_t *array, size_t *count)
{
    *count = json_array_size (array);
    panda_hash_t *hashes = calloc (*count + 1, sizeof (panda_hash_t));
    assert_non_null (hashes);
    for (size_t i = 0; i < *count; i++) {
        const char *hex = json_string_value (json_array_get (array, i));
        assert_int_equal (panda_hash_from_hex (&hashes[i], hex, strlen (hex), NULL), PANDA_OK);
    }
    return hashes;
}

panda_schema_t *
panda_test_vector_schema (json_t *root, size_t which)
{
    json_t *field_defs = json_object_get (root, "field_definitions");
    size_t pool_count = json_array_size (field_defs);
    panda_schema_field_def_t pool[16];
    panda_hash_t pool_ids[16];
    assert_true (pool_count <= 16);
    for (size_t i = 0; i < pool_count; i++) {
        json_t *fd = json_array_get (field_defs, i);
        const char *hex = json_string_value (json_object_get (fd, "operation_id"));
        assert_int_equal (panda_hash_from_hex (&pool_ids[i], hex, strlen (hex), NULL), PANDA_OK);
        json_t *fields = json_object_get (json_object_get (fd, "operation"), "fields");
        pool[i] = (panda_schema_field_def_t){
            &pool_ids[i], 1, json_string_value (json_object_get (json_object_get (fields, "name"), "value")),
            json_string_value (json_object_get (json_object_get (fields, "type"), "value"))};
    }
    json_t *sd = json_array_get (json_object_get (root, "schema_definitions"), which);
    json_t *fields = json_object_get (json_object_get (sd, "operation"), "fields");
    json_t *lists = json_object_get (json_object_get (fields, "fields"), "value");
    size_t count = json_array_size (lists);
    panda_hash_list_t *field_ids = calloc (count, sizeof (panda_hash_list_t));
    for (size_t i = 0; i < count; i++)
        field_ids[i].items = panda_test_hashes (json_array_get (lists, i), &field_ids[i].count);
    panda_hash_t view_id;
    const char *hex = json_string_value (json_object_get (sd, "schema_definition_view_id"));
    assert_int_equal (panda_hash_from_hex (&view_id, hex, strlen (hex), NULL), PANDA_OK);
    panda_schema_def_t def = {
        &view_id,
        1,
        json_string_value (json_object_get (json_object_get (fields, "name"), "value")),
        json_string_value (json_object_get (json_object_get (fields, "description"), "value")),
        field_ids,
        count};
    panda_error_t err;
    panda_schema_t *schema = panda_schema_build (&def, pool, pool_count, &err);
    if (!schema)
        fail_msg ("build failed: %s", err.message);
    for (size_t i = 0; i < count; i++)
        free (field_ids[i].items);
    free (field_ids);
    return schema;
}

panda_operation_t *
panda_test_field_definition_op (panda_action_t action, const panda_hash_t *previous, size_t n_previous,
                                const char *name)
{
    panda_error_t err;
    panda_operation_t *op =
        panda_operation_new (action, "schema_field_definition_v1", previous, n_previous, &err);
    assert_non_null (op);
    panda_value_t value;
    if (action != PANDA_ACTION_DELETE) {
        assert_int_equal (panda_value_set_str (&value, name, strlen (name)), PANDA_OK);
        assert_int_equal (panda_operation_set_field (op, "name", &value, &err), PANDA_OK);
        panda_value_clear (&value);
    }
    if (action == PANDA_ACTION_CREATE) {
        assert_int_equal (panda_value_set_str (&value, "str", 3), PANDA_OK);
        assert_int_equal (panda_operation_set_field (op, "type", &value, &err), PANDA_OK);
        panda_value_clear (&value);
    }
    return op;
}

panda_operation_t *
panda_test_field_definition (const panda_hash_t *previous, const char *name)
{
    return panda_test_field_definition_op (previous ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE, previous,
                                           previous ? 1 : 0, name);
}
