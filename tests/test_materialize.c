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
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852000136002081b7328bc7e629597958a92f468c2f"
     "431d97d5049bb5d8996548b5c6a3659476289c211eba576954c1868a40c723028143f835fbbb22f174c4174305376fbfd44b0b2b93dc"
     "f3f006c52a2b0c3e950bd9487781a154bf7e9d1cb6ad48a7000409",
     "840100781a736368656d615f6669656c645f646566696e6974696f6e5f7631a2646e616d65676d657373616765647479706563737472"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185201016b00200b73456f358f5e63ccae3c4ddf2f9f0f"
     "adb172a04227187a07f93920b5cfb9255b3e894a7943874207856774b2d9f5f3c7fe74fec81b78bcbf1a4b0163b2d6ae9159b5914114"
     "9863b9606bf93f5c6c6e25c73f3235dfe4774c0382f3eb3f980e",
     "84010074736368656d615f646566696e6974696f6e5f7631a36b6465736372697074696f6e6e412063686174206d657373616765666669"
     "656c6473818158220020d9dc78bcba6bf46495dc852b894978989e689c23b16f3047af127b59e69bea0b646e616d656463686174"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185202015d00205f312d0eb936c711e0f924d38b3ab913"
     "c0332a236fdf7121b98a2bda02a799638947e8d3f9851e44661da85ffb0442544961aef62339c3c89126af8becea1029fa07955a2832"
     "32ade99b12c6cb9e65a974e2761eb375a4b1d5628297bcb5f40f",
     "8401007849636861745f3030323063663963643438663739666133643232323637613037373761336665303135333437333265363235"
     "393361333361663466653337356136366138353036393661a1676d6573736167656548656c6c6f"},
    {"003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852020200206cc1531f9cd9651d30907ab0a839085a7f"
     "bf714b5e194dc0951284efc0629273880020cc5eed628e3e688b4cf8cf23a3f137693f90b5e5f7691aa7078d883514d58b201c65a01f"
     "86989f3865b1d91ce2d694920e3fdbe707e109c0d71c3d4e00da58e5d427633daedf1d1c42278d65c5a2947327ffd4c240c34be7e6ea"
     "c069287d9203",
     "8501017849636861745f30303230636639636434386637396661336432323236376130373737613366653031353334373332653632"
     "35393361333361663466653337356136366138353036393661815822"
     "00206cc1531f9cd9651d30907ab0a839085a7fbf714b5e194dc0951284efc0629273a1676d6573736167656b48656c6c6f20616761696e"},
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_materialize_worked_example),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
