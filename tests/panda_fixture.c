/*  panda_fixture.c - the node test fixture (see panda_fixture.h).        */
#include <stdio.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda/panda_schema.h"

struct _panda_fixture_t {
    panda_pandad_t *pandad;
    panda_http_t *http;
    int start_ms, request_ms;
};

bool
panda_fixture_available (void)
{
    static int available = -1;
    if (available < 0) {
        available = panda_pandad_available ();
        if (!available)
            fprintf (stderr, "SKIP: build/bin/pandad is not the node yet (no --http-port in --help)\n");
    }
    return available;
}

void
panda_fixture_require (void)
{
    if (!panda_fixture_available ())
        skip ();
}

static panda_http_t *
s_connect (panda_fixture_t *self)
{
    return panda_http_connect ("127.0.0.1", panda_pandad_port (self->pandad), self->request_ms);
}

panda_fixture_t *
panda_fixture_start (const char *const *extra_args, int start_ms, int request_ms)
{
    panda_fixture_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->start_ms = start_ms;
    self->request_ms = request_ms;
    self->pandad = panda_pandad_start (extra_args, start_ms);
    if (!self->pandad) {
        free (self);
        return NULL;
    }
    return self;
}

int
panda_fixture_setup (panda_fixture_t **self_p, const char *const *extra_args)
{
    *self_p = NULL;
    if (!panda_fixture_available ())
        return 0;
    *self_p = panda_fixture_start (extra_args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    return *self_p ? 0 : -1;
}

int
panda_fixture_stop (panda_fixture_t **self_p)
{
    if (!self_p || !*self_p)
        return 0;
    panda_fixture_t *self = *self_p;
    panda_http_destroy (&self->http);
    int status = panda_pandad_stop (&self->pandad);
    free (self);
    *self_p = NULL;
    return status;
}

panda_http_t *
panda_fixture_http (panda_fixture_t *self)
{
    if (!self->http)
        self->http = panda_fixture_connect (self);
    return self->http;
}

int
panda_fixture_port (const panda_fixture_t *self)
{
    return panda_pandad_port (self->pandad);
}

const char *
panda_fixture_dir (const panda_fixture_t *self)
{
    return panda_pandad_dir (self->pandad);
}

panda_pandad_t *
panda_fixture_pandad (panda_fixture_t *self)
{
    return self->pandad;
}

panda_http_t *
panda_fixture_connect (panda_fixture_t *self)
{
    panda_http_t *http = s_connect (self);
    if (!http)
        fail_msg ("cannot connect to pandad on port %d", panda_fixture_port (self));
    return http;
}

void
panda_fixture_disconnect (panda_fixture_t *self)
{
    panda_http_destroy (&self->http);
}

void
panda_fixture_kill (panda_fixture_t *self)
{
    panda_http_destroy (&self->http);
    panda_pandad_kill (self->pandad);
}

void
panda_fixture_restart (panda_fixture_t *self, const char *const *extra_args)
{
    panda_http_destroy (&self->http);
    if (!panda_pandad_restart (self->pandad, extra_args, self->start_ms))
        fail_msg ("pandad did not start again on %s", panda_fixture_dir (self));
}

//  --- GraphQL ---------------------------------------------------------------

//  The answer, checked when the caller does not take the status.
static json_t *
s_checked (json_t *answer, int got, int *status, const char *what)
{
    if (status)
        *status = got;
    else if (got != 200 || !answer)
        fail_msg ("%s: status %d, %s", what, got, answer ? "JSON" : "no JSON body");
    return answer;
}

json_t *
panda_fixture_graphql (panda_http_t *http, const char *query, json_t *variables, const char *operation_name)
{
    int status;
    json_t *answer = panda_http_graphql (http, query, variables, operation_name, &status);
    return s_checked (answer, status, NULL, "POST /graphql");
}

//  One of shirokuma's documents with vars (taken).
static json_t *
s_shirokuma (panda_http_t *http, const char *document, const char *operation_name, json_t *vars, int *status)
{
    int got;
    json_t *answer = panda_http_graphql (http, document, vars, operation_name, &got);
    json_decref (vars);
    return s_checked (answer, got, status, operation_name);
}

json_t *
panda_fixture_publish (panda_http_t *http, const char *entry_hex, const char *operation_hex, int *status)
{
    return s_shirokuma (http, panda_http_shirokuma_publish, "Publish",
                        json_pack ("{s:s, s:s}", "entry", entry_hex, "operation", operation_hex), status);
}

json_t *
panda_fixture_next_args (panda_http_t *http, const char *public_key, const char *view_id, int *status)
{
    return s_shirokuma (http, panda_http_shirokuma_next_args, "NextArgs",
                        json_pack ("{s:s, s:s*}", "publicKey", public_key, "viewId", view_id), status);
}

json_t *
panda_fixture_vectors (const char *name)
{
    static json_t *loaded; //  name -> vectors, kept to the end of the program
    if (!loaded)
        loaded = json_object ();
    json_t *vectors = json_object_get (loaded, name);
    if (!vectors) {
        vectors = panda_test_vectors (name);
        json_object_set_new (loaded, name, vectors);
    }
    return vectors;
}

json_t *
panda_fixture_sequence_entry (size_t i)
{
    json_t *sequence = panda_fixture_vectors ("publish_sequence.json");
    json_t *entry = json_array_get (json_object_get (sequence, "entries"), i);
    if (!entry)
        fail_msg ("publish_sequence.json has no entry %zu", i);
    return entry;
}

json_t *
panda_fixture_publish_sequence_entry (panda_http_t *http, size_t i, int *status)
{
    json_t *v = panda_fixture_sequence_entry (i);
    return panda_fixture_publish (http, json_string_value (json_object_get (v, "entry_hex")),
                                  json_string_value (json_object_get (v, "operation_hex")), status);
}

//  --- signing ---------------------------------------------------------------

panda_fixture_signed_t
panda_fixture_sign_bytes (const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq_num,
                          const panda_hash_t *backlink, const panda_hash_t *skiplink, const uint8_t *bytes,
                          size_t len)
{
    panda_error_t err;
    panda_entry_t *entry =
        panda_entry_new_signed (keypair, log_id, seq_num, backlink, skiplink, bytes, len, &err);
    if (!entry)
        fail_msg ("sign log %llu seq %llu: %s", (unsigned long long) log_id, (unsigned long long) seq_num,
                  err.message);
    panda_fixture_signed_t s = {.operation_hex = panda_test_hex (bytes, len)};
    size_t entry_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    s.entry_hex = panda_test_hex (entry_bytes, entry_len);
    s.id = *panda_entry_hash (entry);
    panda_hash_to_hex (&s.id, s.hash);
    panda_entry_destroy (&entry);
    return s;
}

panda_fixture_signed_t
panda_fixture_sign (const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq_num,
                    const panda_hash_t *backlink, const panda_hash_t *skiplink, panda_operation_t **op_p)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (*op_p, &len);
    assert_non_null (bytes);
    panda_fixture_signed_t s =
        panda_fixture_sign_bytes (keypair, log_id, seq_num, backlink, skiplink, bytes, len);
    panda_operation_destroy (op_p);
    return s;
}

