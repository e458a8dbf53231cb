/*  replicate_udp.c - "who are you?" over UDP on the replication port, so a
    bare direct_node_addresses entry (host:port) can learn the node key that
    CurveZMQ needs before it can connect.

    A CURVE client must know the server's key before the handshake, and a
    ZeroMQ socket speaks one mechanism only, so the question goes beside
    the TCP port, to the same port number over UDP:

        request  "PNDA?" version(1) zero padding     64 bytes
        answer   "PNDA!" version(1) node key(32) network tag(8)   46 bytes

    The answer is shorter than the question, so the port cannot amplify a
    spoofed flood, and answers are rate limited. Trust on first use: the
    key learned is pinned for as long as the node runs, the allow and block
    lists still apply, and an attacker on the path of that first question
    could answer with its own key (docs/replication.md says so; the form
    <peer id>@host:port avoids it).

    This thread answers questions and asks them for the replicate actor:
      ASK host:port   ->  KEY host:port <64 hex>  |  NONE host:port <why>   */
#include "replicate.h"

#include "panda/panda_hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_MAGIC_ASK "PNDA?"
#define S_MAGIC_ANSWER "PNDA!"
#define S_VERSION 1
#define S_ASK_SIZE 64
#define S_ANSWER_SIZE (5 + 1 + 32 + PANDA_REPL_NETWORK_TAG_SIZE)
#define S_ANSWERS_PER_SECOND 200
#define S_TRIES 5
#define S_TRY_EVERY_MS 1000
#define S_MAX_QUESTIONS 64

typedef struct {
    char address[256]; //  host:port as configured
    struct sockaddr_storage to;
    socklen_t to_len;
    int tries;
    int64_t next_try;
} s_question_t;

typedef struct {
    zsock_t *pipe;
    int fd; //  bound on node_address:node_port
    uint8_t answer[S_ANSWER_SIZE];
    s_question_t questions[S_MAX_QUESTIONS];
    size_t n_questions;
    int64_t window; //  rate limit: second of the count
    int answers_in_window;
} s_udp_t;

//  The node's own answer, and the bound socket, come from the actor.
typedef struct {
    int fd;
    uint8_t node_key[32];
    uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE];
} s_args_t;

static void
s_answer_question (s_udp_t *self, const uint8_t *buf, ssize_t len, const struct sockaddr_storage *from,
                   socklen_t from_len)
{
    if (len != S_ASK_SIZE || memcmp (buf, S_MAGIC_ASK, 5) != 0 || buf[5] != S_VERSION)
        return;
    int64_t second = zclock_mono () / 1000;
    if (second != self->window) {
        self->window = second;
        self->answers_in_window = 0;
    }
    if (self->answers_in_window++ >= S_ANSWERS_PER_SECOND)
        return;
    (void) sendto (self->fd, self->answer, sizeof self->answer, MSG_DONTWAIT, (const struct sockaddr *) from,
                   from_len);
}

