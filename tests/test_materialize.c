/*  test_materialize.c - the materialiser against the worked example of
    node-api §6.8, publish_sequence.json with document.json's expected
    views, schema parts in every arrival order, pinned views, deletion and
    resuming after a restart.                                              */
#include "test_materialize_util.h"

static panda_hash_t
s_hash (const char *hex)
{
    panda_hash_t hash;
    assert_int_equal (panda_hash_from_hex (&hash, hex, strlen (hex), NULL), PANDA_OK);
    return hash;
}

#define S_CHAT "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a"

//  node-api §6.8: field definition, schema definition, CREATE, UPDATE.
static const char *const s_example[4][2] = {
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852000136002081b7328bc7e629597958a92f468"
     "c2f"
     "431d97d5049bb5d8996548b5c6a3659476289c211eba576954c1868a40c723028143f835fbbb22f174c4174305376fbfd44b0b2"
     "b93dc"
     "f3f006c52a2b0c3e950bd9487781a154bf7e9d1cb6ad48a7000409",
     "840100781a736368656d615f6669656c645f646566696e6974696f6e5f7631a2646e616d65676d6573736167656474797065637"
     "37472"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185201016b00200b73456f358f5e63ccae3c4ddf2"
     "f9f0f"
     "adb172a04227187a07f93920b5cfb9255b3e894a7943874207856774b2d9f5f3c7fe74fec81b78bcbf1a4b0163b2d6ae9159b59"
     "14114"
     "9863b9606bf93f5c6c6e25c73f3235dfe4774c0382f3eb3f980e",
     "84010074736368656d615f646566696e6974696f6e5f7631a36b6465736372697074696f6e6e412063686174206d65737361676"
     "5666669"
     "656c6473818158220020d9dc78bcba6bf46495dc852b894978989e689c23b16f3047af127b59e69bea0b646e616d65646368617"
     "4"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185202015d00205f312d0eb936c711e0f924d38b3"
     "ab913"
     "c0332a236fdf7121b98a2bda02a799638947e8d3f9851e44661da85ffb0442544961aef62339c3c89126af8becea1029fa07955"
     "a2832"
     "32ade99b12c6cb9e65a974e2761eb375a4b1d5628297bcb5f40f",
     "8401007849636861745f30303230636639636434386637396661336432323236376130373737613366653031353334373332653"
     "63235"
     "393361333361663466653337356136366138353036393661a1676d6573736167656548656c6c6f"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852020200206cc1531f9cd9651d30907ab0a8390"
     "85a7f"
     "bf714b5e194dc0951284efc0629273880020cc5eed628e3e688b4cf8cf23a3f137693f90b5e5f7691aa7078d883514d58b201c6"
     "5a01f"
     "86989f3865b1d91ce2d694920e3fdbe707e109c0d71c3d4e00da58e5d427633daedf1d1c42278d65c5a2947327ffd4c240c34be"
     "7e6ea"
     "c069287d9203",
     "8501017849636861745f30303230636639636434386637396661336432323236376130373737613366653031353334373332653"
     "632"
     "35393361333361663466653337356136366138353036393661815822"
     "00206cc1531f9cd9651d30907ab0a839085a7fbf714b5e194dc0951284efc0629273a1676d6573736167656b48656c6c6f20616"
     "761696e"},
};

#define S_DOC "00206cc1531f9cd9651d30907ab0a839085a7fbf714b5e194dc0951284efc0629273"
#define S_UPDATE "002057c0d6e12feae7b46498a15d6f3f8843a7fe299c652f12690c4191e9679941df"

