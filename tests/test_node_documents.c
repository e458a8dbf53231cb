/*  test_node_documents.c - documents through the real pandad: publish every
    entry of publish_sequence.json (schemas first, each application entry
    once its schema is served), then query each document of document.json
    and compare with the view the vectors expect (node-api §6.2-6.6):
    view id, owner, every field value, relations resolved to the documents
    and views they name when those exist, deleted documents gone.

    Expectations come from the vectors only: which documents exist and
    which are deleted is computed from the published operations.          */
#include <stdio.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define MATERIALISE_MS 30000 //  longest wait for the node to materialise a view

typedef struct {
    panda_fixture_t *node;
    json_t *doc_of; //  operation id -> document id (every published operation)
    json_t *deleted; //  document id -> true
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    f->doc_of = json_object ();
    f->deleted = json_object ();
    return panda_fixture_setup (&f->node, NULL);
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int status = panda_fixture_stop (&f->node);
    json_decref (f->doc_of);
    json_decref (f->deleted);
    free (f);
    return status == 0 ? 0 : -1;
}

static const char *
s_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  Publish every vector entry the way shirokuma does, waiting for each
//  application schema to be served before its first entry.
static void
s_publish_all (fixture_t *f)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"), i, v)
    {
        panda_fixture_wait_schema (panda_fixture_http (f->node), s_str (v, "schema_id"), MATERIALISE_MS);
        json_t *answer = panda_fixture_publish_sequence_entry (panda_fixture_http (f->node), i, NULL);
        if (json_object_get (answer, "errors"))
            fail_msg ("publish of %s failed", s_str (v, "label"));
        json_decref (answer);
        json_object_set_new (f->doc_of, s_str (v, "operation_id"), json_string (s_str (v, "document_id")));
        if (strcmp (s_str (v, "action"), "delete") == 0)
            json_object_set_new (f->deleted, s_str (v, "document_id"), json_true ());
    }
}

//  The document an operation id belongs to, if it was published and its
//  document is not deleted (a relation to it resolves); else NULL.
static const char *
s_live_document (fixture_t *f, const char *operation_id)
{
    const char *doc = s_str (f->doc_of, operation_id);
    return doc && !json_object_get (f->deleted, doc) ? doc : NULL;
}

static int
s_compare_ids (const void *a, const void *b)
{
    return strcmp (json_string_value (*(json_t *const *) a), json_string_value (*(json_t *const *) b));
}