void
panda_fixture_signed_release (panda_fixture_signed_t *s)
{
    free (s->entry_hex);
    free (s->operation_hex);
    memset (s, 0, sizeof *s);
}

json_t *
panda_fixture_publish_signed (panda_http_t *http, const panda_fixture_signed_t *s, int *status)
{
    return panda_fixture_publish (http, s->entry_hex, s->operation_hex, status);
}

//  --- materialisation ---------------------------------------------------------

void
panda_fixture_wait_schema (panda_http_t *http, const char *schema_id, int timeout_ms)
{
    if (!panda_schema_system (schema_id) && panda_http_wait_type (http, schema_id, timeout_ms) != 0)
        fail_msg ("schema %s never became queryable", schema_id);
}

static bool
s_view_is (json_t *data, void *view_id)
{
    json_t *meta = json_object_get (json_object_get (data, "doc"), "meta");
    const char *view = json_string_value (json_object_get (meta, "viewId"));
    return view && strcmp (view, view_id) == 0;
}

static bool
s_doc_is_null (json_t *data, void *ctx)
{
    (void) ctx;
    return data && json_is_null (json_object_get (data, "doc"));
}

int
panda_fixture_wait_document (panda_http_t *http, const char *schema_id, const char *document_id,
                             const char *view_id, int timeout_ms)
{
    char query[1024];
    snprintf (query, sizeof query, "{ doc: %s(id: \"%s\") { meta { viewId } } }", schema_id, document_id);
    json_t *answer = view_id ? panda_http_graphql_until (http, query, s_view_is, (void *) view_id, timeout_ms)
                             : panda_http_graphql_until (http, query, s_doc_is_null, NULL, timeout_ms);
    json_decref (answer);
    return answer ? 0 : -1;
}
