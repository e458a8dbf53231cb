/*  test_cli_node.c - the `panda` client CLI against a real pandad, run as a
    person or a script would run it: a schema made with `panda document
    create` on the system schemas, documents created, updated, deleted and
    queried back, next-args consistent with the node, a multi-piece blob
    uploaded and downloaded byte for byte, and the errors people hit (key
    file permissions and content, unknown fields, wrong types, node down,
    GraphQL errors).

    What the CLI did is checked through the fixture's own HTTP client, not
    through the CLI: the documents' fields as the node serves them.       */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "test_cli_run.h"

#define MATERIALISE_MS 30000

typedef struct {
    panda_fixture_t *node;
    char dir[64];
    char key[128]; //  the author's key file
    char public_key[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    char url[64];
    char schema_id[256]; //  made by test_cli_documents
    char field_ids[8][PANDA_HASH_HEX_SIZE + 1]; //  its field definition documents
} fixture_t;

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    if (panda_fixture_setup (&f->node, NULL) != 0)
        return -1;
    if (!f->node)
        return 0;
    snprintf (f->url, sizeof f->url, "http://127.0.0.1:%d", panda_fixture_port (f->node));
    snprintf (f->dir, sizeof f->dir, "/tmp/panda_test_cli_XXXXXX");
    if (!mkdtemp (f->dir))
        return -1;
    snprintf (f->key, sizeof f->key, "%s/author.key", f->dir);
    //  Every run finds the node and the key through the environment, as a
    //  person who exported them would.
    setenv ("PANDA_NODE", f->url, 1);
    setenv ("PANDA_KEY_FILE", f->key, 1);
    run_t r = s_panda ("key", "new", f->key);
    if (r.status != 0 || strlen (r.out) != PANDA_PUBLIC_KEY_HEX_SIZE + 1)
        return -1;
    memcpy (f->public_key, r.out, PANDA_PUBLIC_KEY_HEX_SIZE);
    s_release (&r);
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int status = panda_fixture_stop (&f->node);
    if (*f->dir) {
        char command[128];
        snprintf (command, sizeof command, "rm -rf %s", f->dir);
        assert_int_equal (panda_test_run (command, NULL), 0);
    }
    free (f);
    return status == 0 ? 0 : -1;
}

//  The node's own answer to a GraphQL query, through the fixture (not the CLI).
static json_t *
s_node_data (fixture_t *f, const char *query)
{
    json_t *answer = panda_fixture_graphql (panda_fixture_http (f->node), query, NULL, NULL);
    json_t *data = json_incref (json_object_get (answer, "data"));
    if (!json_is_object (data))
        fail_msg ("node answered no data for %s", query);
    json_decref (answer);
    return data;
}

static void
test_cli_next_args (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    json_t *ours = s_ok_json (s_panda ("next-args", "--json"));
    json_t *node = panda_fixture_next_args (panda_fixture_http (f->node), f->public_key, NULL, NULL);
    assert_true (json_equal (ours, json_object_get (json_object_get (node, "data"), "nextArgs")));
    assert_string_equal (s_str (ours, "seqNum"), "1");
    assert_true (json_is_null (json_object_get (ours, "backlink")));
    json_decref (ours);
    json_decref (node);
    //  By public key, labelled for people.
    run_t r = s_panda ("next-args", "--public-key", f->public_key, "--node", f->url);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "seq num   1\n"));
    assert_non_null (strstr (r.out, "backlink  -\n"));
    s_release (&r);
}

//  Create a document with panda, return its id (static buffer per call site).
static void
s_create (const char *const *args, char id[PANDA_HASH_HEX_SIZE + 1])
{
    json_t *out = s_ok_json (s_panda_argv (args));
    assert_non_null (s_str (out, "documentId"));
    assert_string_equal (s_str (out, "documentId"), s_str (out, "operationId"));
    snprintf (id, PANDA_HASH_HEX_SIZE + 1, "%s", s_str (out, "documentId"));
    json_decref (out);
}

