/*  test_schema_lock.c - schema.toml -> schema.lock as fishy builds it, the
    lock file parser's checks, and the diff against an existing lock.     */
#include "panda_test.h"
#include "panda/panda_schema_lock.h"

#include <stdio.h>

#define S_KEY "9c6ab6e2b6fd2bf4d4e0fa1ff6bcf8b7e4f1b4d4b8d6c3b4d2e1f0a9b8c7d6e5"

static const char s_schema_file[] = PANDA_TEST_SCHEMA_FILE;

static panda_keypair_t *
s_key (void)
{
    panda_error_t err;
    panda_keypair_t *keypair = panda_keypair_new_from_hex (S_KEY, strlen (S_KEY), &err);
    assert_non_null (keypair);
    return keypair;
}

static panda_schema_file_t *
s_file (const char *text)
{
    panda_error_t err;
    panda_schema_file_t *file = panda_schema_file_parse (text, strlen (text), &err);
    if (!file)
        fail_msg ("%s", err.message);
    return file;
}

//  Build text onto lock (NULL: a new one); returns the lock, *added set.
static panda_schema_lock_t *
s_build (panda_schema_lock_t *lock, const char *text, size_t *added, panda_schema_file_t **file_p)
{
    panda_keypair_t *keypair = s_key ();
    panda_schema_file_t *file = s_file (text);
    if (!lock)
        lock = panda_schema_lock_new ();
    panda_error_t err;
    if (panda_schema_lock_build (lock, file, keypair, added, &err))
        fail_msg ("%s", err.message);
    panda_keypair_destroy (&keypair);
    if (file_p)
        *file_p = file;
    else
        panda_schema_file_destroy (&file);
    return lock;
}

static char *
s_hash_hex (const panda_schema_lock_t *lock, size_t i)
{
    static char hex[PANDA_HASH_HEX_SIZE + 1];
    return panda_hash_to_hex (panda_entry_hash (panda_schema_lock_entry (lock, i)), hex);
}

static void
s_expect_commit (const panda_schema_lock_t *lock, size_t i, const char *schema_id, panda_action_t action,
                 uint64_t log_id, uint64_t seq_num)
{
    assert_string_equal (panda_operation_schema_id (panda_schema_lock_operation (lock, i)), schema_id);
    assert_int_equal (panda_operation_action (panda_schema_lock_operation (lock, i)), action);
    assert_int_equal (panda_entry_log_id (panda_schema_lock_entry (lock, i)), log_id);
    assert_int_equal (panda_entry_seq_num (panda_schema_lock_entry (lock, i)), seq_num);
}

static const char *
s_str_field (const panda_schema_lock_t *lock, size_t i, const char *name)
{
    const panda_value_t *v = panda_operation_field (panda_schema_lock_operation (lock, i), name);
    assert_non_null (v);
    assert_int_equal (v->kind, PANDA_VALUE_STR);
    return (const char *) v->as.bytes.data;
}

