/*  panda_fixture.h - the node test fixture: one real pandad in a fresh temp
    dir with a keep-alive HTTP connection to it (opened on first use, so
    that a fixture holds no idle connection it does not need), and what node tests do
    with it: publish signed entries (signed here with the lib), ask
    nextArgs and GraphQL queries, wait for schemas and documents to be
    materialised (polling with a deadline), restart, stop.

    Built on panda_pandad (the child process) and panda_http (the client);
    every test binary links all three. Include after panda_test.h.        */
#ifndef PANDA_FIXTURE_H_INCLUDED
#define PANDA_FIXTURE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "panda_http.h"
#include "panda_pandad.h"
#include "panda/panda_entry.h"
#include "panda/panda_keypair.h"
#include "panda/panda_operation.h"

//  Usual bounds for a start or restart, and for each request (ASan, two
//  loaded cores).
#define PANDA_FIXTURE_START_MS 30000
#define PANDA_FIXTURE_REQUEST_MS 20000

typedef struct _panda_fixture_t panda_fixture_t;

//  True if build/bin/pandad is the real node (asked once). When it is not,
//  prints a SKIP line (once) so that the skip is loud.
bool panda_fixture_available (void);

//  skip() the running test unless panda_fixture_available ().
void panda_fixture_require (void);

//  Start pandad in a fresh temp dir with extra_args (NULL-terminated, may
//  be NULL) and wait until it listens. start_ms bounds the start and each
//  restart, request_ms each request of the fixture's connections. Returns
//  NULL on failure (nothing left behind). Caller owns (panda_fixture_stop).
panda_fixture_t *panda_fixture_start (const char *const *extra_args, int start_ms, int request_ms);

//  For a cmocka setup: a fixture with the usual bounds into *self_p.
//  Returns 0, with *self_p NULL while pandad is not the node (the test
//  then skips with panda_fixture_require), or -1 if it did not start.
int panda_fixture_setup (panda_fixture_t **self_p, const char *const *extra_args);

//  Close the connection, SIGTERM the node (SIGKILL after 10 s), remove the
//  temp dir, free, NULL *self_p. Returns the node's exit status as
//  panda_pandad_stop; 0 for a NULL fixture.
int panda_fixture_stop (panda_fixture_t **self_p);

//  The fixture's keep-alive connection, connected now if it is not (after
//  a start, kill or restart); fails the test if it cannot. Borrowed.
panda_http_t *panda_fixture_http (panda_fixture_t *self);

//  The node's HTTP port (-1 after a kill), its data dir, its process.
int panda_fixture_port (const panda_fixture_t *self);
const char *panda_fixture_dir (const panda_fixture_t *self);
panda_pandad_t *panda_fixture_pandad (panda_fixture_t *self);

//  A new connection with the fixture's request timeout; fails the test if it cannot
//  connect. Caller owns (panda_http_destroy).
panda_http_t *panda_fixture_connect (panda_fixture_t *self);

//  Close the fixture's connection (an idle keep-alive connection holds a
//  worker of the node); panda_fixture_http opens a new one.
void panda_fixture_disconnect (panda_fixture_t *self);

//  Close the connection and SIGKILL the node; its data dir stays.
void panda_fixture_kill (panda_fixture_t *self);

//  Start the node again on its data dir (after a clean stop if it still
//  runs) with extra_args (NULL: the previous ones). Fails
//  the test if it does not come up.
void panda_fixture_restart (panda_fixture_t *self, const char *const *extra_args);

//  --- GraphQL ---------------------------------------------------------------

//  POST query (variables borrowed, may be NULL). Fails the test unless the
//  answer is HTTP 200 with a JSON body. Caller owns the answer.
json_t *panda_fixture_graphql (panda_http_t *http, const char *query, json_t *variables,
                               const char *operation_name);

//  The Publish mutation shirokuma sends. With status NULL the answer must
//  be HTTP 200 with JSON (else the test fails); otherwise *status gets the
//  HTTP status (-1: no answer) and the answer may be NULL. Caller owns.
json_t *panda_fixture_publish (panda_http_t *http, const char *entry_hex, const char *operation_hex,
                               int *status);

//  The NextArgs query shirokuma sends (view_id may be NULL); status as for
//  panda_fixture_publish. Caller owns the answer.
json_t *panda_fixture_next_args (panda_http_t *http, const char *public_key, const char *view_id,
                                 int *status);

//  tests/vectors/<name> (e.g. "keys.json"), loaded once and kept to the
//  end of the program: borrowed, not to be changed. Not thread-safe: ask
//  from the test's thread.
json_t *panda_fixture_vectors (const char *name);

