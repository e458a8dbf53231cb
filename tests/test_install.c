/*  test_install.c - `cmake --install` into a temp prefix, and an
    application built against that tree alone: examples/embed.c compiled
    with nothing but `pkg-config --cflags --libs panda` (PKG_CONFIG_PATH
    pointing into the prefix), run, answering HTTP and reporting the
    document a client publishes. Also what else the install holds: the
    programs, the versioned shared library, the public headers only, the
    man pages, and a systemd unit that `systemd-analyze verify` accepts
    (when this machine has systemd-analyze).                             */
#include "panda_test.h"

#include "panda_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_START_MS 30000

static char s_tmp[256];
static char s_prefix[320];
static pid_t s_example; //  running, for the teardown of a failed test

//  Run a shell command; fails the test with its output unless it exits 0.
static char *s_run (const char *format, ...) PANDA_PRINTF (1, 2);

static char *
s_run (const char *format, ...)
{
    char command[4096];
    va_list args;
    va_start (args, format);
    vsnprintf (command, sizeof command, format, args);
    va_end (args);
    char *out = NULL;
    int status = panda_test_run (command, &out);
    if (status != 0)
        fail_msg ("`%s` exited %d:\n%s", command, status, out ? out : "");
    return out;
}

static bool
s_exists (const char *relative)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_prefix, relative);
    struct stat st;
    return lstat (path, &st) == 0;
}

static int
s_setup (void **state)
{
    (void) state;
    if (panda_pandad_temp_dir (s_tmp, sizeof s_tmp, "panda-install"))
        return -1;
    snprintf (s_prefix, sizeof s_prefix, "%s/prefix", s_tmp);
    char *out = NULL;
    char command[2048];
    snprintf (command, sizeof command, "'%s' --install '%s' --prefix '%s' 2>&1", PANDA_TEST_CMAKE,
              PANDA_TEST_BUILD, s_prefix);
    int status = panda_test_run (command, &out);
    if (status != 0)
        fprintf (stderr, "%s: %s\n", command, out ? out : "");
    free (out);
    return status == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    if (s_example > 0 && kill (s_example, SIGKILL) == 0)
        waitpid (s_example, NULL, 0);
    char command[512];
    snprintf (command, sizeof command, "rm -rf '%s'", s_tmp);
    return system (command) == 0 ? 0 : -1;
}

//  The tree: programs, both libraries with the soname, the public headers
//  and nothing private, pkg-config, man pages, the unit.
static void
test_tree (void **state)
{
    (void) state;
    const char *files[] = {"bin/pandad",
                           "bin/panda",
                           "lib/libpanda.a",
                           "lib/libpanda.so",
                           "lib/libpanda.so.0",
                           "lib/libpanda.so." PANDA_VERSION,
                           "include/panda/panda.h",
                           "include/panda/panda_node.h",
                           "include/panda/panda_config.h",
                           "lib/pkgconfig/panda.pc",
                           "share/man/man1/pandad.1",
                           "share/man/man1/panda.1",
                           "lib/systemd/system/pandad.service"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!s_exists (files[i]))
            fail_msg ("%s/%s was not installed", s_prefix, files[i]);
    char link[256], path[1024];
    snprintf (path, sizeof path, "%s/lib/libpanda.so.0", s_prefix);
    ssize_t n = readlink (path, link, sizeof link - 1);
    assert_true (n > 0);
    link[n] = '\0';
    assert_string_equal (link, "libpanda.so." PANDA_VERSION);
    char *out = s_run ("objdump -p '%s/lib/libpanda.so." PANDA_VERSION "' | grep SONAME", s_prefix);
    assert_non_null (strstr (out, "libpanda.so.0"));
    free (out);
    //  It exports the public API (include/panda) and nothing of the inside.
    out = s_run ("nm -D --defined-only '%s/lib/libpanda.so." PANDA_VERSION "'", s_prefix);
    assert_non_null (strstr (out, " T panda_node_new@@PANDA_0"));
    assert_non_null (strstr (out, " T panda_entry_decode@@PANDA_0"));
    assert_null (strstr (out, "panda_relay_new"));
    assert_null (strstr (out, "panda_store_"));
    free (out);
    //  Private headers (lib/, actors/) stay in the source tree.
    out = s_run ("cd '%s/include' && find . -type f | sort", s_prefix);
    assert_null (strstr (out, "panda_store.h"));
    assert_null (strstr (out, "panda_actors.h"));
    assert_null (strstr (out, "./panda_"));
    free (out);
    out = s_run ("cat '%s/share/man/man1/pandad.1'", s_prefix);
    assert_non_null (strstr (out, ".SH OPTIONS"));
    assert_non_null (strstr (out, "\\-\\-http\\-port"));
    free (out);
    //  The unit starts the pandad of this prefix.
    out = s_run ("cat '%s/lib/systemd/system/pandad.service'", s_prefix);
    snprintf (path, sizeof path, "ExecStart=%s/bin/pandad --data-dir /var/lib/pandad", s_prefix);
    assert_non_null (strstr (out, path));
    free (out);
    out = s_run ("'%s/bin/pandad' --version", s_prefix);
    assert_string_equal (out, "pandad " PANDA_VERSION "\n");
    free (out);
}