static void
s_make_schema (fixture_t *f)
{
    static const char *const fields[8][2] = {
        {"title", "str"},
        {"year", "int"},
        {"rating", "float"},
        {"read", "bool"},
        {"isbn", "bytes"},
        {"cover", "relation(schema_field_definition_v1)"},
        {"shelves", "relation_list(schema_field_definition_v1)"},
        {"edition", "pinned_relation(schema_field_definition_v1)"},
    };
    char name[64], type[128], list[8 * (PANDA_HASH_HEX_SIZE + 1)] = "";
    for (size_t i = 0; i < 8; i++) {
        snprintf (name, sizeof name, "name=%s", fields[i][0]);
        snprintf (type, sizeof type, "type=%s", fields[i][1]);
        s_create ((const char *const[]){"document", "create", "schema_field_definition_v1", name, type,
                                        "--json", NULL},
                  f->field_ids[i]);
        strcat (list, i ? "," : "");
        strcat (list, f->field_ids[i]);
    }
    char fields_arg[sizeof list + 16];
    snprintf (fields_arg, sizeof fields_arg, "fields=%s", list);
    char definition[PANDA_HASH_HEX_SIZE + 1];
    s_create ((const char *const[]){"document", "create", "schema_definition_v1", "name=cli_books",
                                    "description=Books made with the panda CLI", fields_arg, "--json", NULL},
              definition);
    snprintf (f->schema_id, sizeof f->schema_id, "cli_books_%s", definition);
    panda_fixture_wait_schema (panda_fixture_http (f->node), f->schema_id, MATERIALISE_MS);
}

static void
s_wait_view (fixture_t *f, const char *document_id, const char *view_id)
{
    assert_int_equal (panda_fixture_wait_document (panda_fixture_http (f->node), f->schema_id, document_id,
                                                   view_id, MATERIALISE_MS),
                      0);
}

//  The fields of a document as the node serves them.
static json_t *
s_node_fields (fixture_t *f, const char *document_id)
{
    char query[1024];
    snprintf (query, sizeof query,
              "{ d: %s(id: \"%s\") { fields { title year rating read isbn cover { meta { documentId } }"
              " shelves { documents { meta { documentId } } } edition { meta { viewId } } } } }",
              f->schema_id, document_id);
    json_t *data = s_node_data (f, query);
    json_t *fields = json_incref (json_object_get (json_object_get (data, "d"), "fields"));
    json_decref (data);
    assert_non_null (fields);
    return fields;
}