//  A new lock: fields by name then their schema, the related schema
//  first; every CREATE in a new log; ids from the definitions' hashes.
static void
test_schema_lock_build_new (void **state)
{
    size_t added;
    panda_schema_file_t *file;
    panda_schema_lock_t *lock = s_build (NULL, s_schema_file, &added, &file);
    assert_int_equal (added, 6);
    assert_int_equal (panda_schema_lock_count (lock), 6);
    const char *F = PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, *D = PANDA_SCHEMA_ID_SCHEMA_DEFINITION;
    s_expect_commit (lock, 0, F, PANDA_ACTION_CREATE, 0, 1);
    assert_string_equal (s_str_field (lock, 0, "name"), "name");
    s_expect_commit (lock, 1, D, PANDA_ACTION_CREATE, 1, 1);
    assert_string_equal (s_str_field (lock, 1, "name"), "venue");
    assert_string_equal (s_str_field (lock, 1, "description"), "A place");
    char venue_id[128];
    snprintf (venue_id, sizeof venue_id, "venue_%s", s_hash_hex (lock, 1));
    s_expect_commit (lock, 2, F, PANDA_ACTION_CREATE, 2, 1);
    assert_string_equal (s_str_field (lock, 2, "name"), "date");
    assert_string_equal (s_str_field (lock, 2, "type"), "int");
    assert_string_equal (s_str_field (lock, 3, "name"), "title");
    assert_string_equal (s_str_field (lock, 4, "name"), "venue");
    char relation[160];
    snprintf (relation, sizeof relation, "relation(%s)", venue_id);
    assert_string_equal (s_str_field (lock, 4, "type"), relation);
    s_expect_commit (lock, 5, D, PANDA_ACTION_CREATE, 5, 1);
    //  The event's fields: the three field definitions, in name order.
    const panda_value_t *fields = panda_operation_field (panda_schema_lock_operation (lock, 5), "fields");
    assert_int_equal (fields->kind, PANDA_VALUE_HASH_LIST_LIST);
    assert_int_equal (fields->as.lists.count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true (panda_hash_eq (&fields->as.lists.lists[i].items[0],
                                    panda_entry_hash (panda_schema_lock_entry (lock, 2 + i))));
    assert_int_equal (panda_schema_file_count (file), 2);
    assert_string_equal (panda_schema_file_schema_id (file, 0), venue_id);
    assert_int_equal (panda_schema_file_change (file, 0), PANDA_SCHEMA_CREATED);
    char event_id[128];
    snprintf (event_id, sizeof event_id, "event_%s", s_hash_hex (lock, 5));
    assert_string_equal (panda_schema_file_schema_id (file, 1), event_id);
    panda_schema_file_destroy (&file);
    panda_schema_lock_destroy (&lock);
}

//  Same key, same file: the same bytes (signatures are deterministic), and
//  the text parses back to the same lock.
static void
test_schema_lock_format_round_trip (void **state)
{
    size_t added;
    panda_schema_lock_t *a = s_build (NULL, s_schema_file, &added, NULL);
    panda_schema_lock_t *b = s_build (NULL, s_schema_file, &added, NULL);
    char *text_a = panda_schema_lock_format (a), *text_b = panda_schema_lock_format (b);
    assert_string_equal (text_a, text_b);
    assert_non_null (strstr (text_a, "version = 1\n\n[[commits]]\nentry_hash = \""));
    panda_error_t err;
    panda_schema_lock_t *parsed = panda_schema_lock_parse (text_a, strlen (text_a), &err);
    if (!parsed)
        fail_msg ("%s", err.message);
    char *text_c = panda_schema_lock_format (parsed);
    assert_string_equal (text_a, text_c);
    //  Nothing changed: nothing to add, same ids.
    panda_schema_file_t *file;
    parsed = s_build (parsed, s_schema_file, &added, &file);
    assert_int_equal (added, 0);
    assert_int_equal (panda_schema_file_change (file, 0), PANDA_SCHEMA_UNCHANGED);
    assert_int_equal (panda_schema_file_change (file, 1), PANDA_SCHEMA_UNCHANGED);
    char id[128];
    snprintf (id, sizeof id, "event_%s", s_hash_hex (parsed, 5));
    assert_string_equal (panda_schema_file_schema_id (file, 1), id);
    panda_schema_file_destroy (&file);
    free (text_a), free (text_b), free (text_c);
    panda_schema_lock_destroy (&a);
    panda_schema_lock_destroy (&b);
    panda_schema_lock_destroy (&parsed);
}

static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    assert_non_null (at);
    char *out = malloc (strlen (text) + strlen (to) + 1);
    size_t head = (size_t) (at - text);
    memcpy (out, text, head);
    strcpy (out + head, to);
    strcat (out, at + strlen (from));
    return out;
}

