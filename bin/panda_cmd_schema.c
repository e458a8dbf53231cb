/*  panda_cmd_schema.c - `panda schema build|deploy`: fishy's workflow.

    build [SCHEMA_FILE] [--lock FILE] [--key FILE] [--dry-run]
        Reads schema.toml (default) and schema.lock (default; a missing one
        is an empty lock), signs the commits that bring the lock to the
        schema file with the key (--key FILE, or the file $PANDA_KEY_FILE
        names: 64 hex characters, as `panda key new FILE` writes) and
        appends them to the lock file (written whole, then renamed over).
        Prints each schema's id and whether it was created, updated or
        unchanged. --dry-run prints the same and writes nothing. fishy's
        spellings work too: -s/--schema, -l/--lock, -k/--key, -i/--inspect.
    deploy [LOCK_FILE] [--node URL]
        Checks the whole lock file (hashes, signatures, logs) before
        sending anything, then, in order, asks the node (default
        http://localhost:2020/graphql) with nextArgs whether it has each
        commit and publishes those it lacks. fishy's -e/--endpoint and
        -l/--lock work too.                                                 */
#include "panda_cmd.h"
#include "panda_http_client.h"
#include "panda/panda_hex.h"
#include "panda/panda_schema_lock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#define S_DEFAULT_NODE "http://localhost:2020/graphql"
#define S_TIMEOUT_MS 30000 //  one request to the node

static const char s_usage_build[] =
    "usage: panda schema build [SCHEMA_FILE] [--lock FILE] [--key FILE] [--dry-run]";
static const char s_usage_deploy[] = "usage: panda schema deploy [LOCK_FILE] [--node URL]";

static const char s_next_args[] =
    "query NextArgs($publicKey: String!, $viewId: String) { nextArgs(publicKey: $publicKey, viewId: $viewId) "
    "{ logId seqNum backlink skiplink } }";
static const char s_publish[] =
    "mutation Publish($entry: String!, $operation: String!) { publish(entry: $entry, "
    "operation: $operation) { logId seqNum backlink skiplink } }";