static void
test_cli_documents (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_make_schema (f);
    //  Create from NAME=VALUE arguments, every field type.
    char cover[80], shelves[200], edition[80], dune[PANDA_HASH_HEX_SIZE + 1];
    snprintf (cover, sizeof cover, "cover=%s", f->field_ids[0]);
    snprintf (edition, sizeof edition, "edition=%s", f->field_ids[5]);
    snprintf (shelves, sizeof shelves, "shelves=%s,%s", f->field_ids[1], f->field_ids[2]);
    s_create ((const char *const[]){"document", "create", f->schema_id, "title=Dune", "year=1965",
                                    "rating=4.5", "read=true", "isbn=00ff10", cover, shelves, edition,
                                    "--key", f->key, "--json", NULL},
              dune);
    s_wait_view (f, dune, dune);
    json_t *fields = s_node_fields (f, dune);
    assert_string_equal (s_str (fields, "title"), "Dune");
    assert_int_equal (json_integer_value (json_object_get (fields, "year")), 1965);
    assert_true (json_real_value (json_object_get (fields, "rating")) == 4.5);
    assert_true (json_is_true (json_object_get (fields, "read")));
    assert_string_equal (s_str (fields, "isbn"), "00ff10");
    assert_string_equal (s_str (json_object_get (json_object_get (fields, "cover"), "meta"), "documentId"),
                         f->field_ids[0]);
    json_t *docs = json_object_get (json_object_get (fields, "shelves"), "documents");
    assert_int_equal (json_array_size (docs), 2);
    assert_string_equal (s_str (json_object_get (json_object_get (fields, "edition"), "meta"), "viewId"),
                         f->field_ids[5]);
    json_decref (fields);

    //  Update one field; the node's next args follow the document's log.
    json_t *out =
        s_ok_json (s_panda ("document", "update", f->schema_id, dune, "title=Dune Messiah", "--json"));
    char update[PANDA_HASH_HEX_SIZE + 1];
    snprintf (update, sizeof update, "%s", s_str (out, "viewId"));
    assert_string_equal (s_str (out, "documentId"), dune);
    assert_string_equal (s_str (out, "seqNum"), "2");
    char log_id[24];
    snprintf (log_id, sizeof log_id, "%s", s_str (out, "logId"));
    json_decref (out);
    s_wait_view (f, dune, update);
    fields = s_node_fields (f, dune);
    assert_string_equal (s_str (fields, "title"), "Dune Messiah");
    assert_int_equal (json_integer_value (json_object_get (fields, "year")), 1965);
    json_decref (fields);
    out = s_ok_json (s_panda ("next-args", "--view-id", dune, "--json"));
    assert_string_equal (s_str (out, "logId"), log_id);
    assert_string_equal (s_str (out, "seqNum"), "3");
    assert_string_equal (s_str (out, "backlink"), update);
    json_decref (out);

    //  Create from --fields JSON (plain JSON values typed by the schema).
    char json_fields[600], emma[PANDA_HASH_HEX_SIZE + 1], orwell[PANDA_HASH_HEX_SIZE + 1];
    snprintf (json_fields, sizeof json_fields,
              "{\"title\": \"Emma\", \"year\": 1815, \"rating\": 3, \"read\": false, \"isbn\": \"ab\","
              " \"cover\": \"%s\", \"shelves\": [\"%s\"], \"edition\": [\"%s\"]}",
              f->field_ids[3], f->field_ids[4], f->field_ids[6]);
    s_create (
        (const char *const[]){"document", "create", f->schema_id, "--fields", json_fields, "--json", NULL},
        emma);
    s_create ((const char *const[]){"document", "create", f->schema_id, "title=1984", "year=1949",
                                    "rating=-0.5", "read=false", "isbn=", cover, "shelves=", edition,
                                    "--json", NULL},
              orwell);
    s_wait_view (f, emma, emma);
    s_wait_view (f, orwell, orwell);
    //  Explicit types: the schema is not read, the node alone checks.
    out = s_ok_json (s_panda ("document", "update", f->schema_id, orwell, "--type", "year=int", "year=1950",
                              "--type", "cover=relation", cover, "--json"));
    assert_string_equal (s_str (out, "seqNum"), "2");
    s_wait_view (f, orwell, s_str (out, "viewId"));
    json_decref (out);
    fields = s_node_fields (f, orwell);
    assert_int_equal (json_integer_value (json_object_get (fields, "year")), 1950);
    json_decref (fields);
    s_fails_with (s_panda ("document", "update", f->schema_id, orwell, "--type", "year=str", "year=1950"),
                  "document update: publish: the node at http://127.0.0.1:");
    fields = s_node_fields (f, emma);
    assert_int_equal (json_integer_value (json_object_get (fields, "year")), 1815);
    assert_true (json_is_false (json_object_get (fields, "read")));
    json_decref (fields);

    //  The collection shorthand: filter, order, first, after.
    out = s_ok_json (s_panda ("query", f->schema_id, "--filter", "year>=1900", "--order", "year", "--desc",
                              "--first", "1", "--json"));
    assert_int_equal (json_integer_value (json_object_get (out, "totalCount")), 2);
    assert_true (json_is_true (json_object_get (out, "hasNextPage")));
    json_t *first = json_array_get (json_object_get (out, "documents"), 0);
    assert_string_equal (s_str (json_object_get (first, "meta"), "documentId"), dune);
    assert_string_equal (s_str (json_object_get (first, "fields"), "title"), "Dune Messiah");
    char cursor[512];
    snprintf (cursor, sizeof cursor, "%s", s_str (out, "endCursor"));
    json_decref (out);
    out = s_ok_json (s_panda ("query", f->schema_id, "--filter", "year>=1900", "--order", "year", "--desc",
                              "--first", "1", "--after", cursor, "--json"));
    first = json_array_get (json_object_get (out, "documents"), 0);
    assert_string_equal (s_str (json_object_get (first, "meta"), "documentId"), orwell);
    assert_true (json_is_false (json_object_get (out, "hasNextPage")));
    json_decref (out);
    out = s_ok_json (
        s_panda ("query", f->schema_id, "--filter", "title~mm", "--filter", "read=false", "--json"));
    assert_int_equal (json_integer_value (json_object_get (out, "totalCount")), 1);
    json_decref (out);
    out = s_ok_json (s_panda ("query", f->schema_id, "--filter", "year.in=1815,1950", "--json"));
    assert_int_equal (json_integer_value (json_object_get (out, "totalCount")), 2);
    json_decref (out);
    //  Labelled for people.
    run_t r = s_panda ("query", f->schema_id, "--order", "title");
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "3 document(s) of cli_books_"));
    assert_non_null (strstr (r.out, "  title: Emma\n"));
    s_release (&r);

    //  Delete; the collection no longer lists it.
    out = s_ok_json (s_panda ("document", "delete", f->schema_id, dune, "--json"));
    assert_string_equal (s_str (out, "seqNum"), "3");
    json_decref (out);
    s_wait_view (f, dune, NULL);
    out = s_ok_json (s_panda ("query", f->schema_id, "--json"));
    assert_int_equal (json_integer_value (json_object_get (out, "totalCount")), 2);
    json_decref (out);

    //  A GraphQL document, answered as the node's data.
    char query[512];
    snprintf (query, sizeof query, "{ all_%s(filter: { year: { lt: 1900 } }) { totalCount } }", f->schema_id);
    out = s_ok_json (s_panda ("query", query, "--json"));
    char all[300];
    snprintf (all, sizeof all, "all_%s", f->schema_id);
    assert_int_equal (json_integer_value (json_object_get (json_object_get (out, all), "totalCount")), 1);
    json_decref (out);
}