//  A changed description: an UPDATE of the venue definition with just the
//  description, in its log; the venue's id changes, so the event's
//  relation field and the event follow with UPDATEs.
static void
test_schema_lock_build_update (void **state)
{
    size_t added;
    panda_schema_lock_t *lock = s_build (NULL, s_schema_file, &added, NULL);
    char old_venue[PANDA_HASH_HEX_SIZE + 1], old_field[PANDA_HASH_HEX_SIZE + 1];
    strcpy (old_venue, s_hash_hex (lock, 1));
    strcpy (old_field, s_hash_hex (lock, 4));
    char *changed = s_replace (s_schema_file, "A place", "A place to meet");
    panda_schema_file_t *file;
    lock = s_build (lock, changed, &added, &file);
    assert_int_equal (added, 3);
    const char *F = PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, *D = PANDA_SCHEMA_ID_SCHEMA_DEFINITION;
    s_expect_commit (lock, 6, D, PANDA_ACTION_UPDATE, 1, 2);
    const panda_operation_t *op = panda_schema_lock_operation (lock, 6);
    assert_int_equal (panda_operation_field_count (op), 1);
    assert_string_equal (s_str_field (lock, 6, "description"), "A place to meet");
    size_t n;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_hash_to_hex (&panda_operation_previous (op, &n)[0], hex), old_venue);
    assert_string_equal (panda_hash_to_hex (panda_entry_backlink (panda_schema_lock_entry (lock, 6)), hex),
                         old_venue);
    s_expect_commit (lock, 7, F, PANDA_ACTION_UPDATE, 4, 2);
    char relation[160];
    snprintf (relation, sizeof relation, "relation(venue_%s)", s_hash_hex (lock, 6));
    assert_string_equal (s_str_field (lock, 7, "type"), relation);
    assert_string_equal (
        panda_hash_to_hex (&panda_operation_previous (panda_schema_lock_operation (lock, 7), &n)[0], hex),
        old_field);
    s_expect_commit (lock, 8, D, PANDA_ACTION_UPDATE, 5, 2);
    assert_null (panda_operation_field (panda_schema_lock_operation (lock, 8), "description"));
    assert_non_null (panda_operation_field (panda_schema_lock_operation (lock, 8), "fields"));
    assert_int_equal (panda_schema_file_change (file, 0), PANDA_SCHEMA_UPDATED);
    assert_int_equal (panda_schema_file_change (file, 1), PANDA_SCHEMA_UPDATED);
    panda_schema_file_destroy (&file);
    //  A new field: its CREATE, then the event's fields (only) updated.
    char *more = s_replace (changed, "title = ", "open = { type = \"bool\" }\ntitle = ");
    lock = s_build (lock, more, &added, NULL);
    assert_int_equal (added, 2);
    s_expect_commit (lock, 9, F, PANDA_ACTION_CREATE, 6, 1);
    s_expect_commit (lock, 10, D, PANDA_ACTION_UPDATE, 5, 3);
    assert_int_equal (panda_operation_field_count (panda_schema_lock_operation (lock, 10)), 1);
    //  The whole history parses back.
    char *text = panda_schema_lock_format (lock);
    panda_error_t err;
    panda_schema_lock_t *parsed = panda_schema_lock_parse (text, strlen (text), &err);
    if (!parsed)
        fail_msg ("%s", err.message);
    assert_int_equal (panda_schema_lock_count (parsed), 11);
    panda_schema_lock_destroy (&parsed);
    free (text);
    free (more);
    free (changed);
    panda_schema_lock_destroy (&lock);
}

static void
s_expect_refused (const char *text, const char *message)
{
    panda_error_t err;
    panda_schema_lock_t *lock = panda_schema_lock_parse (text, strlen (text), &err);
    if (lock)
        fail_msg ("accepted a lock file that should fail with: %s", message);
    if (!strstr (err.message, message))
        fail_msg ("expected \"%s\" in \"%s\"", message, err.message);
}

//  Whatever was changed by hand is refused, naming the commit.
static void
test_schema_lock_refuses_changes (void **state)
{
    size_t added;
    panda_schema_lock_t *lock = s_build (NULL, s_schema_file, &added, NULL);
    char *somewhere = s_replace (s_schema_file, "A place", "Somewhere");
    lock = s_build (lock, somewhere, &added, NULL);
    free (somewhere);
    char *text = panda_schema_lock_format (lock);
    //  A changed entry hash.
    char hash[PANDA_HASH_HEX_SIZE + 1], other[PANDA_HASH_HEX_SIZE + 1];
    strcpy (hash, s_hash_hex (lock, 2));
    strcpy (other, hash);
    other[10] = other[10] == 'a' ? 'b' : 'a';
    char from[100], to[100];
    snprintf (from, sizeof from, "entry_hash = \"%s\"", hash);
    snprintf (to, sizeof to, "entry_hash = \"%s\"", other);
    char *bad = s_replace (text, from, to);
    char message[200];
    snprintf (message, sizeof message, "commit 3 (%s): entry_hash does not match its entry", other);
    s_expect_refused (bad, message);
    free (bad);
    //  A changed operation (another description): the payload hash.
    size_t op_len;
    const uint8_t *op = panda_schema_lock_operation_bytes (lock, 1, &op_len);
    char *op_hex = panda_test_hex (op, op_len);
    char *changed_hex = strdup (op_hex);
    char *desc = strstr (changed_hex, "4120706c616365"); //  "A place"
    assert_non_null (desc);
    desc[1] = '2'; //  "B place"
    bad = s_replace (text, op_hex, changed_hex);
    s_expect_refused (bad, "commit 2 (");
    s_expect_refused (bad, "operation needs to match payload hash of encoded entry");
    free (bad), free (op_hex), free (changed_hex);
    //  The update before the entry it links back to: out of order.
    char *first = strstr (text, "[[commits]]"), *update = strstr (text, "[[commits]]");
    for (int i = 0; i < 6; i++)
        update = strstr (update + 1, "[[commits]]");
    char *end = strstr (update + 1, "[[commits]]");
    size_t update_len = end ? (size_t) (end - update) : strlen (update);
    bad = malloc (strlen (text) + 1);
    size_t head = (size_t) (first - text);
    memcpy (bad, text, head);
    memcpy (bad + head, update, update_len);
    memcpy (bad + head + update_len, first, (size_t) (update - first));
    strcpy (bad + head + update_len + (update - first), update + update_len);
    s_expect_refused (bad, "commit 1 (");
    s_expect_refused (bad, "does not match expected seq num of 1");
    free (bad);
    //  Layout.
    s_expect_refused ("version = 2\n", "unsupported lock file version 2");
    s_expect_refused ("commits = []\n", "missing version");
    s_expect_refused ("version = 1\nextra = 1\n", "unknown key 'extra' in lock file");
    s_expect_refused ("version = 1\n[[commits]]\nentry_hash = \"00\"\n",
                      "commit 1 (00): entry_hash: invalid hash length 1");
    bad = s_replace (text, "operation = \"", "note = \"x\"\noperation = \"");
    s_expect_refused (bad, "commit 1 (");
    s_expect_refused (bad, "unknown field 'note'");
    free (bad);
    s_expect_refused ("version = 1\n[commits\n", "invalid TOML: line 2: expected ']' after the table name");
    //  An empty lock file is fine.
    panda_error_t err;
    panda_schema_lock_t *empty = panda_schema_lock_parse ("version = 1\n", 12, &err);
    assert_non_null (empty);
    assert_int_equal (panda_schema_lock_count (empty), 0);
    panda_schema_lock_destroy (&empty);
    free (text);
    panda_schema_lock_destroy (&lock);
}