//  The chat schema appears once its definition is materialised (the CREATE
//  can only be published then); the updated view has "Hello again" written
//  by the UPDATE, the old view is gone.
static void
test_materialize_worked_example (void **state)
{
    t_env_t env;
    t_env_open (&env, "mat-example", false);
    t_publish_hex (&env, s_example[0][0], s_example[0][1]);
    t_publish_hex (&env, s_example[1][0], s_example[1][1]);
    assert_int_equal (t_run_all (&env, 100), 2);
    assert_int_equal (env.announced_count, 1);
    assert_string_equal (env.announced[0], S_CHAT);
    t_publish_hex (&env, s_example[2][0], s_example[2][1]);
    t_publish_hex (&env, s_example[3][0], s_example[3][1]);
    assert_int_equal (t_run_all (&env, 1), 2);
    assert_int_equal (env.announced_count, 1);
    panda_hash_t doc = s_hash (S_DOC), writer, update = s_hash (S_UPDATE);
    char *view_id = NULL;
    bool deleted = true;
    assert_true (t_current (&env, &doc, &view_id, &deleted));
    assert_false (deleted);
    assert_string_equal (view_id, S_UPDATE);
    char *text = t_text (&env, view_id, "message", &writer);
    assert_string_equal (text, "Hello again");
    assert_true (panda_hash_eq (&writer, &update));
    assert_false (t_view_stored (&env, S_DOC));
    //  The row cursor of node-api §6.8 (hex of BLAKE3("0message<update>")).
    sqlite3_stmt *stmt = t_query (&env, "SELECT cursor FROM fields f JOIN views v ON v.id = f.view"
                                        " WHERE v.view_id = '" S_UPDATE "'");
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    char *hex = panda_test_hex (sqlite3_column_blob (stmt, 0), 32);
    char *cursor = panda_base58_encode ((const uint8_t *) hex, 64);
    assert_string_equal (
        cursor, "25rsF8yKgHj3dDxuMFGsuYCKH9yGbuWtWE5e1nMCM6j9PmiUUx6wntNGiEX4LbU7H8xpxZoBGD1XdbAhFA3ywpmv");
    free (cursor), free (hex), free (text), free (view_id);
    sqlite3_finalize (stmt);
    assert_int_equal (t_count (&env, "SELECT edited FROM documents WHERE document_id = x'" S_DOC "'"), 1);
    assert_int_equal (panda_materializer_failures (env.mat), 0);
    t_env_close (&env);
}

//  --------------------------------------------------------------------------
//  publish_sequence.json and document.json

typedef struct {
    size_t failures;
    bool deleted_commit; //  E1's reason was reported
} s_log_t;

static void
s_log (void *ctx, const panda_hash_t *document_id, const char *message)
{
    s_log_t *log = ctx;
    log->failures++;
    if (strstr (message, "Cannot perform a commit on a deleted document"))
        log->deleted_commit = true;
}

//  Publish the whole sequence, materialising (batch entries per run)
//  whenever a schema is needed that is not materialised yet.
static void
s_publish_sequence (t_env_t *env, json_t *entries, size_t from, size_t to, size_t batch)
{
    for (size_t i = from; i < to; i++) {
        json_t *v = json_array_get (entries, i);
        if (!t_schema_lookup (env, json_string_value (json_object_get (v, "schema_id"))))
            t_run_all (env, batch);
        t_publish_hex (env, json_string_value (json_object_get (v, "entry_hex")),
                       json_string_value (json_object_get (v, "operation_hex")));
    }
}

static void
s_check_scenario (t_env_t *env, json_t *scenario)
{
    panda_hash_t doc = s_hash (json_string_value (json_object_get (scenario, "document_id")));
    json_t *latest = json_object_get (scenario, "expected_latest");
    char *view_id = NULL;
    bool deleted = false;
    assert_true (t_current (env, &doc, &view_id, &deleted));
    if (!json_is_true (json_object_get (latest, "build_ok"))) {
        //  E1: the DELETE cannot be reduced; the view before it stays.
        json_t *ops = json_object_get (scenario, "operations");
        json_t *update = json_array_get (ops, 1);
        assert_false (deleted);
        assert_string_equal (view_id, json_string_value (json_object_get (update, "operation_id")));
        free (view_id);
        return;
    }
    assert_int_equal (deleted, json_is_true (json_object_get (latest, "deleted")));
    if (deleted) {
        assert_null (view_id);
        return;
    }
    assert_string_equal (view_id, json_string_value (json_object_get (latest, "view_id")));
    const char *name;
    json_t *field;
    json_object_foreach (json_object_get (latest, "fields"), name, field)
    {
        panda_hash_t writer, expected = s_hash (json_string_value (json_object_get (field, "operation_id")));
        free (t_text (env, view_id, name, &writer));
        assert_true (panda_hash_eq (&writer, &expected));
    }
    free (view_id);
}

