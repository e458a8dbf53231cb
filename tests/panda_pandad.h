/*  panda_pandad.h - run the real pandad as a child process in node tests
    and benchmarks.

    Each instance gets a fresh temporary data dir (mkdtemp under $TMPDIR or
    /tmp) and is started as
        pandad --data-dir DIR --http-address 127.0.0.1 -p 0 --mdns false <extra args>
    (LAN discovery off, so nodes of unrelated tests never meet; a test that
    wants it passes --mdns true). It inherits the test's environment and
    network namespace: tests/test_node_discovery.c enters a namespace
    (setns) around the start.
    Start waits (poll with a deadline, no sleeps) for the stderr line with
    "listening on http://HOST:PORT/graphql"; after that a thread copies the
    child's stdout+stderr into DIR/pandad.log so the child never blocks.
    The program is $PANDA_BIN_DIR/pandad, else <build>/bin/pandad.         */
#ifndef PANDA_PANDAD_H_INCLUDED
#define PANDA_PANDAD_H_INCLUDED

#include "panda/panda_config.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _panda_pandad_t panda_pandad_t;

//  Start pandad with extra_args (NULL-terminated, may be NULL). Returns
//  NULL on failure (exit before listening, timeout), after printing the
//  captured output to stderr and removing the data dir. Caller owns the
//  result (panda_pandad_stop).
panda_pandad_t *panda_pandad_start (const char *const *extra_args, int timeout_ms);

//  Make a fresh directory $TMPDIR/<name>-XXXXXX (TMPDIR unset: /tmp) into
//  dir, as a node's data dir is made. 0, or -1 if it could not be made.
int panda_pandad_temp_dir (char *dir, size_t size, const char *name);

//  The same for a pandad that does not listen (its actors setting has no
//  api): waits for a complete output line containing marker (e.g.
//  "pandad: ready"; NULL: the listening line). Restarts wait for it too.
//  Its port is 0.
panda_pandad_t *panda_pandad_start_marker (const char *const *extra_args, const char *marker, int timeout_ms);

//  The HTTP port the node reported, or -1 if it is not running.
int panda_pandad_port (const panda_pandad_t *self);

//  The data dir (also holds pandad.log). Borrowed.
const char *panda_pandad_dir (const panda_pandad_t *self);

//  Process id of the running child, or 0.
int panda_pandad_pid (const panda_pandad_t *self);

//  SIGTERM the child (if still running), wait up to 10 s, SIGKILL on
//  timeout. Removes the data dir unless $PANDA_KEEP_TMP is set (then its
//  path is printed). Frees the object and NULLs *self_p. Returns the exit
//  status, 128 + signal if killed by a signal, -1 on timeout or if there
//  was no child.
int panda_pandad_stop (panda_pandad_t **self_p);

//  CPU time (user + system) the running child has used, in milliseconds,
//  from /proc; -1 if it is not running or cannot be read.
int64_t panda_pandad_cpu_ms (const panda_pandad_t *self);

//  Send sig to the child and wait up to timeout_ms for it to exit; the data
//  dir stays for a restart. Returns the exit status (128 + signal if a
//  signal ended it), or -1 if it was still running at the deadline (then it
//  is SIGKILLed and reaped).
int panda_pandad_signal (panda_pandad_t *self, int sig, int timeout_ms);

//  SIGKILL the child and reap it; the data dir stays for a restart.
void panda_pandad_kill (panda_pandad_t *self);

//  Start pandad again on the same data dir, after a clean stop (SIGTERM) if
//  it is still running. extra_args NULL means the previous ones. Returns
//  self, or NULL on failure (self stays owned by the caller, for
//  panda_pandad_stop).
panda_pandad_t *panda_pandad_restart (panda_pandad_t *self, const char *const *extra_args, int timeout_ms);

//  Run pandad to completion with --data-dir TMP followed by args only (no
//  address or port), e.g. to check config errors. *output (may be NULL)
//  gets its stdout+stderr; caller owns it (free). Returns the exit status,
//  128 + signal, or -1 if it did not end within timeout_ms (then killed).
int panda_pandad_run (const char *const *args, int timeout_ms, char **output);

//  True if the pandad binary is the real node (its --help lists
//  --http-port), false for a missing binary or the pre-node stub. Node
//  tests skip, loudly, when it is false.
bool panda_pandad_available (void);

//  In-process actors rather than the pandad process: a config whose ZeroMQ
//  endpoints no other config of this process uses (inproc://<tag>N-...),
//  on database_url, so tests and benches can start actors side by side and
//  stand in for neighbouring stages. Caller owns; NULL with err set.
panda_config_t *panda_pandad_inproc_config (const char *tag, const char *database_url, panda_error_t *err);

#endif
