/*  test_cli_run.h - run the `panda` binary as a user would, for the CLI
    tests: stdin from /dev/null, stdout (binary-safe) and stderr captured
    whole, and the checks every CLI test makes of an answer.              */
#ifndef TEST_CLI_RUN_H_INCLUDED
#define TEST_CLI_RUN_H_INCLUDED

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "panda_test.h"

extern char **environ;

typedef struct {
    int status;
    char *out, *err; //  NUL-terminated
    size_t out_len;
} run_t;

static inline char *
s_slurp (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc (cap + 1);
    while ((got = fread (buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc (buf, (cap *= 2) + 1);
        assert_non_null (buf);
    }
    fclose (f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

//  Run panda with args (NULL-terminated), stdin from /dev/null, stdout and
//  stderr captured whole.
static inline run_t
s_panda_argv (const char *const *args)
{
    static const char out_path[] = "/tmp/panda_test_cli_out", err_path[] = "/tmp/panda_test_cli_err";
    char out_file[128], err_file[128];
    snprintf (out_file, sizeof out_file, "%s.%d", out_path, (int) getpid ());
    snprintf (err_file, sizeof err_file, "%s.%d", err_path, (int) getpid ());
    const char *argv[64] = {panda_test_bin ("panda")};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        assert_true (n < 63);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&actions, 1, out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen (&actions, 2, err_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    assert_int_equal (posix_spawn (&pid, argv[0], &actions, NULL, (char *const *) argv, environ), 0);
    posix_spawn_file_actions_destroy (&actions);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    run_t r = {.status = WIFEXITED (status) ? WEXITSTATUS (status) : -1};
    r.out = s_slurp (out_file, &r.out_len);
    r.err = s_slurp (err_file, NULL);
    unlink (out_file);
    unlink (err_file);
    return r;
}

#define s_panda(...) s_panda_argv ((const char *const[]){__VA_ARGS__, NULL})

static inline void
s_release (run_t *r)
{
    free (r->out);
    free (r->err);
}

//  Exit 0, stdout one JSON object (returned, caller owns).
static inline json_t *
s_ok_json (run_t r)
{
    if (r.status != 0)
        fail_msg ("panda failed (%d): %s", r.status, r.err);
    json_error_t err;
    json_t *json = json_loads (r.out, 0, &err);
    if (!json)
        fail_msg ("not JSON (%s): %s", err.text, r.out);
    s_release (&r);
    return json;
}

//  Exit 1 with one line on stderr that contains text.
static inline void
s_fails_with (run_t r, const char *text)
{
    if (r.status != 1 || !strstr (r.err, text))
        fail_msg ("expected exit 1 and '%s', got %d: %s", text, r.status, r.err);
    assert_int_equal (strncmp (r.err, "panda: ", 7), 0);
    assert_string_equal (strchr (r.err, '\n'), "\n");
    assert_string_equal (r.out, "");
    s_release (&r);
}

#endif