static void
test_materialize_vectors (void **state)
{
    json_t *sequence = panda_test_vectors ("publish_sequence.json");
    json_t *documents = panda_test_vectors ("document.json");
    json_t *entries = json_object_get (sequence, "entries");
    static const size_t batches[] = {1, 4, 1000};
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        t_env_t env;
        char name[32];
        snprintf (name, sizeof name, "mat-vectors-%zu", b);
        t_env_open (&env, name, false);
        s_log_t log = {0};
        panda_materializer_set_log (env.mat, s_log, &log);
        s_publish_sequence (&env, entries, 0, json_array_size (entries), batches[b]);
        t_run_all (&env, batches[b]);
        assert_int_equal (env.announced_count, 2);
        assert_true (strncmp (env.announced[0], "vector_tag_", 11) == 0);
        assert_true (strncmp (env.announced[1], "vector_item_", 12) == 0);
        size_t i;
        json_t *scenario;
        json_array_foreach (json_object_get (documents, "scenarios"), i, scenario)
            s_check_scenario (&env, scenario);
        assert_true (log.deleted_commit);
        assert_int_equal (log.failures, panda_materializer_failures (env.mat));
        t_check_all (&env);
        t_env_close (&env);
    }
    json_decref (sequence);
    json_decref (documents);
}

//  --------------------------------------------------------------------------
//  Schemas, pinned views, deletion

#define S_KEY "1f9e81007da0c007314a151be11be392de4cdc76888fbc5a8c62aa03c6730c6a"

typedef struct {
    panda_keypair_t *key;
    panda_log_writer_t *logs[8];
    panda_operation_t *ops[8];
    panda_hash_t ids[8];
} s_parts_t;

//  Sign (without publishing) field definitions message:str and at:int and a
//  chat definition pinning both, each in its own log.
static void
s_parts_new (s_parts_t *parts, t_env_t *scratch)
{
    memset (parts, 0, sizeof *parts);
    parts->key = panda_keypair_new_from_hex (S_KEY, 64, NULL);
    for (uint64_t i = 0; i < 8; i++)
        parts->logs[i] = panda_log_writer_new (parts->key, i);
    const char *fields[2][2] = {{"message", "str"}, {"at", "int"}};
    for (size_t i = 0; i < 2; i++) {
        parts->ops[i] = t_op (PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, NULL, 0);
        t_set_str (parts->ops[i], "name", fields[i][0]);
        t_set_str (parts->ops[i], "type", fields[i][1]);
    }
    parts->ops[2] = t_op (PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_SCHEMA_DEFINITION, NULL, 0);
    t_set_str (parts->ops[2], "name", "chat");
    t_set_str (parts->ops[2], "description", "A chat");
    //  Ids come from signing: publish into a scratch store to learn them.
    t_publish_op (scratch, parts->logs[0], parts->ops[0], &parts->ids[0]);
    t_publish_op (scratch, parts->logs[1], parts->ops[1], &parts->ids[1]);
    t_set_pinned_list (parts->ops[2], "fields", parts->ids, 2);
}

static void
s_parts_destroy (s_parts_t *parts)
{
    for (size_t i = 0; i < 8; i++) {
        panda_log_writer_destroy (&parts->logs[i]);
        panda_operation_destroy (&parts->ops[i]);
    }
    panda_keypair_destroy (&parts->key);
}

static panda_entry_t *
s_sign (panda_log_writer_t *writer, panda_operation_t *op)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_entry_t *entry = panda_log_writer_sign (writer, bytes, len, NULL);
    assert_non_null (entry);
    return entry;
}

static bool
s_announced (t_env_t *env, const char *schema_id)
{
    for (size_t i = 0; i < env->announced_count; i++)
        if (strcmp (env->announced[i], schema_id) == 0)
            return true;
    return false;
}