//  A whole file (at most PANDA_SCHEMA_LOCK_MAX_BYTES). NULL with errno
//  set (EFBIG when too large); *len its size. Caller frees.
static char *
s_read_file (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc (cap + 1);
    while (buf) {
        n += fread (buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *grown = cap <= PANDA_SCHEMA_LOCK_MAX_BYTES ? realloc (buf, cap * 2 + 1) : NULL;
        if (!grown) {
            free (buf);
            buf = NULL;
            errno = cap <= PANDA_SCHEMA_LOCK_MAX_BYTES ? ENOMEM : EFBIG;
            break;
        }
        buf = grown, cap *= 2;
    }
    bool failed = ferror (f);
    fclose (f);
    if (buf && failed) {
        free (buf);
        errno = EIO;
        return NULL;
    }
    if (buf)
        buf[n] = '\0', *len = n;
    return buf;
}

//  The key pair in path: 64 hex characters, whitespace around allowed.
static panda_keypair_t *
s_read_key (const char *path)
{
    size_t len;
    char *text = s_read_file (path, &len);
    if (!text) {
        panda_cmd_fail ("cannot read key file %s: %s", path, strerror (errno));
        return NULL;
    }
    char *start = text;
    while (len && strchr (" \t\r\n", *start))
        start++, len--;
    while (len && strchr (" \t\r\n", start[len - 1]))
        len--;
    panda_error_t err;
    panda_keypair_t *keypair = panda_keypair_new_from_hex (start, len, &err);
    sodium_memzero (text, strlen (text));
    free (text);
    if (!keypair)
        panda_cmd_fail ("key file %s: %s", path, err.message);
    return keypair;
}

static panda_schema_lock_t *
s_read_lock (const char *path, bool missing_is_empty)
{
    size_t len;
    char *text = s_read_file (path, &len);
    if (!text && errno == ENOENT && missing_is_empty)
        return panda_schema_lock_new ();
    if (!text) {
        panda_cmd_fail ("cannot read lock file %s: %s", path,
                        errno == EFBIG ? "too large" : strerror (errno));
        return NULL;
    }
    panda_error_t err;
    panda_schema_lock_t *lock = panda_schema_lock_parse (text, len, &err);
    free (text);
    if (!lock)
        panda_cmd_fail ("%s: %s", path, err.message);
    return lock;
}

//  Write text to path via path.tmp and a rename: never half a lock file.
static int
s_write_file (const char *path, const char *text)
{
    char tmp[4096];
    if (snprintf (tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
        return panda_cmd_fail ("path too long: %s", path);
    FILE *f = fopen (tmp, "wb");
    if (!f)
        return panda_cmd_fail ("cannot write %s: %s", tmp, strerror (errno));
    bool ok = fputs (text, f) >= 0 && fflush (f) == 0 && fsync (fileno (f)) == 0;
    ok = fclose (f) == 0 && ok;
    if (!ok || rename (tmp, path) != 0) {
        int saved = errno;
        unlink (tmp);
        return panda_cmd_fail ("cannot write %s: %s", path, strerror (saved));
    }
    return 0;
}

//  The value of option name (or its fishy alias) at argv[*i] ("--x VALUE"),
//  advancing *i.
static const char *
s_option (int argc, char **argv, int *i, const char *name, const char *alias)
{
    if ((strcmp (argv[*i], name) != 0 && strcmp (argv[*i], alias) != 0) || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int
s_build (int argc, char **argv)
{
    const char *schema_path = NULL, *lock_path = "schema.lock", *key_path = getenv ("PANDA_KEY_FILE"), *v;
    bool dry_run = false;
    for (int i = 2; i < argc; i++) {
        if ((v = s_option (argc, argv, &i, "--lock", "-l")))
            lock_path = v;
        else if ((v = s_option (argc, argv, &i, "--key", "-k")))
            key_path = v;
        else if ((v = s_option (argc, argv, &i, "--schema", "-s")) && !schema_path)
            schema_path = v;
        else if (strcmp (argv[i], "--dry-run") == 0 || strcmp (argv[i], "--inspect") == 0 ||
                 strcmp (argv[i], "-i") == 0)
            dry_run = true;
        else if (strcmp (argv[i], "--private-key") == 0)
            return panda_cmd_fail ("a private key never goes on the command line: use --key FILE");
        else if (argv[i][0] != '-' && !schema_path)
            schema_path = argv[i];
        else
            return panda_cmd_fail ("%s", s_usage_build);
    }
    if (!schema_path)
        schema_path = "schema.toml";
    if (!key_path || !*key_path)
        return panda_cmd_fail (
            "no signing key: give --key FILE or set PANDA_KEY_FILE (make one with `panda key new "
            "FILE`)");
    size_t len;
    char *text = s_read_file (schema_path, &len);
    if (!text)
        return panda_cmd_fail ("cannot read schema file %s: %s", schema_path,
                               errno == EFBIG ? "too large" : strerror (errno));
    panda_error_t err;
    panda_schema_file_t *file = panda_schema_file_parse (text, len, &err);
    free (text);
    if (!file)
        return panda_cmd_fail ("%s: %s", schema_path, err.message);
    panda_schema_lock_t *lock = s_read_lock (lock_path, true);
    panda_keypair_t *keypair = lock ? s_read_key (key_path) : NULL;
    int rc = 1;
    size_t added = 0;
    if (keypair && panda_schema_lock_build (lock, file, keypair, &added, &err))
        panda_cmd_fail ("%s: %s", lock_path, err.message);
    else if (keypair) {
        static const char *changes[] = {"unchanged", "created", "updated"};
        for (size_t i = 0; i < panda_schema_file_count (file); i++)
            printf ("%s %s\n", panda_schema_file_schema_id (file, i),
                    changes[panda_schema_file_change (file, i)]);
        char *formatted = added && !dry_run ? panda_schema_lock_format (lock) : NULL;
        if (added == 0) {
            printf ("no new changes to commit: %s is up to date\n", lock_path);
            rc = 0;
        } else if (dry_run) {
            printf ("%zu new commits (dry run: %s not written)\n", added, lock_path);
            rc = 0;
        } else if (!formatted)
            panda_cmd_fail ("out of memory");
        else if ((rc = s_write_file (lock_path, formatted)) == 0)
            printf ("%zu new commits written to %s\n", added, lock_path);
        free (formatted);
    }
    panda_keypair_destroy (&keypair);
    panda_schema_lock_destroy (&lock);
    panda_schema_file_destroy (&file);
    return rc;
}

//  A GraphQL answer, kept up to PANDA_SCHEMA_ANSWER_MAX bytes.
#define PANDA_SCHEMA_ANSWER_MAX (64u << 20)
typedef struct {
    char *data;
    size_t len, cap;
} s_answer_t;

static int
s_answer_sink (void *ctx, const void *data, size_t len, panda_error_t *err)
{
    s_answer_t *answer = ctx;
    if (len > PANDA_SCHEMA_ANSWER_MAX - answer->len) {
        panda_error_set (err, PANDA_ERR_LIMIT, "the node's answer is over %u bytes", PANDA_SCHEMA_ANSWER_MAX);
        return -1;
    }
    if (answer->len + len > answer->cap) {
        size_t cap = answer->cap ? answer->cap * 2 : 4096;
        while (cap < answer->len + len)
            cap *= 2;
        char *grown = realloc (answer->data, cap);
        if (!grown) {
            panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            return -1;
        }
        answer->data = grown;
        answer->cap = cap;
    }
    memcpy (answer->data + answer->len, data, len);
    answer->len += len;
    return 0;
}

//  POST a GraphQL request. Returns 0 with *data the answer's data.<field>
//  (*root_p owns it), 1 when the node answered with an error (its first
//  message in error), -1 when it could not be asked (why in error).
static int
s_graphql (const char *url, const char *query, json_t *variables, const char *field, char *error, size_t size,
           json_t **root_p, json_t **data_p)
{
    *root_p = *data_p = NULL;
    panda_http_url_t parsed;
    panda_error_t err;
    if (panda_http_url_parse (&parsed, url, &err) != PANDA_OK)
        return snprintf (error, size, "%s", err.message), -1;
    json_t *request = json_pack ("{s:s, s:O}", "query", query, "variables", variables);
    char *body = request ? json_dumps (request, JSON_COMPACT) : NULL;
    json_decref (request);
    if (!body)
        return snprintf (error, size, "out of memory"), -1;
    s_answer_t answer = {0};
    panda_http_request_t post = {.method = "POST",
                                 .path = "/graphql",
                                 .content_type = "application/json",
                                 .body = body,
                                 .body_len = strlen (body),
                                 .timeout_ms = S_TIMEOUT_MS,
                                 .sink = s_answer_sink,
                                 .ctx = &answer};
    panda_http_answer_t head;
    panda_err_t rc = panda_http_client_request (&parsed, &post, &head, &err);
    free (body);
    if (rc) {
        free (answer.data);
        return snprintf (error, size, "%s", err.message), -1;
    }
    json_t *root = json_loadb (answer.data ? answer.data : "", answer.len, 0, NULL);
    free (answer.data);
    json_t *data = json_object_get (json_object_get (root, "data"), field);
    json_t *first = json_array_get (json_object_get (root, "errors"), 0);
    const char *message = json_string_value (json_object_get (first, "message"));
    if (message || (root && !json_is_object (data))) {
        snprintf (error, size, "%s", message ? message : "no answer to the request");
        json_decref (root);
        return 1;
    }
    if (!root)
        return snprintf (error, size, "%s answered HTTP %d without JSON (is it a p2panda node?)", url,
                         head.status),
               -1;
    *root_p = root, *data_p = data;
    return 0;
}

//  A LogId or SeqNum of an answer (a decimal string, or a number).
static bool
s_u64 (json_t *value, uint64_t *out)
{
    if (json_is_integer (value) && json_integer_value (value) >= 0)
        return *out = (uint64_t) json_integer_value (value), true;
    const char *text = json_string_value (value);
    char *end;
    if (!text || !*text || strspn (text, "0123456789") != strlen (text))
        return false;
    errno = 0;
    *out = strtoull (text, &end, 10);
    return errno == 0;
}

//  One commit: 1 published, 0 the node had it, -1 failed (reported).
static int
s_deploy_commit (const panda_schema_lock_t *lock, size_t i, const char *url)
{
    const panda_entry_t *entry = panda_schema_lock_entry (lock, i);
    panda_public_key_t pk = panda_entry_public_key (entry);
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1], hash[PANDA_HASH_HEX_SIZE + 1],
        error[PANDA_ERROR_MESSAGE_MAX];
    panda_hash_to_hex (panda_entry_hash (entry), hash);
    json_t *root, *args,
        *vars = json_pack ("{s:s, s:s}", "publicKey", panda_public_key_to_hex (&pk, key_hex), "viewId", hash);
    if (!vars)
        return panda_cmd_fail ("out of memory"), -1;
    int asked = s_graphql (url, s_next_args, vars, "nextArgs", error, sizeof error, &root, &args);
    json_decref (vars);
    uint64_t log_id, seq_num;
    if (asked < 0)
        return panda_cmd_fail ("%s", error), -1;
    //  An error ("Previous operation ... not found in store"): the node
    //  lacks it, as fishy reads it.
    if (asked == 0) {
        //  Known to the node (it found the operation): it must be in the same log, and behind its head.
        bool parsed = s_u64 (json_object_get (args, "logId"), &log_id) &&
                      s_u64 (json_object_get (args, "seqNum"), &seq_num);
        json_decref (root);
        if (!parsed || log_id != panda_entry_log_id (entry))
            return panda_cmd_fail (
                       "commit %zu (%s): the node has this operation in another log than the lock file "
                       "says",
                       i + 1, hash),
                   -1;
        if (panda_entry_seq_num (entry) < seq_num)
            return 0;
    }
    size_t entry_len, op_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    const uint8_t *op_bytes = panda_schema_lock_operation_bytes (lock, i, &op_len);
    char *entry_hex = panda_hex_encode (entry_bytes, entry_len),
         *op_hex = op_bytes ? panda_hex_encode (op_bytes, op_len) : NULL;
    vars = entry_hex && op_hex ? json_pack ("{s:s, s:s}", "entry", entry_hex, "operation", op_hex) : NULL;
    free (entry_hex);
    free (op_hex);
    if (!vars)
        return panda_cmd_fail ("out of memory"), -1;
    int published = s_graphql (url, s_publish, vars, "publish", error, sizeof error, &root, &args);
    json_decref (vars);
    if (published < 0)
        return panda_cmd_fail ("commit %zu (%s): %s", i + 1, hash, error), -1;
    if (published > 0)
        return panda_cmd_fail ("commit %zu (%s): the node refused it: %s", i + 1, hash, error), -1;
    json_decref (root);
    return 1;
}

static int
s_deploy (int argc, char **argv)
{
    const char *lock_path = NULL, *url = S_DEFAULT_NODE, *v;
    for (int i = 2; i < argc; i++) {
        if ((v = s_option (argc, argv, &i, "--node", "-e")) ||
            (v = s_option (argc, argv, &i, "--endpoint", "-e")))
            url = v;
        else if ((v = s_option (argc, argv, &i, "--lock", "-l")) && !lock_path)
            lock_path = v;
        else if (argv[i][0] != '-' && !lock_path)
            lock_path = argv[i];
        else
            return panda_cmd_fail ("%s", s_usage_deploy);
    }
    if (!lock_path)
        lock_path = "schema.lock";
    panda_schema_lock_t *lock = s_read_lock (lock_path, false);
    if (!lock)
        return 1;
    size_t total = panda_schema_lock_count (lock), published = 0;
    int rc = total
                 ? 0
                 : panda_cmd_fail ("%s has no commits to deploy (run `panda schema build` first)", lock_path);
    for (size_t i = 0; i < total && rc == 0; i++) {
        int done = s_deploy_commit (lock, i, url);
        if (done < 0)
            rc = 1;
        published += done > 0;
    }
    if (rc == 0 && published == 0)
        printf ("nothing to deploy: the node already has all %zu commits of %s\n", total, lock_path);
    else if (rc == 0)
        printf ("deployed %zu of %zu commits of %s (the node had the other %zu)\n", published, total,
                lock_path, total - published);
    else if (published)
        fprintf (stderr, "panda: %zu commits were published before the failure; deploy again to continue\n",
                 published);
    panda_schema_lock_destroy (&lock);
    return rc;
}

int
panda_cmd_schema (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv[1], "build") == 0)
        return s_build (argc, argv);
    if (argc >= 2 && strcmp (argv[1], "deploy") == 0)
        return s_deploy (argc, argv);
    return panda_cmd_fail ("usage: panda schema build|deploy ... (see panda --help)");
}
