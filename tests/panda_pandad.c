/*  panda_pandad.c - start and stop the real pandad (see panda_pandad.h).

    Waiting is always poll() with a deadline: on the output pipe for the
    "listening" line, on a pidfd for the exit.                              */
#define _GNU_SOURCE //  pipe2, syscall, nftw
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "panda_pandad.h"

extern char **environ;

#define PANDA_PANDAD_MAX_ARGS 64
#define PANDA_PANDAD_STOP_MS 10000
#define PANDA_PANDAD_MAX_CAPTURE (4 * 1024 * 1024)
#define PANDA_PANDAD_LISTEN_MARKER "listening on http://"

struct _panda_pandad_t {
    char dir[PATH_MAX];
    char *args[PANDA_PANDAD_MAX_ARGS + 1]; //  copy of the extra args, NULL-terminated
    pid_t pid; //  0 when no child runs
    int pidfd; //  -1 if the kernel has none
    int out_fd; //  read end of the child's stdout+stderr
    int port;
    pthread_t drain;
    bool draining;
    char *marker; //  the line start waits for; NULL: "listening"
    char *captured; //  output seen before "listening"
    size_t captured_len;
};

static int
s_left_ms (int64_t deadline)
{
    int64_t left = deadline - zclock_mono ();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

static void
s_bin_path (char *path, size_t size)
{
    const char *dir = getenv ("PANDA_BIN_DIR");
#ifdef PANDA_TEST_BIN
    if (!dir || !*dir)
        dir = PANDA_TEST_BIN;
#endif
    if (dir && *dir) {
        snprintf (path, size, "%s/pandad", dir);
        return;
    }
    //  Bench programs sit in <build>/bench, pandad in <build>/bin.
    char self[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    char *slash = strrchr (self, '/');
    if (slash)
        *slash = 0;
    int len = snprintf (path, size, "%s/../bin/pandad", slash ? self : ".");
    if (len < 0 || (size_t) len >= size)
        path[0] = '\0'; //  too long: fails later with "cannot run"
}

int
panda_pandad_temp_dir (char *dir, size_t size, const char *name)
{
    const char *tmp = getenv ("TMPDIR");
    int n = snprintf (dir, size, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    return n > 0 && (size_t) n < size && mkdtemp (dir) ? 0 : -1;
}

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove (path);
    return 0;
}

static void
s_remove_dir (const char *dir)
{
    if (getenv ("PANDA_KEEP_TMP"))
        fprintf (stderr, "panda_pandad: kept %s\n", dir);
    else
        nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

//  Spawn pandad with argv (argv[0] is replaced by the binary path); its
//  stdout and stderr go to *out_fd. Returns the pid or -1.
static pid_t
s_spawn (char **argv, int *out_fd)
{
    char bin[PATH_MAX];
    s_bin_path (bin, sizeof bin);
    argv[0] = bin;
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC))
        return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2 (&actions, fds[1], 2);
    //  The child starts with default signal handling, whatever the test blocked.
    posix_spawnattr_t attr;
    posix_spawnattr_init (&attr);
    sigset_t none, defaults;
    sigemptyset (&none);
    sigemptyset (&defaults);
    sigaddset (&defaults, SIGTERM);
    sigaddset (&defaults, SIGINT);
    sigaddset (&defaults, SIGPIPE);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawnattr_setsigdefault (&attr, &defaults);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn (&pid, bin, &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    close (fds[1]);
    argv[0] = NULL;
    if (rc != 0) {
        fprintf (stderr, "panda_pandad: cannot run %s: %s\n", bin, strerror (rc));
        close (fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

static int
s_status (int wstatus)
{
    if (WIFEXITED (wstatus))
        return WEXITSTATUS (wstatus);
    return WIFSIGNALED (wstatus) ? 128 + WTERMSIG (wstatus) : -1;
}

//  Wait for the child to exit until the deadline (-1: forever) and reap
//  it. Returns its status, or -1 on timeout (child still there).
static int
s_reap (pid_t pid, int pidfd, int64_t deadline)
{
    int wstatus;
    while (true) {
        pid_t got = waitpid (pid, &wstatus, deadline < 0 ? 0 : WNOHANG);
        if (got == pid)
            return s_status (wstatus);
        if (got < 0 && errno != EINTR)
            return -1;
        if (got == 0 && s_left_ms (deadline) == 0)
            return -1;
        if (got == 0) {
            //  pidfd becomes readable on exit; without one, re-check every 5 ms.
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            int wait_ms = s_left_ms (deadline);
            poll (pidfd >= 0 ? &p : NULL, pidfd >= 0 ? 1 : 0,
                  pidfd >= 0 ? wait_ms : (wait_ms < 5 ? wait_ms : 5));
        }
    }
}

static int
s_append (char **buf, size_t *len, const char *data, size_t n)
{
    if (*len + n > PANDA_PANDAD_MAX_CAPTURE)
        return -1;
    char *grown = realloc (*buf, *len + n + 1);
    if (!grown)
        return -1;
    memcpy (grown + *len, data, n);
    *len += n;
    grown[*len] = 0;
    *buf = grown;
    return 0;
}

//  Read output until fd closes or the deadline. Returns 0 on EOF, -1 on
//  timeout or error. If stop_at_listen, returns 1 as soon as a complete
//  "listening" line is in *buf.
static int
s_read_output (int fd, char **buf, size_t *len, int64_t deadline, const char *stop_at)
{
    while (true) {
        if (stop_at && *buf) {
            char *marker = strstr (*buf, stop_at);
            if (marker && strchr (marker, '\n'))
                return 1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll (&p, 1, s_left_ms (deadline));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        char chunk[4096];
        ssize_t n = read (fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 0 : -1;
        if (s_append (buf, len, chunk, (size_t) n))
            return -1;
    }
}

//  The port from "listening on http://HOST:PORT/graphql", or -1.
static int
s_parse_port (const char *text)
{
    const char *host = strstr (text, PANDA_PANDAD_LISTEN_MARKER);
    if (!host)
        return -1;
    host += strlen (PANDA_PANDAD_LISTEN_MARKER);
    const char *slash = strstr (host, "/graphql");
    const char *colon = slash ? slash : host;
    while (colon > host && *colon != ':')
        colon--;
    if (!slash || *colon != ':')
        return -1;
    long port = strtol (colon + 1, NULL, 10);
    return port > 0 && port <= 65535 ? (int) port : -1;
}

static void *
s_drain (void *arg)
{
    panda_pandad_t *self = arg;
    char path[PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/pandad.log", self->dir);
    int log = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0 && self->captured_len)
        (void) !write (log, self->captured, self->captured_len);
    char chunk[4096];
    ssize_t n;
    while ((n = read (self->out_fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (log >= 0)
            (void) !write (log, chunk, (size_t) n);
    }
    if (log >= 0)
        close (log);
    return NULL;
}

//  After the child is gone: finish the drain thread, close descriptors.
static void
s_release_child (panda_pandad_t *self)
{
    if (self->draining)
        pthread_join (self->drain, NULL);
    self->draining = false;
    if (self->out_fd >= 0)
        close (self->out_fd);
    if (self->pidfd >= 0)
        close (self->pidfd);
    self->out_fd = self->pidfd = -1;
    self->pid = 0;
    self->port = -1;
    free (self->captured);
    self->captured = NULL;
    self->captured_len = 0;
}

//  SIGTERM (or SIGKILL), wait, reap. Returns the exit status or -1.
static int
s_end_child (panda_pandad_t *self, int sig)
{
    if (!self->pid)
        return -1;
    kill (self->pid, sig);
    int status = s_reap (self->pid, self->pidfd, zclock_mono () + PANDA_PANDAD_STOP_MS);
    if (status == -1) {
        fprintf (stderr, "panda_pandad: pid %d did not exit within %d ms, killing it\n", (int) self->pid,
                 PANDA_PANDAD_STOP_MS);
        kill (self->pid, SIGKILL);
        s_reap (self->pid, -1, -1);
    }
    s_release_child (self);
    return status;
}

//  Spawn on self->dir with self->args and wait for the listening line.
static int
s_launch (panda_pandad_t *self, int timeout_ms)
{
    //  No LAN discovery unless a test asks for it (--mdns true): nodes of
    //  unrelated tests on this host would otherwise find each other.
    char *argv[PANDA_PANDAD_MAX_ARGS + 10] = {NULL, "--data-dir", self->dir, "--http-address", "127.0.0.1",
                                              "-p", "0",          "--mdns",  "false"};
    for (size_t i = 0; self->args[i]; i++)
        argv[9 + i] = self->args[i];
    self->pid = s_spawn (argv, &self->out_fd);
    if (self->pid <= 0) {
        self->pid = 0;
        return -1;
    }
    self->pidfd = (int) syscall (SYS_pidfd_open, self->pid, 0);
    int64_t deadline = zclock_mono () + timeout_ms;
    const char *marker = self->marker ? self->marker : PANDA_PANDAD_LISTEN_MARKER;
    int rc = s_read_output (self->out_fd, &self->captured, &self->captured_len, deadline, marker);
    self->port = rc != 1 ? -1 : self->marker ? 0 : s_parse_port (self->captured);
    if (self->port >= 0 && (self->port > 0 || self->marker) &&
        pthread_create (&self->drain, NULL, s_drain, self) == 0) {
        self->draining = true;
        return 0;
    }
    fprintf (stderr, "panda_pandad: %s did not report \"%s\" within %d ms; its output:\n%s\n",
             rc == 0 ? "pandad exited and" : "pandad", marker, timeout_ms,
             self->captured ? self->captured : "");
    kill (self->pid, SIGKILL);
    int status = s_reap (self->pid, -1, -1);
    fprintf (stderr, "panda_pandad: exit status %d\n", status);
    s_release_child (self);
    return -1;
}

static int
s_set_args (panda_pandad_t *self, const char *const *extra_args)
{
    for (size_t i = 0; self->args[i]; i++) {
        free (self->args[i]);
        self->args[i] = NULL;
    }
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (i == PANDA_PANDAD_MAX_ARGS || !(self->args[i] = strdup (extra_args[i])))
            return -1;
    }
    return 0;
}

static void
s_free (panda_pandad_t *self)
{
    for (size_t i = 0; self->args[i]; i++)
        free (self->args[i]);
    free (self->captured);
    free (self->marker);
    free (self);
}

panda_pandad_t *
panda_pandad_start (const char *const *extra_args, int timeout_ms)
{
    return panda_pandad_start_marker (extra_args, NULL, timeout_ms);
}

panda_pandad_t *
panda_pandad_start_marker (const char *const *extra_args, const char *marker, int timeout_ms)
{
    panda_pandad_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (marker && !(self->marker = strdup (marker))) {
        free (self);
        return NULL;
    }
    self->pidfd = self->out_fd = self->port = -1;
    if (panda_pandad_temp_dir (self->dir, sizeof self->dir, "pandad-test")) {
        fprintf (stderr, "panda_pandad: cannot create a temp dir: %s\n", strerror (errno));
        s_free (self);
        return NULL;
    }
    if (s_set_args (self, extra_args) || s_launch (self, timeout_ms)) {
        s_remove_dir (self->dir);
        s_free (self);
        return NULL;
    }
    return self;
}

int
panda_pandad_port (const panda_pandad_t *self)
{
    return self && self->pid ? self->port : -1;
}

const char *
panda_pandad_dir (const panda_pandad_t *self)
{
    return self->dir;
}

int
panda_pandad_pid (const panda_pandad_t *self)
{
    return self ? (int) self->pid : 0;
}

int
panda_pandad_stop (panda_pandad_t **self_p)
{
    if (!self_p || !*self_p)
        return -1;
    panda_pandad_t *self = *self_p;
    int status = s_end_child (self, SIGTERM);
    s_remove_dir (self->dir);
    s_free (self);
    *self_p = NULL;
    return status;
}

int64_t
panda_pandad_cpu_ms (const panda_pandad_t *self)
{
    if (!self || !self->pid)
        return -1;
    char path[64], text[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) self->pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t n = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text[n] = '\0';
    //  utime and stime are fields 14 and 15, after the ")" of the name
    //  (which may hold spaces).
    unsigned long utime = 0, stime = 0;
    const char *p = strrchr (text, ')');
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (int64_t) (utime + stime) * 1000 / sysconf (_SC_CLK_TCK);
}

int
panda_pandad_signal (panda_pandad_t *self, int sig, int timeout_ms)
{
    if (!self || !self->pid)
        return -1;
    kill (self->pid, sig);
    int status = s_reap (self->pid, self->pidfd, zclock_mono () + timeout_ms);
    if (status == -1) {
        kill (self->pid, SIGKILL);
        s_reap (self->pid, -1, -1);
    }
    s_release_child (self);
    return status;
}

void
panda_pandad_kill (panda_pandad_t *self)
{
    if (self)
        s_end_child (self, SIGKILL);
}

panda_pandad_t *
panda_pandad_restart (panda_pandad_t *self, const char *const *extra_args, int timeout_ms)
{
    if (self->pid)
        s_end_child (self, SIGTERM);
    if (extra_args && s_set_args (self, extra_args))
        return NULL;
    return s_launch (self, timeout_ms) == 0 ? self : NULL;
}

int
panda_pandad_run (const char *const *args, int timeout_ms, char **output)
{
    char dir[PATH_MAX];
    if (output)
        *output = NULL;
    if (panda_pandad_temp_dir (dir, sizeof dir, "pandad-test"))
        return -1;
    char *argv[PANDA_PANDAD_MAX_ARGS + 4] = {NULL, "--data-dir", dir};
    for (size_t i = 0; args && args[i] && i < PANDA_PANDAD_MAX_ARGS; i++)
        argv[3 + i] = (char *) args[i];
    int fd, status = -1;
    pid_t pid = s_spawn (argv, &fd);
    if (pid > 0) {
        int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
        int64_t deadline = zclock_mono () + timeout_ms;
        char *text = NULL;
        size_t len = 0;
        if (s_read_output (fd, &text, &len, deadline, NULL) == 0)
            status = s_reap (pid, pidfd, deadline);
        if (status == -1) {
            kill (pid, SIGKILL);
            s_reap (pid, -1, -1);
        }
        close (fd);
        if (pidfd >= 0)
            close (pidfd);
        if (output)
            *output = text ? text : strdup ("");
        else
            free (text);
    }
    s_remove_dir (dir);
    return status;
}

bool
panda_pandad_available (void)
{
    char *output = NULL;
    int status = panda_pandad_run ((const char *const[]){"--help", NULL}, PANDA_PANDAD_STOP_MS, &output);
    bool real = status == 0 && output && strstr (output, "--http-port");
    free (output);
    return real;
}

panda_config_t *
panda_pandad_inproc_config (const char *tag, const char *database_url, panda_error_t *err)
{
    static atomic_int s_configs;
    int n = atomic_fetch_add (&s_configs, 1);
    static const char *const keys[] = {"--ingest-endpoint",  "--verify-endpoint", "--storage-endpoint",
                                       "--replies-endpoint", "--events-endpoint", "--schemas-endpoint"};
    static const char *const names[] = {"ingest", "verify-*", "storage", "replies", "events", "schemas"};
    enum { KEYS = sizeof keys / sizeof keys[0] };
    char ep[KEYS][128];
    char *argv[2 * KEYS + 6] = {"pandad", "--database-url", (char *) database_url, "--data-dir",
                                "/nonexistent-unused"};
    for (int i = 0; i < KEYS; i++) {
        snprintf (ep[i], sizeof ep[i], "inproc://%s%d-%s", tag, n, names[i]);
        argv[5 + 2 * i] = (char *) keys[i];
        argv[6 + 2 * i] = ep[i];
    }
    panda_config_t *config = panda_config_new ();
    if (!config) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (panda_config_load (config, 2 * KEYS + 5, argv, NULL, err) != PANDA_OK)
        panda_config_destroy (&config);
    return config;
}