//  Canonical view id text of a JSON array of operation ids (sorted, "_").
static char *
s_view_id (json_t *ids)
{
    size_t n = json_array_size (ids);
    json_t **items = calloc (n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get (ids, i);
    qsort (items, n, sizeof *items, s_compare_ids);
    char *out = calloc (n * 69 + 1, 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat (out, "_");
        strcat (out, json_string_value (items[i]));
    }
    free (items);
    return out;
}

//  The GraphQL selection for one field and the answer the vectors expect.
static void
s_field (fixture_t *f, const char *name, json_t *spec, char *sel, size_t size, json_t *expected)
{
    const char *type = s_str (spec, "type");
    json_t *value = json_object_get (spec, "value");
    size_t used = strlen (sel);
    if (strcmp (type, "relation") == 0) {
        snprintf (sel + used, size - used, " %s { meta { documentId } }", name);
        const char *doc = s_live_document (f, json_string_value (value));
        json_object_set_new (expected, name,
                             doc ? json_pack ("{s:{s:s}}", "meta", "documentId", doc) : json_null ());
    } else if (strcmp (type, "pinned_relation") == 0) {
        snprintf (sel + used, size - used, " %s { meta { viewId } }", name);
        char *view = s_view_id (value);
        const char *doc = s_live_document (f, json_string_value (json_array_get (value, 0)));
        json_object_set_new (expected, name,
                             doc ? json_pack ("{s:{s:s}}", "meta", "viewId", view) : json_null ());
        free (view);
    } else if (strcmp (type, "relation_list") == 0 || strcmp (type, "pinned_relation_list") == 0) {
        bool pinned = type[0] == 'p';
        snprintf (sel + used, size - used, " %s { totalCount documents { meta { %s } } }", name,
                  pinned ? "viewId" : "documentId");
        json_t *docs = json_array ();
        size_t i;
        json_t *item;
        json_array_foreach (value, i, item)
        {
            const char *first =
                pinned ? json_string_value (json_array_get (item, 0)) : json_string_value (item);
            if (!s_live_document (f, first))
                continue; //  unknown or deleted targets are skipped (§6.4)
            char *view = pinned ? s_view_id (item) : NULL;
            json_array_append_new (docs, json_pack ("{s:{s:s}}", "meta", pinned ? "viewId" : "documentId",
                                                    pinned ? view : first));
            free (view);
        }
        json_object_set_new (
            expected, name,
            json_pack ("{s:I, s:o}", "totalCount", (json_int_t) json_array_size (docs), "documents", docs));
    } else {
        snprintf (sel + used, size - used, " %s", name);
        if (strcmp (type, "int") == 0)
            json_object_set_new (expected, name,
                                 json_integer (strtoll (json_string_value (value), NULL, 10)));
        else
            json_object_set (expected, name, value);
    }
}

//  Query one scenario's document until its view is the expected one, then
//  compare every field.
static void
s_check_scenario (fixture_t *f, json_t *scenario)
{
    const char *name = s_str (scenario, "name");
    json_t *latest = json_object_get (scenario, "expected_latest");
    const char *schema_id = s_str (scenario, "schema_id"), *doc = s_str (scenario, "document_id");
    panda_http_t *http = panda_fixture_http (f->node);
    if (json_is_true (json_object_get (latest, "deleted"))) {
        if (panda_fixture_wait_document (http, schema_id, doc, NULL, MATERIALISE_MS) != 0)
            fail_msg ("%s: deleted document still served", name);
        return;
    }
    if (panda_fixture_wait_document (http, schema_id, doc, s_str (latest, "view_id"), MATERIALISE_MS) != 0)
        fail_msg ("%s: view %s never served", name, s_str (latest, "view_id"));

    char sel[4096] = "";
    json_t *fields = json_object ();
    const char *field;
    json_t *spec;
    json_object_foreach (json_object_get (latest, "fields"), field, spec)
        s_field (f, field, spec, sel, sizeof sel, fields);
    const char *owner = s_str (json_array_get (json_object_get (scenario, "operations"), 0), "public_key");
    json_t *expected = json_pack ("{s:{s:{s:s, s:s, s:s}, s:o}}", "doc", "meta", "documentId", doc, "viewId",
                                  s_str (latest, "view_id"), "owner", owner, "fields", fields);
    char query[8192];
    snprintf (query, sizeof query,
              "{ doc: %s(id: \"%s\") { meta { documentId viewId owner } fields {%s } } }", schema_id, doc,
              sel);
    json_t *answer = panda_http_graphql (http, query, NULL, NULL, NULL);
    json_t *data = json_object_get (answer, "data");
    if (!json_equal (data, expected)) {
        char *got = json_dumps (answer, JSON_COMPACT), *want = json_dumps (expected, JSON_COMPACT);
        fail_msg ("%s:\n got  %s\n want {\"data\":%s}", name, got, want);
    }
    json_decref (answer);
    json_decref (expected);
}

static void
s_check_all (fixture_t *f)
{
    size_t i;
    json_t *scenario;
    json_array_foreach (json_object_get (panda_fixture_vectors ("document.json"), "scenarios"), i, scenario)
    {
        //  E1 cannot be reduced (document.json): the node keeps what it had.
        if (json_is_true (json_object_get (json_object_get (scenario, "expected_latest"), "build_ok")))
            s_check_scenario (f, scenario);
    }
}

static void
test_documents_match_vectors (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_publish_all (f);
    s_check_all (f);
}

//  The views database is derived data (README): after a crash (SIGKILL)
//  and with the views deleted, the node rebuilds every view from the
//  entries at its next start.
static void
test_views_rebuilt_after_deletion (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_publish_all (f);
    s_check_all (f);
    panda_fixture_kill (f->node);
    char path[4096];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/pandad.sqlite3-views%s", panda_fixture_dir (f->node), suffixes[i]);
        unlink (path);
    }
    panda_fixture_restart (f->node, NULL);
    s_check_all (f);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_documents_match_vectors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_views_rebuilt_after_deletion, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