static bool
s_same_address (const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;
    return x->sin6_port == y->sin6_port && memcmp (&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static void
s_got_answer (s_udp_t *self, const uint8_t *buf, ssize_t len, const struct sockaddr_storage *from)
{
    if (len != S_ANSWER_SIZE || memcmp (buf, S_MAGIC_ANSWER, 5) != 0 || buf[5] != S_VERSION)
        return;
    for (size_t i = 0; i < self->n_questions; i++) {
        s_question_t *q = &self->questions[i];
        if (!s_same_address (&q->to, from))
            continue;
        char hex[65];
        panda_hex_write (buf + 6, 32, hex);
        hex[64] = 0;
        //  Another network's node (psk) is not worth a connection.
        if (memcmp (buf + 38, self->answer + 38, PANDA_REPL_NETWORK_TAG_SIZE) != 0)
            zstr_sendx (self->pipe, "NONE", q->address, "it belongs to another network (psk)", NULL);
        else
            zstr_sendx (self->pipe, "KEY", q->address, hex, NULL);
        self->questions[i] = self->questions[--self->n_questions];
        return;
    }
}

static void
s_read (s_udp_t *self)
{
    uint8_t buf[128];
    struct sockaddr_storage from;
    for (int budget = 64; budget > 0; budget--) {
        socklen_t from_len = sizeof from;
        ssize_t len =
            recvfrom (self->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &from, &from_len);
        if (len < 0)
            return;
        if (len >= 5 && memcmp (buf, S_MAGIC_ASK, 5) == 0)
            s_answer_question (self, buf, len, &from, from_len);
        else
            s_got_answer (self, buf, len, &from);
    }
}

static void
s_ask (s_udp_t *self, const char *address)
{
    char host[256];
    snprintf (host, sizeof host, "%s", address);
    char *colon = strrchr (host, ':');
    if (!colon || self->n_questions == S_MAX_QUESTIONS) {
        zstr_sendx (self->pipe, "NONE", address, "not host:port, or too many questions", NULL);
        return;
    }
    *colon = 0;
    //  aquadoggo resolves names and takes the first address: so do we.
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *found = NULL;
    int rc = getaddrinfo (host[0] == '[' ? host + 1 : host, colon + 1, &hints, &found);
    if (rc != 0 || !found) {
        zstr_sendx (self->pipe, "NONE", address, rc ? gai_strerror (rc) : "no address", NULL);
        return;
    }
    s_question_t *q = &self->questions[self->n_questions++];
    memset (q, 0, sizeof *q);
    snprintf (q->address, sizeof q->address, "%s", address);
    memcpy (&q->to, found->ai_addr, found->ai_addrlen);
    q->to_len = found->ai_addrlen;
    freeaddrinfo (found);
}

//  Send due questions; give up on those asked S_TRIES times.
static void
s_retry (s_udp_t *self)
{
    int64_t now = zclock_mono ();
    uint8_t ask[S_ASK_SIZE] = {0};
    memcpy (ask, S_MAGIC_ASK, 5);
    ask[5] = S_VERSION;
    for (size_t i = self->n_questions; i-- > 0;) {
        s_question_t *q = &self->questions[i];
        if (now < q->next_try)
            continue;
        if (q->tries == S_TRIES) {
            zstr_sendx (self->pipe, "NONE", q->address, "no answer to who-are-you (UDP)", NULL);
            self->questions[i] = self->questions[--self->n_questions];
            continue;
        }
        (void) sendto (self->fd, ask, sizeof ask, MSG_DONTWAIT, (struct sockaddr *) &q->to, q->to_len);
        q->tries++;
        q->next_try = now + S_TRY_EVERY_MS;
    }
}

static void
s_udp_actor (zsock_t *pipe, void *args_)
{
    s_args_t *args = args_;
    s_udp_t self = {.pipe = pipe, .fd = args->fd};
    memcpy (self.answer, S_MAGIC_ANSWER, 5);
    self.answer[5] = S_VERSION;
    memcpy (self.answer + 6, args->node_key, 32);
    memcpy (self.answer + 38, args->network_tag, PANDA_REPL_NETWORK_TAG_SIZE);
    free (args);
    panda_actor_set_name ("replicate-udp");
    zsock_signal (pipe, 0);
    bool running = true;
    while (running) {
        //  The pipe's descriptor signals edges only: look at its events
        //  before sleeping.
        while (zsock_events (pipe) & ZMQ_POLLIN) {
            char *command = NULL, *address = NULL;
            if (zstr_recvx (pipe, &command, &address, NULL) < 0 || strcmp (command, "$TERM") == 0)
                running = false;
            else if (strcmp (command, "ASK") == 0 && address)
                s_ask (&self, address);
            zstr_free (&command);
            zstr_free (&address);
            if (!running)
                break;
        }
        if (!running)
            break;
        s_retry (&self);
        struct pollfd fds[2] = {{.fd = self.fd, .events = POLLIN}, {.fd = zsock_fd (pipe), .events = POLLIN}};
        int wait = self.n_questions ? S_TRY_EVERY_MS / 4 : -1;
        if (poll (fds, 2, wait) > 0 && (fds[0].revents & POLLIN))
            s_read (&self);
    }
    close (self.fd);
}

zactor_t *
panda_replicate_udp_new (const char *address, int port, const uint8_t *node_key, const uint8_t *network_tag,
                         panda_error_t *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST},
                    *found = NULL;
    char service[16];
    snprintf (service, sizeof service, "%d", port);
    int rc = getaddrinfo (strcmp (address, "*") == 0 ? NULL : address, service, &hints, &found);
    if (rc != 0 || !found) {
        panda_error_set (err, PANDA_ERR_IO, "UDP %s:%d: %s", address, port,
                         rc ? gai_strerror (rc) : "no address");
        return NULL;
    }
    int fd = socket (found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind (fd, found->ai_addr, found->ai_addrlen) != 0) {
        panda_error_set (err, PANDA_ERR_IO, "cannot bind UDP %s:%d: %s", address, port, strerror (errno));
        if (fd >= 0)
            close (fd);
        freeaddrinfo (found);
        return NULL;
    }
    freeaddrinfo (found);
    s_args_t *args = calloc (1, sizeof *args);
    if (!args) {
        close (fd);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    args->fd = fd;
    memcpy (args->node_key, node_key, 32);
    memcpy (args->network_tag, network_tag, PANDA_REPL_NETWORK_TAG_SIZE);
    return zactor_new (s_udp_actor, args);
}