//  Bad input is refused with one clear line, and nothing is published.
static void
test_cli_errors (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    assert_true (*f->schema_id); //  after test_cli_documents
    json_t *before = s_ok_json (s_panda ("next-args", "--json"));
    s_fails_with (s_panda ("document", "create", f->schema_id, "title=x", "nope=1"),
                  "unknown field 'nope': schema cli_books_");
    s_fails_with (s_panda ("document", "create", f->schema_id, "title=x", "year=soon"), "field 'year'");
    s_fails_with (s_panda ("document", "create", f->schema_id, "title=x"),
                  "a new document needs every field of cli_books_");
    s_fails_with (s_panda ("document", "create", f->schema_id, "title=x", "title=y"),
                  "field 'title' given twice");
    s_fails_with (s_panda ("document", "update", f->schema_id, f->field_ids[0], "title=x"),
                  "is not on the node");
    json_t *after = s_ok_json (s_panda ("next-args", "--json"));
    assert_true (json_equal (before, after));
    json_decref (before);
    json_decref (after);

    //  Key files: readable by others, not a key, missing, none given.
    char path[160], expected[400];
    snprintf (path, sizeof path, "%s/open.key", f->dir);
    run_t r = s_panda ("key", "new", path);
    assert_int_equal (r.status, 0);
    s_release (&r);
    assert_int_equal (chmod (path, 0644), 0);
    snprintf (expected, sizeof expected, "key file %s can be read by others (mode 0644)", path);
    s_fails_with (s_panda ("document", "create", f->schema_id, "title=x", "--key", path), expected);
    s_fails_with (s_panda ("blob", "upload", path, "--key", path), expected);
    snprintf (path, sizeof path, "%s/bad.key", f->dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "not a key\n", 10), 10);
    close (fd);
    s_fails_with (s_panda ("next-args", "--key", path), "invalid private key");
    s_fails_with (s_panda ("next-args", "--key", "/nonexistent/key"), "No such file or directory");
    unsetenv ("PANDA_KEY_FILE");
    s_fails_with (s_panda ("document", "delete", f->schema_id, f->field_ids[0]), "signing needs a key");
    setenv ("PANDA_KEY_FILE", f->key, 1);

    //  The node: unreachable, not http, its GraphQL errors verbatim.
    s_fails_with (s_panda ("next-args", "--node", "http://127.0.0.1:1"),
                  "cannot reach the node at http://127.0.0.1:1");
    s_fails_with (s_panda ("query", "{ nope }", "--node", "https://127.0.0.1"), "https is not supported");
    s_fails_with (s_panda ("query", "{ nope }"), "Unknown field \"nope\" on type \"Query\"");
    s_fails_with (s_panda ("query", "cli_books_0020aa"), "schema id");
    s_fails_with (s_panda ("query", f->schema_id, "--filter", "pages>3"), "has no field 'pages'");
    s_fails_with (s_panda ("query", f->schema_id, "--filter", "year>old"), "not a valid int value");
}