static void
test_schema_file_errors (void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"", "Schema file is empty"},
        {"[ab]\ndescription = \"x\"\nfields = {}\n", "Schema ab does not contain any fields"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"text\" }\n",
         "schema ab: field 'f': type must be"},
        {"[ab]\ndescription = \"x\"\nlabel = 1\n[ab.fields]\nf = { type = \"str\" }\n",
         "schema ab: unknown key 'label'"},
        {"[ab]\n[ab.fields]\nf = { type = \"str\" }\n", "schema ab: missing description"},
        {"[a-b]\ndescription = \"x\"\n[a-b.fields]\nf = { type = \"str\" }\n",
         "schema a-b: not a valid schema name"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\n9f = { type = \"str\" }\n",
         "field '9f': not a valid field name"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\", schema = { name = \"cd\" } }\n",
         "schema ab, field 'f': no schema named cd in this file"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\", schema = { name = \"ab\" } }\n",
         "Cyclic dependency detected between relations"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\", schema = { name = \"cd\" } }\n"
         "[cd]\ndescription = \"x\"\n[cd.fields]\ng = { type = \"relation_list\", schema = { name = \"ab\" } "
         "}\n",
         "Cyclic dependency detected between relations"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\", schema = { name = \"ab\", path "
         "= \"x\" } }\n",
         "schemas from other files or repositories are not supported"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\", schema = { id = \"venue\" } }\n",
         "schema id: malformed schema id `venue`"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"relation\" }\n",
         "a relation field needs schema"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"str\", schema = { name = \"ab\" } }\n",
         "a str field has no schema"},
        {"[ab]\ndescription = \"x\"\n[ab.fields]\nf = 'str'\n", "expected a table such as"},
        {"[ab\n", "Invalid TOML syntax in schema file: line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        panda_schema_file_t *file = panda_schema_file_parse (cases[i].text, strlen (cases[i].text), &err);
        if (file)
            fail_msg ("accepted: %s", cases[i].text);
        if (!strstr (err.message, cases[i].message))
            fail_msg ("case %zu: expected \"%s\" in \"%s\"", i, cases[i].message, err.message);
    }
    //  A relation by id names that schema in the field type.
    const char *id = "venue_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b";
    char text[512];
    snprintf (text, sizeof text,
              "[ab]\ndescription = \"x\"\n[ab.fields]\nf = { type = \"pinned_relation_list\", schema = { id "
              "= \"%s\" } }\n",
              id);
    size_t added;
    panda_schema_lock_t *lock = s_build (NULL, text, &added, NULL);
    char type[200];
    snprintf (type, sizeof type, "pinned_relation_list(%s)", id);
    assert_string_equal (s_str_field (lock, 0, "type"), type);
    panda_schema_lock_destroy (&lock);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_schema_lock_build_new),
        cmocka_unit_test (test_schema_lock_format_round_trip),
        cmocka_unit_test (test_schema_lock_build_update),
        cmocka_unit_test (test_schema_lock_refuses_changes),
        cmocka_unit_test (test_schema_file_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
