/*  test_cli_schema.c - `panda schema build|deploy` and `pandad --migrate`
    end to end, as a user runs them, against a real pandad.               */
#include "panda_test.h"
#include "panda_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

static const char s_schema_file[] = PANDA_TEST_SCHEMA_FILE;

typedef struct {
    char dir[64];
    char key[128], schema[128], lock[128];
    char public_key[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
} s_files_t;

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    assert_int_equal (fclose (f), 0);
}

static char *
s_read (const char *path)
{
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char *text = calloc (1, 1 << 20);
    size_t n = fread (text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose (f);
    return text;
}

//  Run a shell command (printf format); *out gets stdout+stderr.
static int
s_run (char **out, const char *format, ...)
{
    char command[4096];
    va_list ap;
    va_start (ap, format);
    vsnprintf (command, sizeof command, format, ap);
    va_end (ap);
    strncat (command, " 2>&1", sizeof command - strlen (command) - 1);
    return panda_test_run (command, out);
}

//  A temp dir with a new key and the schema file.
static void
s_files_new (s_files_t *f)
{
    snprintf (f->dir, sizeof f->dir, "/tmp/panda-schema-XXXXXX");
    assert_non_null (mkdtemp (f->dir));
    snprintf (f->key, sizeof f->key, "%s/key.txt", f->dir);
    snprintf (f->schema, sizeof f->schema, "%s/schema.toml", f->dir);
    snprintf (f->lock, sizeof f->lock, "%s/schema.lock", f->dir);
    char *out;
    assert_int_equal (s_run (&out, "%s key new %s", panda_test_bin ("panda"), f->key), 0);
    snprintf (f->public_key, sizeof f->public_key, "%.64s", out);
    free (out);
    s_write (f->schema, s_schema_file);
}

static void
s_files_remove (s_files_t *f)
{
    char *out;
    assert_int_equal (s_run (&out, "rm -rf %s", f->dir), 0);
    free (out);
}

//  `panda schema build`; returns its output, which names the schema ids.
static char *
s_build (const s_files_t *f)
{
    char *out;
    int status = s_run (&out, "%s schema build %s --lock %s --key %s", panda_test_bin ("panda"), f->schema,
                        f->lock, f->key);
    if (status != 0)
        fail_msg ("panda schema build failed: %s", out);
    return out;
}

//  The schema id of name in build's output ("<name>_<id> created").
static void
s_schema_id (const char *out, const char *name, char *id, size_t size)
{
    char prefix[80];
    snprintf (prefix, sizeof prefix, "%s_0020", name);
    const char *at = strstr (out, prefix);
    assert_non_null (at);
    snprintf (id, size, "%.*s", (int) strcspn (at, " \n"), at);
}

static char *
s_deploy (panda_fixture_t *node, const char *lock, int expect_status)
{
    char *out;
    int status = s_run (&out, "%s schema deploy %s --node http://127.0.0.1:%d/graphql",
                        panda_test_bin ("panda"), lock, panda_fixture_port (node));
    if (status != expect_status)
        fail_msg ("panda schema deploy exited %d: %s", status, out);
    return out;
}

//  nextArgs of the key for a new document: log 0 means the node has
//  nothing of it.
static const char *
s_next_log (panda_fixture_t *node, const char *public_key, char *buf, size_t size)
{
    json_t *answer = panda_fixture_next_args (panda_fixture_http (node), public_key, NULL, NULL);
    snprintf (buf, size, "%s",
              json_string_value (
                  json_object_get (json_object_get (json_object_get (answer, "data"), "nextArgs"), "logId")));
    json_decref (answer);
    return buf;
}

//  Build, deploy, the schema is served; deploying again sends nothing;
//  a change deploys just its new commits.
static void
test_cli_schema_build_and_deploy (void **state)
{
    panda_fixture_t *node = *state;
    panda_fixture_require ();
    s_files_t f;
    s_files_new (&f);
    char *out = s_build (&f);
    assert_non_null (strstr (out, "6 new commits written to"));
    char event_id[160];
    s_schema_id (out, "event", event_id, sizeof event_id);
    free (out);
    out = s_deploy (node, f.lock, 0);
    assert_non_null (strstr (out, "deployed 6 of 6 commits"));
    free (out);
    panda_fixture_wait_schema (panda_fixture_http (node), event_id, PANDA_FIXTURE_REQUEST_MS);
    out = s_deploy (node, f.lock, 0);
    assert_non_null (strstr (out, "nothing to deploy: the node already has all 6 commits"));
    free (out);
    //  A new field: two commits (its definition, the event's update).
    char *schema = s_read (f.schema);
    char *more = malloc (strlen (schema) + 64);
    const char *at = strstr (schema, "title = ");
    sprintf (more, "%.*sopen = { type = \"bool\" }\n%s", (int) (at - schema), schema, at);
    s_write (f.schema, more);
    free (more), free (schema);
    out = s_build (&f);
    assert_non_null (strstr (out, "2 new commits written to"));
    assert_non_null (strstr (out, " updated"));
    char new_id[160];
    s_schema_id (out, "event", new_id, sizeof new_id);
    assert_string_not_equal (new_id, event_id);
    free (out);
    out = s_deploy (node, f.lock, 0);
    assert_non_null (strstr (out, "deployed 2 of 8 commits"));
    free (out);
    panda_fixture_wait_schema (panda_fixture_http (node), new_id, PANDA_FIXTURE_REQUEST_MS);
    char query[512];
    snprintf (query, sizeof query, "{ all_%s { totalCount } }", new_id);
    json_t *answer = panda_fixture_graphql (panda_fixture_http (node), query, NULL, NULL);
    assert_null (json_object_get (answer, "errors"));
    json_decref (answer);
    s_files_remove (&f);
}

//  A changed lock file is refused before anything is sent.
static void
test_cli_schema_deploy_refuses_changed_lock (void **state)
{
    panda_fixture_t *node = *state;
    panda_fixture_require ();
    s_files_t f;
    s_files_new (&f);
    free (s_build (&f));
    char *text = s_read (f.lock);
    char *last = strstr (text, "entry_hash = \"0020");
    for (char *next; (next = strstr (last + 1, "entry_hash = \"0020"));)
        last = next;
    last[20] = last[20] == 'a' ? 'b' : 'a'; //  the last commit's hash
    s_write (f.lock, text);
    free (text);
    char *out = s_deploy (node, f.lock, 1);
    assert_non_null (strstr (out, "commit 6 (0020"));
    assert_non_null (strstr (out, "entry_hash does not match its entry"));
    free (out);
    char log[32];
    assert_string_equal (s_next_log (node, f.public_key, log, sizeof log), "0");
    //  No key, or a key on the command line: refused.
    assert_int_equal (s_run (&out, "env -u PANDA_KEY_FILE %s schema build %s --lock %s",
                             panda_test_bin ("panda"), f.schema, f.lock),
                      1);
    assert_non_null (strstr (out, "no signing key: give --key FILE or set PANDA_KEY_FILE"));
    free (out);
    assert_int_equal (s_run (&out, "%s schema build %s --private-key 00", panda_test_bin ("panda"), f.schema),
                      1);
    assert_non_null (strstr (out, "a private key never goes on the command line"));
    free (out);
    //  PANDA_KEY_FILE works like --key.
    assert_int_equal (s_run (&out, "PANDA_KEY_FILE=%s %s schema build %s --lock %s/other.lock --dry-run",
                             f.key, panda_test_bin ("panda"), f.schema, f.dir),
                      0);
    assert_non_null (strstr (out, "6 new commits (dry run"));
    free (out);
    s_files_remove (&f);
}

//  pandad --migrate publishes the lock file at start, once.
static void
test_node_migrate (void **state)
{
    panda_fixture_require ();
    s_files_t f;
    s_files_new (&f);
    char *out = s_build (&f);
    char event_id[160];
    s_schema_id (out, "event", event_id, sizeof event_id);
    free (out);
    const char *args[] = {"--migrate", f.lock, NULL};
    panda_fixture_t *node = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (node);
    panda_fixture_wait_schema (panda_fixture_http (node), event_id, PANDA_FIXTURE_REQUEST_MS);
    panda_fixture_restart (node, NULL);
    assert_true (panda_fixture_wait_log (node, "published 6 of 6 commits (0 were stored already)", 1,
                                         PANDA_FIXTURE_REQUEST_MS));
    assert_true (panda_fixture_wait_log (node, "published 0 of 6 commits (6 were stored already)", 1,
                                         PANDA_FIXTURE_REQUEST_MS));
    out = s_deploy (node, f.lock, 0);
    assert_non_null (strstr (out, "nothing to deploy"));
    free (out);
    assert_int_equal (panda_fixture_stop (&node), 0);
    //  A changed lock file stops the start, naming file and commit.
    char *text = s_read (f.lock);
    char *second = strstr (strstr (text, "entry_hash = \"0020") + 1, "entry_hash = \"0020");
    second[30] = second[30] == 'a' ? 'b' : 'a';
    s_write (f.lock, text);
    free (text);
    int status = s_run (&out,
                        "timeout 60 %s --data-dir %s/node --http-address 127.0.0.1 -p 0 -t 0 --mdns false "
                        "--migrate %s",
                        panda_test_bin ("pandad"), f.dir, f.lock);
    assert_int_equal (status, 1);
    char expected[256];
    snprintf (expected, sizeof expected, "cannot start: migrate %s: commit 2 (0020", f.lock);
    if (!strstr (out, expected) || !strstr (out, "entry_hash does not match its entry"))
        fail_msg ("unexpected output: %s", out);
    free (out);
    s_files_remove (&f);
}

static int
s_setup (void **state)
{
    return panda_fixture_setup ((panda_fixture_t **) state, NULL);
}

static int
s_teardown (void **state)
{
    panda_fixture_t *node = *state;
    return panda_fixture_stop (&node) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_cli_schema_build_and_deploy, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_schema_deploy_refuses_changed_lock, s_setup, s_teardown),
        cmocka_unit_test (test_node_migrate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