//  The schema appears exactly when its last part is materialised, in each
//  of the six arrival orders (replication may bring the definition first).
static void
test_materialize_schema_orders (void **state)
{
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (size_t o = 0; o < 6; o++) {
        t_env_t scratch, env;
        t_env_open (&scratch, "mat-scratch", false);
        s_parts_t parts;
        s_parts_new (&parts, &scratch);
        panda_entry_t *entries[3];
        for (int i = 0; i < 3; i++) {
            panda_log_writer_destroy (&parts.logs[i]);
            parts.logs[i] = panda_log_writer_new (parts.key, (uint64_t) i);
            entries[i] = s_sign (parts.logs[i], parts.ops[i]);
        }
        parts.ids[2] = *panda_entry_hash (entries[2]);
        char schema_id[128], hex[PANDA_HASH_HEX_SIZE + 1];
        snprintf (schema_id, sizeof schema_id, "chat_%s", panda_hash_to_hex (&parts.ids[2], hex));
        t_env_open (&env, "mat-orders", false);
        for (int k = 0; k < 3; k++) {
            assert_false (s_announced (&env, schema_id));
            t_publish (&env, entries[orders[o][k]], parts.ops[orders[o][k]]);
            assert_int_equal (t_run_all (&env, 1), 1);
        }
        assert_int_equal (env.announced_count, 1);
        assert_string_equal (env.announced[0], schema_id);
        panda_schema_t *schema = NULL;
        assert_int_equal (panda_views_schema_find (env.views, schema_id, &schema, NULL), PANDA_OK);
        assert_non_null (schema);
        assert_int_equal (panda_schema_field_count (schema), 2);
        assert_int_equal (panda_schema_field_kind (schema, 0), PANDA_FIELD_INT);
        panda_schema_destroy (&schema);
        for (int i = 0; i < 3; i++)
            panda_entry_destroy (&entries[i]);
        s_parts_destroy (&parts);
        t_env_close (&env);
        t_env_close (&scratch);
    }
}

