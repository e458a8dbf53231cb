/*  test_config.c - configuration: defaults, config.toml, environment, flags. */
#include "panda_test.h"
#include "panda/panda_config.h"

#include <unistd.h>

static char s_dir[] = "/tmp/panda_config_XXXXXX";

//  Write a file in the test directory; returns its path, valid for the
//  next 7 calls (a small pool, so no allocation to leak).
static const char *
s_write (const char *name, const char *text)
{
    static char pool[8][512];
    static size_t next;
    char *path = pool[next++ % 8];
    snprintf (path, sizeof pool[0], "%s/%s", s_dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

//  Load with argv (NULL-terminated list after the program name) and envp.
static panda_err_t
s_load (panda_config_t **config, const char **args, const char **env, panda_error_t *err)
{
    char *argv[32] = {"pandad"};
    int argc = 1;
    while (args && args[argc - 1])
        argv[argc] = (char *) args[argc - 1], argc++;
    *config = panda_config_new ();
    assert_non_null (*config);
    return panda_config_load (*config, argc, argv, (char **) env, err);
}

//  Simplest use: no file, no environment, no flags gives aquadoggo's defaults
//  and a persistent SQLite file inside the data directory.
static void
test_config_defaults (void **state)
{
    panda_config_t *c;
    panda_error_t err;
    const char *env[] = {"HOME=/home/panda", NULL};
    assert_int_equal (s_load (&c, NULL, env, &err), PANDA_OK);
    assert_int_equal (c->http_port, 2020);
    assert_int_equal (c->node_port, 2022);
    assert_true (c->allow_all_schema_ids);
    assert_true (c->mdns);
    assert_int_equal (c->discovery_port, 2023);
    assert_false (c->relay_mode);
    assert_string_equal (c->transport, "TCP"); //  what pandad speaks
    assert_true (c->replication_live);
    assert_int_equal (c->max_peers, 16);
    assert_int_equal (c->worker_pool_size, 16);
    assert_string_equal (c->data_dir, "/home/panda/.local/share/pandad");
    assert_string_equal (c->database_url, "sqlite:/home/panda/.local/share/pandad/pandad.sqlite3");
    assert_string_equal (c->blobs_base_path, "/home/panda/.local/share/pandad/blobs");
    assert_null (c->config_path);
    panda_config_destroy (&c);
    assert_null (c);
}

//  An aquadoggo-shaped config.toml loads; environment beats file, flags beat
//  environment.
static void
test_config_precedence (void **state)
{
    const char *file = s_write ("a.toml", "http_port = 3000\nnode_port = 3001\nlog_level = \"debug\"\n"
                                          "allow_schema_ids = [\"blob_v1\"]\nmdns = false\n");
    panda_config_t *c;
    panda_error_t err;
    const char *args[] = {"--config", file, "-p", "4000", NULL};
    const char *env[] = {"HTTP_PORT=3500", "node_port=3600", "PATH=/bin", NULL};
    assert_int_equal (s_load (&c, args, env, &err), PANDA_OK);
    assert_int_equal (c->http_port, 4000);
    assert_int_equal (c->node_port, 3600);
    assert_string_equal (c->log_level, "debug");
    assert_false (c->allow_all_schema_ids);
    assert_int_equal (c->allow_schema_ids.count, 1);
    assert_string_equal (c->allow_schema_ids.items[0], "blob_v1");
    assert_false (c->mdns);
    assert_string_equal (c->config_path, file);
    panda_config_destroy (&c);

    //  $CONFIG names the file when no flag does
    const char *env2[] = {"CONFIG=/nonexistent/from-env.toml", NULL};
    assert_int_equal (s_load (&c, NULL, env2, &err), PANDA_ERR_INVALID);
    assert_string_equal (err.message, "config file '/nonexistent/from-env.toml' does not exist");
    panda_config_destroy (&c);
}

//  The shipped-style file with every aquadoggo key loads unchanged.
static void
test_config_aquadoggo_file (void **state)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/../data/aquadoggo-style-config.toml", PANDA_TEST_VECTORS);
    panda_config_t *c;
    panda_error_t err;
    const char *args[] = {"-c", path, "--data-dir", "/srv/panda", NULL};
    if (s_load (&c, args, NULL, &err))
        fail_msg ("%s", err.message);
    assert_int_equal (c->http_port, 2020);
    assert_int_equal (c->database_max_connections, 32);
    assert_true (c->allow_all_peer_ids);
    assert_int_equal (c->direct_node_addresses.count, 0);
    assert_string_equal (c->database_url, "sqlite:/srv/panda/pandad.sqlite3");
    panda_config_destroy (&c);
}

static void
test_config_list_flags (void **state)
{
    panda_config_t *c;
    panda_error_t err;
    const char *a1[] = {"-s", "blob_v1", "blob_piece_v1", "-p", "9", NULL};
    assert_int_equal (s_load (&c, a1, NULL, &err), PANDA_OK);
    assert_false (c->allow_all_schema_ids);
    assert_int_equal (c->allow_schema_ids.count, 2);
    assert_int_equal (c->http_port, 9);
    panda_config_destroy (&c);
    const char *a2[] = {"--allow-schema-ids", "*", NULL};
    assert_int_equal (s_load (&c, a2, NULL, &err), PANDA_OK);
    assert_true (c->allow_all_schema_ids);
    panda_config_destroy (&c);
    const char *a3[] = {"-s", "", NULL}; //  an empty list: serve no schema
    assert_int_equal (s_load (&c, a3, NULL, &err), PANDA_OK);
    assert_false (c->allow_all_schema_ids);
    assert_int_equal (c->allow_schema_ids.count, 0);
    panda_config_destroy (&c);
    const char *env[] = {"ALLOW_SCHEMA_IDS=[\"blob_v1\", \"schema_definition_v1\"]",
                         "DIRECT_NODE_ADDRESSES=a:1,b:2", NULL};
    assert_int_equal (s_load (&c, NULL, env, &err), PANDA_OK);
    assert_int_equal (c->allow_schema_ids.count, 2);
    assert_int_equal (c->direct_node_addresses.count, 2);
    assert_string_equal (c->direct_node_addresses.items[1], "b:2");
    panda_config_destroy (&c);
    //  A list flag named twice adds up (aquadoggo's CLI); the first time it
    //  replaces what the environment said.
    const char *a5[] = {"-n", "c:3", "--direct-node-addresses", "d:4", "e:5", "-s", "blob_v1", "-s",
                        "*",  NULL};
    assert_int_equal (s_load (&c, a5, env, &err), PANDA_OK);
    assert_int_equal (c->direct_node_addresses.count, 3);
    assert_string_equal (c->direct_node_addresses.items[0], "c:3");
    assert_string_equal (c->direct_node_addresses.items[2], "e:5");
    assert_true (c->allow_all_schema_ids); //  "*" is the wildcard, whatever came before
    panda_config_destroy (&c);
    const char *a4[] = {"-m", "-e", "true", "-l", "aquadoggo=WARN", NULL};
    assert_int_equal (s_load (&c, a4, NULL, &err), PANDA_OK);
    assert_true (c->mdns);
    assert_true (c->relay_mode);
    assert_string_equal (c->log_level, "aquadoggo=WARN");
    panda_config_destroy (&c);
}

//  Bad input: a clear error naming the key and where it came from.
static void
test_config_errors (void **state)
{
    const char *unknown = s_write ("u.toml", "http_prot = 2020\n");
    const char *bad_port = s_write ("p.toml", "http_port = 70000\n");
    const char *bad_type = s_write ("t.toml", "mdns = \"yes\"\n");
    const char *bad_toml = s_write ("s.toml", "[network]\n");
    struct {
        const char *args[5];
        const char *env[2];
        const char *message;
    } cases[] = {
        {{"-c", unknown}, {NULL}, "unknown key 'http_prot'"},
        {{"-c", bad_port}, {NULL}, "http_port: expected a port number from 0 to 65535"},
        {{"-c", bad_type}, {NULL}, "mdns: expected true or false"},
        {{"-c", bad_toml}, {NULL}, "line 1: tables are not supported"},
        {{"-c", "/nonexistent/config.toml"}, {NULL}, "config file '/nonexistent/config.toml' does not exist"},
        {{"--http-port", "abc"},
         {NULL},
         "option --http-port: http_port: expected a port number from 0 to 65535"},
        {{"--no-such-flag"}, {NULL}, "unknown option '--no-such-flag'"},
        {{"-p"}, {NULL}, "option -p needs a value (PORT)"},
        {{NULL}, {"HTTP_PORT=-1"}, "environment HTTP_PORT: http_port: expected a port number"},
        {{"-q", "udp"}, {NULL}, "transport: expected QUIC or TCP"},
        {{"-y", "abcd"}, {NULL}, "psk: expected 64 hex characters"},
        {{"-d", "postgres://x"}, {NULL}, "database_url: only sqlite:PATH and sqlite::memory: are supported"},
        {{"-l", "loud"}, {NULL}, "log_level: 'loud' is neither a level"},
        {{"-l", "aquadoggo=loud"}, {NULL}, "log_level: invalid directive 'aquadoggo=loud'"},
        {{"-s", "blob_v1", "chess"},
         {NULL},
         "allow_schema_ids: invalid schema id 'chess': malformed schema id"},
        {{"-s", "blob_v2"}, {NULL}, "allow_schema_ids: invalid schema id 'blob_v2'"},
        {{"--http-body-timeout-ms", "0"}, {NULL}, "http_body_timeout_ms: must be greater than 0"},
        {{NULL}, {"HTTP_THREADS=0"}, "http_threads: must be greater than 0"},
        {{"--http-max-body-bytes", "1000", "--http-max-body-memory-bytes", "1000"},
         {NULL},
         "http_max_body_memory_bytes: must be greater than http_max_body_bytes (1000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_config_t *c;
        panda_error_t err;
        assert_int_not_equal (s_load (&c, cases[i].args, cases[i].env, &err), PANDA_OK);
        if (!strstr (err.message, cases[i].message))
            fail_msg ("case %zu: '%s' does not contain '%s'", i, err.message, cases[i].message);
        panda_config_destroy (&c);
    }
}

//  --print-config writes a config.toml that loads back to the same settings.
static void
test_config_print_round_trip (void **state)
{
    panda_config_t *c;
    panda_error_t err;
    const char *args[] = {"-p",         "7777",
                          "-s",         "blob_v1",
                          "-y",         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                          "--data-dir", "/var/lib/panda \"quoted\"",
                          NULL};
    assert_int_equal (s_load (&c, args, NULL, &err), PANDA_OK);
    char path[512];
    snprintf (path, sizeof path, "%s/printed.toml", s_dir);
    FILE *f = fopen (path, "w");
    panda_config_print (c, f);
    fclose (f);
    panda_config_t *back;
    const char *args2[] = {"-c", path, NULL};
    if (s_load (&back, args2, NULL, &err))
        fail_msg ("printed config does not load: %s", err.message);
    assert_int_equal (back->http_port, 7777);
    assert_int_equal (back->allow_schema_ids.count, 1);
    assert_string_equal (back->psk, c->psk);
    assert_string_equal (back->data_dir, "/var/lib/panda \"quoted\"");
    assert_string_equal (back->database_url, c->database_url);
    panda_config_destroy (&c);
    panda_config_destroy (&back);
}

static int
s_setup (void **state)
{
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    char command[600];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    return system (command);
}

//  aquadoggo's keys are accepted, and the node can say which of them were
//  set although they have no effect in pandad.
static void
test_config_without_effect (void **state)
{
    (void) state;
    panda_config_t *c;
    panda_error_t err;
    const char *env[] = {"HOME=/home/panda", NULL};
    const char *keys[16];
    assert_int_equal (s_load (&c, NULL, env, &err), PANDA_OK);
    assert_int_equal (panda_config_set_without_effect (c, keys, 16), 0);
    panda_config_destroy (&c);
    //  Set to its default: nothing to warn about.
    const char *same[] = {"--node-port", "2022", "--mdns", "true", NULL};
    assert_int_equal (s_load (&c, same, env, &err), PANDA_OK);
    assert_int_equal (panda_config_set_without_effect (c, keys, 16), 0);
    panda_config_destroy (&c);
    //  Replication's, LAN discovery's and the relay's keys are used now;
    //  aquadoggo's worker pool size is not.
    const char *set[] = {"--node-port",
                         "2023",
                         "--direct-node-addresses",
                         "192.0.2.1:2022",
                         "--mdns",
                         "false",
                         "--relay-addresses",
                         "192.0.2.2:2022",
                         "--relay-mode",
                         "true",
                         "--worker-pool-size",
                         "4",
                         "--http-port",
                         "3000",
                         NULL};
    assert_int_equal (s_load (&c, set, env, &err), PANDA_OK);
    assert_int_equal (panda_config_set_without_effect (c, keys, 16), 1);
    assert_string_equal (keys[0], "worker_pool_size");
    panda_config_destroy (&c);
    //  --help says so on those lines only.
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    panda_config_print_help (out);
    fclose (out);
    const char *pool = strstr (text, "--worker-pool-size");
    const char *port = strstr (text, "--http-port");
    const char *relay = strstr (text, "--relay-mode");
    assert_non_null (pool);
    assert_non_null (port);
    assert_non_null (relay);
    const char *mark = strstr (pool, "no effect");
    assert_true (mark && mark < strchr (pool, '\n'));
    for (const char *line = port; line; line = line == port ? relay : NULL) {
        mark = strstr (line, "no effect");
        assert_true (!mark || mark > strchr (line, '\n'));
    }
    free (text);
}

//  aquadoggo 0.7's key names still load, as today's keys, with a warning
//  the node prints at start; wherever they come from.
static void
test_config_renamed_keys (void **state)
{
    (void) state;
    panda_config_t *c;
    panda_error_t err;
    const char *file = s_write ("old.toml", "quic_port = 2032\nhttp_port = 2030\n");
    const char *args[] = {"-c", file, NULL};
    const char *env[] = {"HOME=/home/panda", NULL};
    assert_int_equal (s_load (&c, args, env, &err), PANDA_OK);
    assert_int_equal (c->node_port, 2032);
    assert_int_equal (c->http_port, 2030);
    assert_int_equal (c->warnings.count, 1);
    assert_non_null (strstr (c->warnings.items[0], "quic_port"));
    assert_non_null (strstr (c->warnings.items[0], "node_port"));
    assert_non_null (strstr (c->warnings.items[0], file));
    panda_config_destroy (&c);
    const char *old_env[] = {"HOME=/home/panda", "QUIC_PORT=2042", NULL};
    assert_int_equal (s_load (&c, NULL, old_env, &err), PANDA_OK);
    assert_int_equal (c->node_port, 2042);
    assert_int_equal (c->warnings.count, 1);
    panda_config_destroy (&c);
    const char *flag[] = {"--quic-port", "2052", NULL};
    assert_int_equal (s_load (&c, flag, env, &err), PANDA_OK);
    assert_int_equal (c->node_port, 2052);
    assert_non_null (strstr (c->warnings.items[0], "--quic-port"));
    panda_config_destroy (&c);
    //  Today's names warn about nothing; a bad value under the old name
    //  is refused like one under the new.
    const char *now[] = {"--node-port", "2062", NULL};
    assert_int_equal (s_load (&c, now, env, &err), PANDA_OK);
    assert_int_equal (c->warnings.count, 0);
    panda_config_destroy (&c);
    const char *bad[] = {"--quic-port", "70000", NULL};
    assert_int_equal (s_load (&c, bad, env, &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "node_port"));
    panda_config_destroy (&c);
}

//  aquadoggo's example config writes paths with $HOME; ~ works too, in
//  every path setting and whichever source sets it.
static void
test_config_home_paths (void **state)
{
    (void) state;
    panda_config_t *c;
    panda_error_t err;
    const char *file =
        s_write ("home.toml", "database_url = \"sqlite:$HOME/.local/share/aquadoggo/db.sqlite3\"\n"
                              "blobs_base_path = \"${HOME}/blobs\"\n"
                              "private_key = \"~/key.txt\"\n");
    const char *args[] = {"-c", file, "--data-dir", "~/data", NULL};
    const char *env[] = {"HOME=/home/panda", NULL};
    assert_int_equal (s_load (&c, args, env, &err), PANDA_OK);
    assert_string_equal (c->database_url, "sqlite:/home/panda/.local/share/aquadoggo/db.sqlite3");
    assert_string_equal (c->blobs_base_path, "/home/panda/blobs");
    assert_string_equal (c->private_key, "/home/panda/key.txt");
    assert_string_equal (c->data_dir, "/home/panda/data");
    panda_config_destroy (&c);
    //  Only a whole $HOME or a leading ~ is expanded.
    const char *other[] = {"--data-dir", "/srv/~x/$HOMEDIR", "--database-url", "sqlite::memory:", NULL};
    assert_int_equal (s_load (&c, other, env, &err), PANDA_OK);
    assert_string_equal (c->data_dir, "/srv/~x/$HOMEDIR");
    assert_string_equal (c->database_url, "sqlite::memory:");
    panda_config_destroy (&c);
    //  No HOME to put there: a clear error.
    const char *no_home[] = {"PATH=/bin", NULL};
    const char *tilde[] = {"--data-dir", "/srv", "--private-key", "~/key.txt", NULL};
    assert_int_equal (s_load (&c, tilde, no_home, &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "private_key"));
    assert_non_null (strstr (err.message, "HOME is not set"));
    panda_config_destroy (&c);
}

//  Without -c, $CONFIG or ./config.toml, the user's XDG config file is
//  read: $XDG_CONFIG_HOME/pandad/config.toml, else ~/.config/pandad/.
static void
test_config_xdg_file (void **state)
{
    (void) state;
    char dir[600], path[700];
    snprintf (dir, sizeof dir, "%s/xdg/pandad", s_dir);
    char command[800];
    snprintf (command, sizeof command, "mkdir -p '%s' '%s/home/.config/pandad'", dir, s_dir);
    assert_int_equal (system (command), 0);
    snprintf (path, sizeof path, "%s/config.toml", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs ("http_port = 2101\n", f);
    fclose (f);
    char home_file[700];
    snprintf (home_file, sizeof home_file, "%s/home/.config/pandad/config.toml", s_dir);
    f = fopen (home_file, "w");
    assert_non_null (f);
    fputs ("http_port = 2102\n", f);
    fclose (f);
    char xdg_var[700], home_var[700];
    snprintf (xdg_var, sizeof xdg_var, "XDG_CONFIG_HOME=%s/xdg", s_dir);
    snprintf (home_var, sizeof home_var, "HOME=%s/home", s_dir);
    panda_config_t *c;
    panda_error_t err;
    const char *both[] = {xdg_var, home_var, NULL};
    assert_int_equal (s_load (&c, NULL, both, &err), PANDA_OK);
    assert_int_equal (c->http_port, 2101);
    assert_string_equal (c->config_path, path);
    panda_config_destroy (&c);
    const char *home_only[] = {home_var, NULL};
    assert_int_equal (s_load (&c, NULL, home_only, &err), PANDA_OK);
    assert_int_equal (c->http_port, 2102);
    assert_string_equal (c->config_path, home_file);
    panda_config_destroy (&c);
    //  A file named on the command line wins.
    const char *given = s_write ("given.toml", "http_port = 2103\n");
    const char *args[] = {"-c", given, NULL};
    assert_int_equal (s_load (&c, args, both, &err), PANDA_OK);
    assert_int_equal (c->http_port, 2103);
    panda_config_destroy (&c);
}

//  worker_pool_size and database_max_connections size parts of aquadoggo
//  pandad has no counterpart of: accepted, flagged when set, and --help
//  says why they do nothing.
static void
test_config_no_effect (void **state)
{
    (void) state;
    panda_config_t *c;
    panda_error_t err;
    const char *env[] = {"HOME=/home/panda", NULL};
    const char *keys[16];
    const char *set[] = {"--worker-pool-size", "4", "--database-max-connections", "8", NULL};
    assert_int_equal (s_load (&c, set, env, &err), PANDA_OK);
    assert_int_equal (panda_config_set_without_effect (c, keys, 16), 2);
    for (size_t i = 0; i < 2; i++)
        assert_non_null (panda_config_no_effect (keys[i]));
    assert_null (panda_config_no_effect ("relay_mode"));
    assert_null (panda_config_no_effect ("http_port"));
    panda_config_destroy (&c);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    panda_config_print_help (out);
    fclose (out);
    const char *names[] = {"--worker-pool-size", "--database-max-connections"};
    for (size_t i = 0; i < 2; i++) {
        const char *line = strstr (text, names[i]);
        assert_non_null (line);
        const char *mark = strstr (line, "no effect");
        assert_true (mark && mark < strchr (line, '\n'));
    }
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_defaults),       cmocka_unit_test (test_config_precedence),
        cmocka_unit_test (test_config_aquadoggo_file), cmocka_unit_test (test_config_list_flags),
        cmocka_unit_test (test_config_errors),         cmocka_unit_test (test_config_print_round_trip),
        cmocka_unit_test (test_config_without_effect), cmocka_unit_test (test_config_renamed_keys),
        cmocka_unit_test (test_config_home_paths),     cmocka_unit_test (test_config_xdg_file),
        cmocka_unit_test (test_config_no_effect),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