//  An entry signed step by step (operation encode, entry sign) and published
//  as it is; and a typed operation JSON signed and published by panda.
static void
test_cli_publish (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    json_t *args = s_ok_json (s_panda ("next-args", "--json"));
    const char *op_json =
        "{\"version\": 1, \"action\": \"create\", \"schemaId\": \"schema_field_definition_v1\","
        " \"fields\": {\"name\": {\"type\": \"str\", \"value\": \"by_hand\"},"
        " \"type\": {\"type\": \"str\", \"value\": \"int\"}}}";
    run_t r = s_panda ("operation", "encode", op_json);
    assert_int_equal (r.status, 0);
    char op_hex[1024];
    snprintf (op_hex, sizeof op_hex, "%.*s", (int) strcspn (r.out, "\n"), r.out);
    s_release (&r);
    r = s_panda ("entry", "sign", "--log-id", s_str (args, "logId"), "--seq-num", "1", "--operation", op_hex);
    assert_int_equal (r.status, 0);
    char entry_hex[1024];
    snprintf (entry_hex, sizeof entry_hex, "%.*s", (int) strcspn (r.out, "\n"), r.out);
    s_release (&r);
    json_t *decoded = s_ok_json (s_panda ("entry", "decode", entry_hex));
    json_t *out = s_ok_json (s_panda ("publish", entry_hex, op_hex, "--json"));
    assert_string_equal (s_str (out, "operationId"), s_str (decoded, "hash"));
    assert_string_equal (s_str (out, "logId"), s_str (args, "logId"));
    json_decref (out);
    json_decref (args);
    char query[400];
    snprintf (query, sizeof query, "{ d: schema_field_definition_v1(id: \"%s\") { fields { name type } } }",
              s_str (decoded, "hash"));
    json_t *data = s_node_data (f, query);
    assert_string_equal (s_str (json_object_get (json_object_get (data, "d"), "fields"), "name"), "by_hand");
    json_decref (data);
    json_decref (decoded);
    //  The same operation again, signed by panda in a fresh log.
    out = s_ok_json (s_panda ("publish", op_json, "--json"));
    assert_string_equal (s_str (out, "schemaId"), "schema_field_definition_v1");
    assert_string_equal (s_str (out, "seqNum"), "1");
    json_decref (out);
    //  A stale entry is refused by the node, with its message.
    s_fails_with (s_panda ("publish", entry_hex, op_hex), "publish: the node at http://127.0.0.1:");
}

static void
test_cli_blob (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    enum { SIZE = 600 * 1024 };
    uint8_t *bytes = malloc (SIZE);
    uint64_t seed = 0x5eed;
    panda_test_random_bytes (&seed, bytes, SIZE);
    char path[160], copy[160];
    snprintf (path, sizeof path, "%s/photo.data", f->dir);
    snprintf (copy, sizeof copy, "%s/copy.data", f->dir);
    FILE *file = fopen (path, "wb");
    assert_int_equal (fwrite (bytes, 1, SIZE, file), SIZE);
    fclose (file);
    json_t *out = s_ok_json (s_panda ("blob", "upload", path, "--json"));
    assert_int_equal (json_integer_value (json_object_get (out, "length")), SIZE);
    assert_int_equal (json_integer_value (json_object_get (out, "pieces")), 3); //  256000 + 256000 + 102400
    assert_string_equal (s_str (out, "mimeType"), "application/octet-stream");
    char id[PANDA_HASH_HEX_SIZE + 1];
    snprintf (id, sizeof id, "%s", s_str (out, "documentId"));
    json_decref (out);
    //  To a file, waiting for the node to have every piece.
    run_t r = s_panda ("blob", "download", id, "--output", copy, "--wait", "60");
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "614400 bytes (application/octet-stream)"));
    s_release (&r);
    size_t len;
    char *got = s_slurp (copy, &len);
    assert_int_equal (len, SIZE);
    assert_memory_equal (got, bytes, SIZE);
    free (got);
    //  To stdout.
    r = s_panda ("blob", "download", id);
    assert_int_equal (r.status, 0);
    assert_int_equal (r.out_len, SIZE);
    assert_memory_equal (r.out, bytes, SIZE);
    s_release (&r);
    //  The node holds it as three pieces in order.
    char query[400];
    snprintf (query, sizeof query,
              "{ b: blob_v1(id: \"%s\") { fields { length mime_type pieces { totalCount } } } }", id);
    json_t *data = s_node_data (f, query);
    json_t *fields = json_object_get (json_object_get (data, "b"), "fields");
    assert_int_equal (json_integer_value (json_object_get (fields, "length")), SIZE);
    assert_int_equal (json_integer_value (json_object_get (json_object_get (fields, "pieces"), "totalCount")),
                      3);
    json_decref (data);
    //  Not a blob; an empty file.
    s_fails_with (s_panda ("blob", "download", f->field_ids[0]), "answered HTTP 404");
    snprintf (path, sizeof path, "%s/empty", f->dir);
    fclose (fopen (path, "w"));
    s_fails_with (s_panda ("blob", "upload", path), "is empty");
    free (bytes);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cli_next_args), cmocka_unit_test (test_cli_documents),
        cmocka_unit_test (test_cli_errors),    cmocka_unit_test (test_cli_publish),
        cmocka_unit_test (test_cli_blob),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