//  A field definition updated after the schema: its old view stays while
//  the definition pins it, and goes when the definition pins the new one.
//  A definition pinning an old view that was never materialised gets it
//  built from the store.
static void
test_materialize_pinned_views (void **state)
{
    t_env_t env;
    t_env_open (&env, "mat-pins", false);
    s_parts_t parts;
    s_parts_new (&parts, &env);
    t_publish_op (&env, parts.logs[2], parts.ops[2], &parts.ids[2]);
    t_run_all (&env, 10);
    assert_int_equal (env.announced_count, 1);
    char old[PANDA_HASH_HEX_SIZE + 1], def[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_to_hex (&parts.ids[0], old);
    panda_hash_to_hex (&parts.ids[2], def);
    //  Update "message" -> "text": the old view is pinned, so kept.
    parts.ops[3] = t_op (PANDA_ACTION_UPDATE, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, &parts.ids[0], 1);
    t_set_str (parts.ops[3], "name", "text");
    t_publish_op (&env, parts.logs[0], parts.ops[3], &parts.ids[3]);
    t_run_all (&env, 10);
    assert_true (t_view_stored (&env, old));
    t_check_all (&env);
    //  The definition now pins the new view: a new schema, the old field
    //  view is pruned.
    parts.ops[4] = t_op (PANDA_ACTION_UPDATE, PANDA_SCHEMA_ID_SCHEMA_DEFINITION, &parts.ids[2], 1);
    panda_hash_t pinned[2] = {parts.ids[3], parts.ids[1]};
    t_set_pinned_list (parts.ops[4], "fields", pinned, 2);
    t_publish_op (&env, parts.logs[2], parts.ops[4], &parts.ids[4]);
    t_run_all (&env, 10);
    assert_false (t_view_stored (&env, old));
    assert_false (t_view_stored (&env, def));
    assert_int_equal (env.announced_count, 2);
    panda_schema_t *schema = NULL;
    assert_int_equal (panda_views_schema_find (env.views, env.announced[1], &schema, NULL), PANDA_OK);
    assert_int_equal (panda_schema_field_index (schema, "text"), 1);
    panda_schema_destroy (&schema);
    //  A new definition pinning the field's first view: rebuilt from the
    //  store, then a third schema.
    parts.ops[5] = t_op (PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_SCHEMA_DEFINITION, NULL, 0);
    t_set_str (parts.ops[5], "name", "chat");
    t_set_str (parts.ops[5], "description", "Old chat");
    t_set_pinned_list (parts.ops[5], "fields", parts.ids, 1);
    t_publish_op (&env, parts.logs[5], parts.ops[5], &parts.ids[5]);
    t_run_all (&env, 10);
    assert_true (t_view_stored (&env, old));
    assert_int_equal (env.announced_count, 3);
    assert_int_equal (panda_materializer_failures (env.mat), 0);
    t_check_all (&env);
    s_parts_destroy (&parts);
    t_env_close (&env);
}

//  CREATE, UPDATE, DELETE of a chat message: the document stays known
//  as deleted, its views and fields are gone.
static void
test_materialize_delete (void **state)
{
    t_env_t env;
    t_env_open (&env, "mat-delete", false);
    for (int i = 0; i < 2; i++)
        t_publish_hex (&env, s_example[i][0], s_example[i][1]);
    t_run_all (&env, 10);
    for (int i = 2; i < 4; i++)
        t_publish_hex (&env, s_example[i][0], s_example[i][1]);
    panda_keypair_t *key = panda_keypair_new_from_hex (S_KEY, 64, NULL);
    panda_log_writer_t *log = panda_log_writer_new (key, 2);
    for (int i = 2; i < 4; i++) { //  replay the log to continue it
        size_t len;
        uint8_t *bytes = panda_test_unhex (s_example[i][1], &len);
        panda_entry_t *entry = panda_log_writer_sign (log, bytes, len, NULL);
        panda_entry_destroy (&entry);
        free (bytes);
    }
    panda_hash_t update = s_hash (S_UPDATE), doc = s_hash (S_DOC);
    panda_operation_t *op = t_op (PANDA_ACTION_DELETE, S_CHAT, &update, 1);
    t_publish_op (&env, log, op, NULL);
    t_run_all (&env, 2);
    char *view_id = NULL;
    bool deleted = false;
    assert_true (t_current (&env, &doc, &view_id, &deleted));
    assert_true (deleted);
    assert_null (view_id);
    assert_int_equal (t_count (&env, "SELECT count (*) FROM views v JOIN documents d ON d.id = v.document"
                                     " WHERE d.document_id = x'" S_DOC "'"),
                      0);
    assert_int_equal (t_count (&env, "SELECT count (*) FROM fields WHERE view NOT IN (SELECT id FROM views)"),
                      0);
    t_check_all (&env);
    panda_operation_destroy (&op);
    panda_log_writer_destroy (&log);
    panda_keypair_destroy (&key);
    t_env_close (&env);
}

//  Stop after some runs and start again on the same files: the position
//  is kept, the rest is materialised once. Materialising everything again
//  from position 0 (what a lost commit makes the next start do, at worst)
//  ends in the same views.
static void
test_materialize_resume (void **state)
{
    json_t *sequence = panda_test_vectors ("publish_sequence.json");
    json_t *entries = json_object_get (sequence, "entries");
    t_env_t env;
    t_env_open (&env, "mat-resume", true);
    s_publish_sequence (&env, entries, 0, json_array_size (entries), 3);
    size_t done = 0;
    assert_int_equal (panda_materializer_run (env.mat, 10, &done, t_on_schema, &env, NULL), PANDA_OK);
    int64_t position = 0;
    assert_int_equal (panda_views_position (env.views, &position, NULL), PANDA_OK);
    int64_t before = position;
    t_env_stop (&env);
    t_env_start (&env);
    assert_int_equal (panda_views_position (env.views, &position, NULL), PANDA_OK);
    assert_int_equal (position, before);
    t_run_all (&env, 7);
    assert_int_equal (panda_views_position (env.views, &position, NULL), PANDA_OK);
    assert_int_equal (position, (int64_t) json_array_size (entries));
    t_check_all (&env);
    size_t announced = env.announced_count;
    assert_int_equal (panda_views_begin (env.views, NULL), PANDA_OK);
    assert_int_equal (panda_views_set_position (env.views, 0, NULL), PANDA_OK);
    assert_int_equal (panda_views_commit (env.views, NULL), PANDA_OK);
    assert_int_equal (t_run_all (&env, 5), json_array_size (entries));
    assert_int_equal (env.announced_count, announced);
    t_check_all (&env);
    t_env_close (&env);
    json_decref (sequence);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_materialize_worked_example), cmocka_unit_test (test_materialize_vectors),
        cmocka_unit_test (test_materialize_schema_orders),  cmocka_unit_test (test_materialize_pinned_views),
        cmocka_unit_test (test_materialize_delete),         cmocka_unit_test (test_materialize_resume),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
