/*  test_log_filter.c - log_level as aquadoggo users write it: a bare level,
    env_logger directives (module=level, bare module, =level, /text),
    aquadoggo's and libp2p's module names, and bad input that fails
    clearly and changes nothing. Expected levels come from env_logger's
    rules as lib/config/panda_log_filter.h states them.                  */
#include "panda_test.h"

#include "panda_log_filter.h"

enum {
    OFF = PANDA_LOG_OFF,
    ERROR = PANDA_LOG_ERROR,
    WARN = PANDA_LOG_WARN,
    INFO = PANDA_LOG_INFO,
    DEBUG = PANDA_LOG_DEBUG,
    TRACE = PANDA_LOG_TRACE
};

//  The level each part is shown at: the node's own lines ("pandad"), then
//  api, ingest, verify-0, storage, materialize, replicate.
static void
s_expect (const char *spec, const int expected[7], const char *ignored)
{
    static const char *const names[] = {"pandad",  "api",         "ingest",   "verify-0",
                                        "storage", "materialize", "replicate"};
    panda_log_filter_t f;
    panda_error_t err;
    if (panda_log_filter_parse (spec, &f, &err) != PANDA_OK)
        fail_msg ("'%s' was refused: %s", spec, err.message);
    for (size_t i = 0; i < 7; i++)
        if ((int) panda_log_filter_level (&f, names[i]) != expected[i])
            fail_msg ("'%s': %s is at %d, expected %d", spec, names[i],
                      (int) panda_log_filter_level (&f, names[i]), expected[i]);
    assert_string_equal (f.ignored, ignored);
}

static void
test_levels_and_directives (void **state)
{
    s_expect ("info", (int[]){INFO, INFO, INFO, INFO, INFO, INFO, INFO}, "");
    s_expect ("DEBUG", (int[]){DEBUG, DEBUG, DEBUG, DEBUG, DEBUG, DEBUG, DEBUG}, "");
    s_expect ("off", (int[]){OFF, OFF, OFF, OFF, OFF, OFF, OFF}, "");
    s_expect ("=TRACE", (int[]){TRACE, TRACE, TRACE, TRACE, TRACE, TRACE, TRACE}, "");
    s_expect ("aquadoggo=warn", (int[]){WARN, WARN, WARN, WARN, WARN, WARN, WARN}, "");
    s_expect ("pandad=error", (int[]){ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR}, "");
    //  aquadoggo's usual line: its own info, libp2p's debug
    s_expect ("aquadoggo=INFO,libp2p=DEBUG", (int[]){INFO, INFO, INFO, INFO, INFO, INFO, DEBUG}, "");
    //  an actor's directive beats the node's, wherever it stands
    s_expect ("api=debug,info", (int[]){INFO, DEBUG, INFO, INFO, INFO, INFO, INFO}, "");
    s_expect ("info, verify = trace , storage=off", (int[]){INFO, INFO, INFO, TRACE, OFF, INFO, INFO}, "");
    //  a bare module name: all it logs; parts not named stay off
    s_expect ("replicate", (int[]){OFF, OFF, OFF, OFF, OFF, OFF, TRACE}, "");
    //  aquadoggo's module paths and names
    s_expect ("aquadoggo::materializer::worker=debug,aquadoggo::http=warn,warn",
              (int[]){WARN, WARN, WARN, WARN, WARN, DEBUG, WARN}, "");
    s_expect ("warn,aquadoggo::replication=info,db=debug", (int[]){WARN, WARN, WARN, WARN, DEBUG, WARN, INFO},
              "");
    //  the later of two directives for one part wins
    s_expect ("info,api=debug,api=error", (int[]){INFO, ERROR, INFO, INFO, INFO, INFO, INFO}, "");
    //  other programs' modules: ignored, and named for a warning
    s_expect ("info,sqlx=debug,tower_http=trace", (int[]){INFO, INFO, INFO, INFO, INFO, INFO, INFO},
              "sqlx, tower_http");
    //  no directive at all: env_logger's default, errors only
    s_expect ("", (int[]){ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR}, "");
    s_expect (" , ", (int[]){ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR}, "");
}

static void
test_message_filter (void **state)
{
    panda_log_filter_t f;
    panda_error_t err;
    assert_int_equal (panda_log_filter_parse ("debug/document 0020", &f, &err), PANDA_OK);
    assert_string_equal (f.contains, "document 0020");
    assert_int_equal (panda_log_filter_level (&f, "api"), DEBUG);
    assert_int_equal (panda_log_filter_parse ("info", &f, &err), PANDA_OK);
    assert_string_equal (f.contains, "");
    assert_int_equal (panda_log_filter_max (&f), INFO);
    assert_int_equal (panda_log_filter_parse ("warn,replicate=trace", &f, &err), PANDA_OK);
    assert_int_equal (panda_log_filter_max (&f), TRACE);
}

static void
test_bad_filters_change_nothing (void **state)
{
    struct {
        const char *spec, *message;
    } cases[] = {
        {"loud", "'loud' is neither a level"},
        {"inf", "'inf' is neither a level"},
        {"api=loud", "invalid directive 'api=loud'"},
        {"aquadoggo=", "invalid directive 'aquadoggo='"},
        {"api=debug=info", "invalid directive 'api=debug=info'"},
        {"info/a/b", "more than one '/'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_log_filter_t f = {.node = PANDA_LOG_WARN, .contains = "kept"};
        panda_error_t err;
        if (panda_log_filter_parse (cases[i].spec, &f, &err) == PANDA_OK)
            fail_msg ("'%s' was accepted", cases[i].spec);
        assert_int_equal (err.code, PANDA_ERR_INVALID);
        if (!strstr (err.message, cases[i].message))
            fail_msg ("'%s': \"%s\" does not say \"%s\"", cases[i].spec, err.message, cases[i].message);
        assert_int_equal (f.node, PANDA_LOG_WARN);
        assert_string_equal (f.contains, "kept");
    }
}

static void
test_module_of_actor_names (void **state)
{
    assert_int_equal (panda_log_filter_module ("api"), 0);
    assert_int_equal (panda_log_filter_module ("verify-12"), 2);
    assert_int_equal (panda_log_filter_module ("replicate"), 5);
    assert_int_equal (panda_log_filter_module ("pandad"), -1);
    assert_int_equal (panda_log_filter_module ("apiary"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_levels_and_directives),
        cmocka_unit_test (test_message_filter),
        cmocka_unit_test (test_bad_filters_change_nothing),
        cmocka_unit_test (test_module_of_actor_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