//  Entry i of tests/vectors/publish_sequence.json (borrowed, as above):
//  entries 0-15 are system-schema CREATEs by bear.
json_t *panda_fixture_sequence_entry (size_t i);

//  Publish entry i of publish_sequence.json; status as for
//  panda_fixture_publish. Caller owns the answer.
json_t *panda_fixture_publish_sequence_entry (panda_http_t *http, size_t i, int *status);

//  --- signing ---------------------------------------------------------------

//  An entry signed here, with its operation.
typedef struct {
    char *entry_hex, *operation_hex;
    char hash[PANDA_HASH_HEX_SIZE + 1]; //  entry hash = operation id
    panda_hash_t id;
} panda_fixture_signed_t;

//  Sign len operation bytes as entry seq_num of log_id (links may be
//  NULL). Fails the test if the lib refuses. Release the result.
panda_fixture_signed_t panda_fixture_sign_bytes (const panda_keypair_t *keypair, uint64_t log_id,
                                                 uint64_t seq_num, const panda_hash_t *backlink,
                                                 const panda_hash_t *skiplink, const uint8_t *bytes,
                                                 size_t len);

//  The same for an operation, which it takes (*op_p is NULLed).
panda_fixture_signed_t panda_fixture_sign (const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq_num,
                                           const panda_hash_t *backlink, const panda_hash_t *skiplink,
                                           panda_operation_t **op_p);

//  Free what a signed entry holds and zero it.
void panda_fixture_signed_release (panda_fixture_signed_t *s);

//  Publish a signed entry (create, update or delete a document); status
//  as for panda_fixture_publish. Caller owns the answer.
json_t *panda_fixture_publish_signed (panda_http_t *http, const panda_fixture_signed_t *s, int *status);

//  --- materialisation (node-api §6.7: clients poll) ------------------------

//  Wait until the GraphQL schema serves schema_id (at once for a system
//  schema); fails the test at the deadline.
void panda_fixture_wait_schema (panda_http_t *http, const char *schema_id, int timeout_ms);

//  Ask for document_id of schema_id until its view is view_id, or with
//  view_id NULL until it is gone (deleted). Returns 0, or -1 at the
//  deadline.
int panda_fixture_wait_document (panda_http_t *http, const char *schema_id, const char *document_id,
                                 const char *view_id, int timeout_ms);

//  --- time and logs (panda_fixture_log.c) ----------------------------------

//  Monotonic milliseconds, for deadlines and figures.
double panda_fixture_now_ms (void);

//  Everything the node logged so far ("" before its log exists; the log is
//  copied by a thread). Caller frees.
char *panda_fixture_log (const panda_fixture_t *self);

//  How often needle occurs in the node's log.
size_t panda_fixture_log_count (const panda_fixture_t *self, const char *needle);

//  Poll the log until needle occurs at least count times; false at the
//  deadline (the caller fails with what it was waiting for).
bool panda_fixture_wait_log (const panda_fixture_t *self, const char *needle, size_t count, int timeout_ms);

//  The last tail bytes of the node's log on stderr, headed by label (for
//  a failure).
void panda_fixture_print_log (const panda_fixture_t *self, const char *label, size_t tail);

//  --- several nodes (panda_fixture_network.c) ------------------------------

//  The tag schema: publish_sequence.json entries 0 and 1 make it (one str
//  field, "label").
#define PANDA_FIXTURE_TAG_SCHEMA                                                                             \
    "vector_tag_002097d3a1a0f3425d2909274d3b1bb3eba84047fac3f2392456ee4fede400e5ba2f"
#define PANDA_FIXTURE_TAG_ENTRIES 2

//  Publish the tag schema (if with_schema), wait until it is queryable,
//  then one tag document with label by a new author. False if a publish
//  was refused; the wait fails the test at timeout_ms.
bool panda_fixture_publish_tag (panda_http_t *http, const char *label, bool with_schema, int timeout_ms);

//  GET /replication, parsed; NULL if there is no JSON answer. Caller owns.
json_t *panda_fixture_replication (panda_fixture_t *self);

//  A TCP port that was free on 127.0.0.1 a moment ago.
int panda_fixture_free_port (void);

//  A new random node identity written as a 0600 key file dir/name for
//  --private-key: its path and peer id into path and peer_id. False on
//  failure. The caller removes the file.
bool panda_fixture_key_file (const char *dir, const char *name, char *path, size_t path_size, char *peer_id,
                             size_t peer_id_size);

#endif