static void
test_systemd_unit (void **state)
{
    (void) state;
    char *out = NULL;
    if (panda_test_run ("command -v systemd-analyze", &out) != 0) {
        free (out);
        print_message ("SKIP: no systemd-analyze on this machine\n");
        skip ();
    }
    free (out);
    //  verify also checks Documentation=man:pandad(1), when man exists.
    bool man = panda_test_run ("command -v man", NULL) == 0;
    out =
        s_run ("MANPATH='%s/share/man' systemd-analyze verify %s '%s/lib/systemd/system/pandad.service' 2>&1",
               s_prefix, man ? "" : "--man=no", s_prefix);
    free (out);
}

typedef struct {
    pid_t pid;
    int out; //  its stdout
    char buf[8192];
    size_t len;
} s_child_t;

//  Read the child's stdout until a line containing marker; returns that
//  line (in c->buf, valid until the next read) or NULL at the deadline.
static const char *
s_read_line (s_child_t *c, const char *marker, int timeout_ms)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    int64_t deadline = now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
    for (;;) {
        char *line = c->buf, *nl;
        while ((nl = memchr (line, '\n', c->len - (size_t) (line - c->buf)))) {
            *nl = '\0';
            if (strstr (line, marker)) {
                //  Keep what follows for the next read.
                static char found[8192];
                snprintf (found, sizeof found, "%s", line);
                size_t rest = c->len - (size_t) (nl + 1 - c->buf);
                memmove (c->buf, nl + 1, rest);
                c->len = rest;
                return found;
            }
            line = nl + 1;
        }
        size_t rest = c->len - (size_t) (line - c->buf);
        memmove (c->buf, line, rest);
        c->len = rest;
        clock_gettime (CLOCK_MONOTONIC, &now);
        int64_t left = deadline - (now.tv_sec * 1000 + now.tv_nsec / 1000000);
        struct pollfd item = {.fd = c->out, .events = POLLIN};
        if (left <= 0 || poll (&item, 1, (int) left) <= 0)
            return NULL;
        ssize_t n = read (c->out, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (n <= 0)
            return NULL;
        c->len += (size_t) n;
    }
}

//  The example, built against the installed tree only, runs a node that
//  serves HTTP and reports the document a client publishes.
static void
test_example_against_install (void **state)
{
    (void) state;
    char program[512];
    snprintf (program, sizeof program, "%s/embed", s_tmp);
    //  PANDA_TEST_CFLAGS: the sanitizers the installed library was built
    //  with (empty for a plain build): the example must link their runtime.
    char *out = s_run ("PKG_CONFIG_PATH='%s/lib/pkgconfig' && export PKG_CONFIG_PATH && "
                       "'%s' %s '%s/examples/embed.c' $(pkg-config --cflags --libs panda) -o '%s' 2>&1",
                       s_prefix, PANDA_TEST_CC, PANDA_TEST_CFLAGS, PANDA_TEST_SOURCE, program);
    free (out);
    //  The include path is the prefix's, not the source tree's.
    out = s_run ("PKG_CONFIG_PATH='%s/lib/pkgconfig' pkg-config --cflags --libs panda", s_prefix);
    assert_non_null (strstr (out, s_prefix));
    assert_null (strstr (out, PANDA_TEST_SOURCE));
    free (out);

    int pipe_fds[2];
    assert_int_equal (pipe (pipe_fds), 0);
    char data[512], libdir[512];
    snprintf (data, sizeof data, "%s/data", s_tmp);
    snprintf (libdir, sizeof libdir, "%s/lib", s_prefix);
    s_child_t c = {.pid = fork ()};
    assert_true (c.pid >= 0);
    if (c.pid == 0) {
        dup2 (pipe_fds[1], 1);
        close (pipe_fds[0]);
        close (pipe_fds[1]);
        setenv ("LD_LIBRARY_PATH", libdir, 1);
        execl (program, program, data, (char *) NULL);
        _exit (127);
    }
    s_example = c.pid;
    close (pipe_fds[1]);
    c.out = pipe_fds[0];
    const char *line = s_read_line (&c, "node listening on http://127.0.0.1:", S_START_MS);
    assert_non_null (line);
    int port = atoi (strrchr (line, ':') + 1);
    assert_true (port > 0);
    //  The data directory it was given exists now, the user's alone.
    struct stat st;
    assert_int_equal (stat (data, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);

    panda_http_t *http = panda_http_connect ("127.0.0.1", port, PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (http);
    json_t *answer = panda_fixture_publish_sequence_entry (http, 0, NULL);
    assert_null (json_object_get (answer, "errors"));
    json_decref (answer);
    json_t *entry = panda_fixture_sequence_entry (0);
    const char *document = json_string_value (json_object_get (entry, "document_id"));
    line = s_read_line (&c, "document created:", S_START_MS);
    assert_non_null (line);
    char expected[512];
    snprintf (expected, sizeof expected,
              "document created: schema schema_field_definition_v1, document %s, view %s", document,
              document);
    assert_string_equal (line, expected);
    panda_http_destroy (&http);

    kill (c.pid, SIGTERM);
    assert_non_null (s_read_line (&c, "stopped", S_START_MS));
    int status = 0;
    assert_int_equal (waitpid (c.pid, &status, 0), c.pid);
    s_example = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    close (c.out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tree),
        cmocka_unit_test (test_systemd_unit),
        cmocka_unit_test (test_example_against_install),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
